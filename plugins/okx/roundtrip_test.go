package okx_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins/internal/kittest"
	"github.com/candlecassette/candlecassette/plugins/okx"
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
	for _, ex := range []*okx.Exchange{okx.Spot, okx.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			inst := ex.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
			path := filepath.Join(t.TempDir(), "okx.db")
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
			page := ccxtPage("history-candles", inst, "1m", winStart, minute, 100)
			calls := []string{"/api/v5/public/instruments?instType=" + ex.InstType(), page}
			recorder := kittest.At(rec.URL())
			recorded := map[string][]byte{}
			for _, c := range calls {
				_, recorded[c] = recorder.GetJSON(t, c, nil)
			}
			c := recorder.Conn(t, "/ws/v5/business")
			kittest.Send(t, c, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"`+inst+`"}]}`)
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
			var whole, part candlesResp
			replayed.GetJSON(t, page, &whole)
			replayed.GetJSON(t, fmt.Sprintf("/api/v5/market/history-candles?instId=%s&before=%d&after=%d", inst, winStart+10*minute-1, winStart+20*minute), &part)
			if len(part.Data) != 10 || len(whole.Data) != 100 {
				t.Fatalf("sub-window %d rows, recorded %d", len(part.Data), len(whole.Data))
			}
			for i, row := range part.Data {
				if fmt.Sprint(row) != fmt.Sprint(whole.Data[80+i]) {
					t.Errorf("row %d: %v, recorded %v", i, row, whole.Data[80+i])
				}
			}
			ws := replayed.Conn(t, "/ws/v5/business")
			kittest.Send(t, ws, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"`+inst+`"}]}`)
			for i := 0; i < 5; i++ {
				frame := kittest.ReadFrame(t, ws, nil)
				us, err := ex.DecodeFrame("/ws/v5/business", frame)
				if err == nil && len(us) == 1 && us[0].Symbol == inst && us[0].Interval == cc.Interval1m {
					return
				}
			}
			t.Error("no candle push on the replayed socket")
		})
	}
}
