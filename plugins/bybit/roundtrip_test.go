package bybit_test

import (
	"bytes"
	"fmt"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// 2024-03-01T00:00:00Z: a historical window start.
const winStart = int64(1709251200000)

func TestRecordThenReplayOffline(t *testing.T) {
	for _, ex := range []*bybit.Exchange{bybit.Spot, bybit.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			page := fmt.Sprintf("/v5/market/kline?symbol=BTCUSDT&start=%d&limit=100&interval=1&category=%s", winStart, ex.Category())
			calls := []replaytest.Call{{Path: "/v5/market/instruments-info?category=" + ex.Category()}, {Path: page}}
			// A short WS session through the proxy, then against the replay.
			live := func(t *testing.T, url string) {
				c := replaytest.At(url).Conn(t, "/v5/public/"+ex.Category())
				replaytest.Send(t, c, `{"op":"subscribe","req_id":"1","args":["kline.1.BTCUSDT"]}`)
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
			var whole, part klineResp
			rs.GetJSON(t, page, &whole)
			rs.GetJSON(t, fmt.Sprintf("/v5/market/kline?symbol=BTCUSDT&start=%d&end=%d&interval=1&category=%s", winStart+10*60_000, winStart+19*60_000, ex.Category()), &part)
			if len(part.Result.List) != 10 || len(whole.Result.List) != 100 {
				t.Fatalf("sub-window %d rows, recorded %d", len(part.Result.List), len(whole.Result.List))
			}
			for i, row := range part.Result.List {
				if fmt.Sprint(row) != fmt.Sprint(whole.Result.List[80+i]) {
					t.Errorf("row %d: %v, recorded %v", i, row, whole.Result.List[80+i])
				}
			}
			// Live klines still flow on the replayed socket.
			ws := rs.Conn(t, "/v5/public/"+ex.Category())
			replaytest.Send(t, ws, `{"op":"subscribe","req_id":"2","args":["kline.1.BTCUSDT"]}`)
			for i := 0; i < 5; i++ {
				frame := replaytest.ReadFrame(t, ws, nil)
				us, err := ex.DecodeFrame("/v5/public/"+ex.Category(), frame)
				if err == nil && len(us) == 1 && us[0].Symbol == "BTCUSDT" && us[0].Interval == cc.Interval1m {
					return
				}
			}
			t.Error("no kline push on the replayed socket")
		})
	}
}
