package bybit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/plugins/internal/kittest"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
)

// 2024-03-01T00:00:00Z: a historical window start.
const winStart = int64(1709251200000)

func closeAll(t *testing.T, closers ...interface{ Close(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range closers {
		if err := c.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecordThenReplayOffline(t *testing.T) {
	for _, ex := range []*bybit.Exchange{bybit.Spot, bybit.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bybit.db")
			up, err := replay.Start(replay.Options{Exchange: ex.Name(), Seed: 42, NoRateLimit: true}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			rec, err := record.Start(record.Options{
				Exchange: ex.Name(), Cassette: path, UpstreamREST: up.URL(), UpstreamWS: up.WSURL(),
				CassetteOptions: cassettes.Options{NoSync: true},
			}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			page := fmt.Sprintf("/v5/market/kline?symbol=BTCUSDT&start=%d&limit=100&interval=1&category=%s", winStart, ex.Category())
			calls := []string{"/v5/market/instruments-info?category=" + ex.Category(), page}
			recorder := kittest.At(rec.URL())
			recorded := map[string][]byte{}
			for _, c := range calls {
				_, recorded[c] = recorder.GetJSON(t, c, nil)
			}
			// A short WS session through the proxy.
			c := recorder.Conn(t, "/v5/public/"+ex.Category())
			kittest.Send(t, c, `{"op":"subscribe","req_id":"1","args":["kline.1.BTCUSDT"]}`)
			for i := 0; i < 2; i++ {
				kittest.ReadFrame(t, c, nil)
			}
			c.Close()
			closeAll(t, rec, up)

			srv, err := replay.Start(replay.Options{Cassette: path, NoRateLimit: true}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll(t, srv)
			if srv.Plugin().Name() != ex.Name() {
				t.Fatalf("replay serves %s", srv.Plugin().Name())
			}
			replayed := kittest.At(srv.URL())
			for _, call := range calls {
				if _, got := replayed.GetJSON(t, call, nil); string(got) != string(recorded[call]) {
					t.Errorf("%s: replayed body differs:\n%s\n%s", call, got, recorded[call])
				}
			}
			// A window never asked verbatim comes from the candle index.
			var whole, part klineResp
			replayed.GetJSON(t, page, &whole)
			replayed.GetJSON(t, fmt.Sprintf("/v5/market/kline?symbol=BTCUSDT&start=%d&end=%d&interval=1&category=%s", winStart+10*60_000, winStart+19*60_000, ex.Category()), &part)
			if len(part.Result.List) != 10 || len(whole.Result.List) != 100 {
				t.Fatalf("sub-window %d rows, recorded %d", len(part.Result.List), len(whole.Result.List))
			}
			for i, row := range part.Result.List {
				if fmt.Sprint(row) != fmt.Sprint(whole.Result.List[80+i]) {
					t.Errorf("row %d: %v, recorded %v", i, row, whole.Result.List[80+i])
				}
			}
			// Live klines still flow on the replayed socket.
			ws := replayed.Conn(t, "/v5/public/"+ex.Category())
			kittest.Send(t, ws, `{"op":"subscribe","req_id":"2","args":["kline.1.BTCUSDT"]}`)
			for i := 0; i < 5; i++ {
				frame := kittest.ReadFrame(t, ws, nil)
				us, err := ex.DecodeFrame("/v5/public/"+ex.Category(), frame)
				if err == nil && len(us) == 1 && us[0].Symbol == "BTCUSDT" && us[0].Interval == cc.Interval1m {
					return
				}
			}
			t.Error("no kline push on the replayed socket")
		})
	}
}
