package bybit_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay"
)

func TestIPLimitGives403AndABan(t *testing.T) {
	srv, err := replay.Start(replay.Options{Exchange: "bybit_spot", Clock: frozen(t0)}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	}()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL() + "/v5/market/time")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i := 1; i <= 600; i++ {
		if status, body := get(); status != http.StatusOK {
			t.Fatalf("request %d of 600: %d %s", i, status, body)
		}
	}
	if status, body := get(); status != http.StatusForbidden || body != "access too frequent" {
		t.Fatalf("request 601: %d %q, want 403 access too frequent", status, body)
	}
	// Banned: still refused after the 5-second window would have rolled.
	if status, _ := get(); status != http.StatusForbidden {
		t.Errorf("request 602: %d, want 403 while banned", status)
	}
}
