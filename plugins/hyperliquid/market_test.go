package hyperliquid_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var frozen = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func startFrozen(t *testing.T, id string) *replaytest.Server {
	return replaytest.Start(t, id, nil, replaytest.Clock(frozen, 0))
}

func trim(d cc.Decimal) string { return string(d.AppendTrim(nil, int(d.Scale))) }

func dec(t *testing.T, v any) cc.Decimal {
	t.Helper()
	d, err := cc.ParseDecimal(fmt.Sprint(v))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func post(t *testing.T, s *replaytest.Server, body string, v any) []byte {
	t.Helper()
	st, b := s.Post(t, "/info", body)
	if st != http.StatusOK {
		t.Fatalf("%s: %d %s", body, st, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	return b
}

func TestRecentTradesAreTheTapesLatest(t *testing.T) {
	for _, tc := range []struct{ id, coin string }{{"hyperliquid_perpetual", "BTC"}, {"hyperliquid_spot", "@142"}} {
		t.Run(tc.id, func(t *testing.T) {
			s := startFrozen(t, tc.id)
			var ts []map[string]any
			body := post(t, s, `{"type":"recentTrades","coin":"`+tc.coin+`"}`, &ts)
			if err := replaytest.SameShape("recent_trades.json", first(t, body), replaytest.KeysInOrder); err != nil {
				t.Errorf("shape: %v: %s", err, body)
			}
			want, err := s.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: tc.coin, Limit: 10, Newest: true, Now: frozen.UnixMicro()})
			if err != nil || len(ts) != len(want) || len(ts) == 0 {
				t.Fatalf("%d trades, tape %d (%v)", len(ts), len(want), err)
			}
			for i, tr := range ts {
				w := want[i]
				side := "B"
				if w.BuyerMaker {
					side = "A"
				}
				if tr["coin"] != tc.coin || int64(tr["tid"].(float64)) != w.ID || int64(tr["time"].(float64)) != w.Millis() ||
					dec(t, tr["px"]).Cmp(w.Price) != 0 || dec(t, tr["sz"]).Cmp(w.Size) != 0 || tr["side"] != side {
					t.Errorf("trade %d %v, tape %+v", i, tr, w)
				}
			}
			if st, b := s.Post(t, "/info", `{"type":"recentTrades","coin":"NOPE"}`); st != 500 || string(b) != "null" {
				t.Errorf("unknown coin: %d %s", st, b)
			}
		})
	}
}

// first is a JSON array body cut to its first element, as written.
func first(t *testing.T, body []byte) []byte {
	var rows []json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil || len(rows) == 0 {
		t.Fatalf("%v: %.200s", err, body)
	}
	return []byte("[" + string(rows[0]) + "]")
}

func TestAssetCtxsAndMidsComeFromTheMarket(t *testing.T) {
	s := startFrozen(t, "hyperliquid_perpetual")
	var mc []json.RawMessage
	body := post(t, s, `{"type":"metaAndAssetCtxs"}`, &mc)
	if err := replaytest.SameShape("meta_and_asset_ctxs.json", body, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("shape: %v", err)
	}
	var ctxs []map[string]any
	json.Unmarshal(mc[1], &ctxs)
	now := frozen.UnixMilli()
	st, err := cc.RollingStats(context.Background(), s.Env.Market, s.Env.Tape, "BTC", 86_400_000, now)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.Env.Derivs.Perp(context.Background(), "BTC", now)
	if err != nil {
		t.Fatal(err)
	}
	c := ctxs[0]
	for k, v := range map[string]cc.Decimal{"markPx": ps.Mark, "oraclePx": ps.Index, "funding": ps.FundingRate, "openInterest": ps.OpenInterest,
		"premium": ps.Premium, "prevDayPx": st.Open, "dayNtlVlm": st.QuoteVolume, "dayBaseVlm": st.Volume} {
		if dec(t, c[k]).Cmp(v) != 0 {
			t.Errorf("%s = %v, want %v", k, c[k], v)
		}
	}
	if d := ps.Mark.Float64()/ps.Index.Float64() - 1; d > 0.01 || d < -0.01 {
		t.Errorf("mark %v oracle %v beyond 1%%", ps.Mark, ps.Index)
	}
	imp := c["impactPxs"].([]any)
	bid, ask, midPx := dec(t, imp[0]), dec(t, imp[1]), dec(t, c["midPx"])
	if bid.Cmp(ask) >= 0 || midPx.Cmp(bid) <= 0 || midPx.Cmp(ask) >= 0 || bid.Float64() < st.Last.Float64()*0.999 || ask.Float64() > st.Last.Float64()*1.001 {
		t.Errorf("bid %v mid %v ask %v, last %v", bid, midPx, ask, st.Last)
	}
	var mids map[string]string
	post(t, s, `{"type":"allMids"}`, &mids)
	if mids["BTC"] != c["midPx"] {
		t.Errorf("allMids BTC %s, ctx mid %v", mids["BTC"], c["midPx"])
	}
}

func TestFundingHistoryIsHourlyAndPages(t *testing.T) {
	s := startFrozen(t, "hyperliquid_perpetual")
	now := frozen.UnixMilli()
	start := now - 30*86_400_000
	var fs []map[string]any
	body := post(t, s, fmt.Sprintf(`{"type":"fundingHistory","coin":"ETH","startTime":%d}`, start), &fs)
	if err := replaytest.SameShape("funding_history.json", first(t, body), replaytest.KeysInOrder); err != nil {
		t.Errorf("shape: %v: %.200s", err, body)
	}
	if len(fs) != 500 {
		t.Fatalf("a page of %d", len(fs))
	}
	for i := 1; i < len(fs); i++ {
		if fs[i]["time"].(float64) != fs[i-1]["time"].(float64)+3_600_000 {
			t.Fatalf("not hourly: %v then %v", fs[i-1], fs[i])
		}
	}
	last := int64(fs[len(fs)-1]["time"].(float64))
	var next []map[string]any
	post(t, s, fmt.Sprintf(`{"type":"fundingHistory","coin":"ETH","startTime":%d,"endTime":%d}`, last+1, now), &next)
	if len(next) == 0 || int64(next[0]["time"].(float64)) != last+3_600_000 || int64(next[len(next)-1]["time"].(float64)) > now {
		t.Errorf("second page %v after %d", next[:1], last)
	}
	if st, b := s.Post(t, "/info", `{"type":"fundingHistory","coin":"ETH"}`); st != 422 {
		t.Errorf("no startTime: %d %s", st, b)
	}
}
