package ascendex_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var frozen = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func dec(t *testing.T, s string) cc.Decimal {
	t.Helper()
	d, err := cc.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTradesAreTheTapesLatest(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(frozen, 0))
	st, body := s.Get(t, "/api/pro/v1/trades?symbol=BTC/USDT&n=1")
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	if err := replaytest.SameShape("trades.json", body, replaytest.KeysInOrder); err != nil {
		t.Errorf("shape: %v", err)
	}
	var resp struct {
		Data struct {
			Symbol string
			Data   []struct {
				Seqnum int64
				P, Q   string
				Ts     int64
				Bm     bool
			}
		}
	}
	s.GetJSON(t, "/api/pro/v1/trades?symbol=BTC/USDT&n=500", &resp)
	want, err := s.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTC/USDT", Limit: 100, Newest: true, Now: frozen.UnixMicro()})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data.Data) != 100 || len(want) != 100 || resp.Data.Symbol != "BTC/USDT" {
		t.Fatalf("n=500 gives %d trades (at most 100)", len(resp.Data.Data))
	}
	for i, tr := range resp.Data.Data {
		w := want[i]
		if tr.Seqnum != w.ID || tr.Ts != w.Millis() || dec(t, tr.P).Cmp(w.Price) != 0 || dec(t, tr.Q).Cmp(w.Size) != 0 || tr.Bm != w.BuyerMaker {
			t.Fatalf("trade %d %+v, tape %+v", i, tr, w)
		}
	}
	var e struct {
		Code   int
		Reason string
	}
	if s.GetJSON(t, "/api/pro/v1/trades?symbol=NOPE/USDT", &e); e.Code != 100008 || e.Reason != "SYMBOL_ERROR" {
		t.Errorf("unknown symbol: %+v", e)
	}
}

func TestTickerIsTheWindowsStatsAndTouch(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(frozen, 0))
	for _, path := range []string{"/api/pro/v1/ticker?symbol=BTC/USDT", "/api/pro/v1/spot/ticker?symbol=BTC/USDT"} {
		st, body := s.Get(t, path)
		if st != 200 {
			t.Fatalf("%d %s", st, body)
		}
		if err := replaytest.SameShape("ticker.json", body, replaytest.KeysAnyOrder); err != nil {
			t.Errorf("shape: %v", err)
		}
		var resp struct {
			Data struct {
				Open, Close, High, Low, Volume string
				Ask, Bid                       []string
			}
		}
		json.Unmarshal(body, &resp)
		want, err := cc.RollingStats(context.Background(), s.Env.Market, s.Env.Tape, "BTC/USDT", 86_400_000, frozen.UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		d := resp.Data
		if dec(t, d.Open).Cmp(want.Open) != 0 || dec(t, d.Close).Cmp(want.Last) != 0 || dec(t, d.High).Cmp(want.High) != 0 ||
			dec(t, d.Low).Cmp(want.Low) != 0 || dec(t, d.Volume).Cmp(want.Volume) != 0 {
			t.Errorf("%s: %+v, stats %+v", path, d, want)
		}
		bid, ask := dec(t, d.Bid[0]), dec(t, d.Ask[0])
		if bid.Cmp(ask) >= 0 || bid.Float64() < want.Last.Float64()*0.999 || ask.Float64() > want.Last.Float64()*1.001 {
			t.Errorf("touch %v/%v around %v", bid, ask, want.Last)
		}
	}
}

// The ticker is one instant's: its close is the last trade of the seconds
// closed by then, and its bid and ask are the touch right after that
// trade, so they straddle it (a touch taken at the clock's now was up to a
// second newer than the close, and missed it 2,666 times in 3,000).
func TestTickerTouchStraddlesItsClose(t *testing.T) {
	for _, at := range replaytest.TickerInstants() {
		s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(at, 0))
		var resp struct {
			Data struct {
				Close    string
				Ask, Bid []string
			}
		}
		s.GetJSON(t, "/api/pro/v1/spot/ticker?symbol=BTC/USDT", &resp)
		if len(resp.Data.Bid) == 0 || len(resp.Data.Ask) == 0 {
			t.Fatalf("at %s: %+v", at, resp)
		}
		replaytest.Straddles(t, "spot/ticker", at, resp.Data.Close, resp.Data.Bid[0], resp.Data.Ask[0])
	}
}
