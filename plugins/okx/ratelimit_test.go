package okx_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay"
)

func TestEndpointLimitsGive429With50011(t *testing.T) {
	for _, tt := range []struct {
		path  string
		limit int
	}{
		{"/api/v5/market/candles?instId=BTC-USDT&limit=1", 40},
		{"/api/v5/market/history-candles?instId=BTC-USDT&limit=1", 20},
		{"/api/v5/public/time", 10},
	} {
		t.Run(tt.path, func(t *testing.T) {
			srv, err := replay.Start(replay.Options{Exchange: "okx_spot", Clock: frozen(t0)}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				srv.Close(ctx)
			}()
			get := func() (int, string) {
				resp, err := http.Get(srv.URL() + tt.path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			for i := 1; i <= tt.limit; i++ {
				if status, body := get(); status != http.StatusOK {
					t.Fatalf("request %d of %d: %d %.100s", i, tt.limit, status, body)
				}
			}
			if status, body := get(); status != http.StatusTooManyRequests || body != `{"msg":"Too Many Requests","code":"50011"}` {
				t.Errorf("request %d: %d %s", tt.limit+1, status, body)
			}
		})
	}
}
