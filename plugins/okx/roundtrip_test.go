package okx_test

import (
	"bytes"
	"fmt"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// 2024-03-01T00:00:00Z: a historical window start.
const winStart = int64(1709251200000)

func TestRecordThenReplayOffline(t *testing.T) {
	for _, ex := range []*okx.Exchange{okx.Spot, okx.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			inst := ex.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
			page := ccxtPage("history-candles", inst, "1m", winStart, minute, 100)
			calls := []replaytest.Call{{Path: "/api/v5/public/instruments?instType=" + ex.InstType()}, {Path: page}}
			// A short WS session through the proxy, then against the replay.
			live := func(t *testing.T, url string) {
				c := replaytest.At(url).Conn(t, "/ws/v5/business")
				replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"`+inst+`"}]}`)
				for i := 0; i < 2; i++ {
					replaytest.ReadFrame(t, c, nil)
				}
				c.Close()
			}
			recorded, replayed, srv := replaytest.RoundTrip(t, ex.Name(), nil, calls, live)
			for i, call := range calls {
				if !bytes.Equal(replayed[i], recorded[i]) {
					t.Errorf("%s: replayed body differs:\n%s\n%s", call.Path, replayed[i], recorded[i])
				}
			}
			// A window never asked verbatim comes from the candle index.
			rs := replaytest.At(srv.URL)
			var whole, part candlesResp
			rs.GetJSON(t, page, &whole)
			rs.GetJSON(t, fmt.Sprintf("/api/v5/market/history-candles?instId=%s&before=%d&after=%d", inst, winStart+10*minute-1, winStart+20*minute), &part)
			if len(part.Data) != 10 || len(whole.Data) != 100 {
				t.Fatalf("sub-window %d rows, recorded %d", len(part.Data), len(whole.Data))
			}
			for i, row := range part.Data {
				if fmt.Sprint(row) != fmt.Sprint(whole.Data[80+i]) {
					t.Errorf("row %d: %v, recorded %v", i, row, whole.Data[80+i])
				}
			}
			ws := rs.Conn(t, "/ws/v5/business")
			replaytest.Send(t, ws, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"`+inst+`"}]}`)
			for i := 0; i < 5; i++ {
				frame := replaytest.ReadFrame(t, ws, nil)
				us, err := ex.DecodeFrame("/ws/v5/business", frame)
				if err == nil && len(us) == 1 && us[0].Symbol == inst && us[0].Interval == cc.Interval1m {
					return
				}
			}
			t.Error("no candle push on the replayed socket")
		})
	}
}
