package binance

import (
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip encodes sample trades with the plugin's own
// trades, aggTrades, trade and aggTrade encoders (spot and USD-M, ms and
// µs, raw and combined) and decodes them back.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(7_000_000_001, 40)
	for _, kind := range []Kind{Spot, Perpetual} {
		p := New(kind, Options{})
		s := &server{p: p}
		prefix := "/api/v3/"
		if kind == Perpetual {
			prefix = "/fapi/v1/"
		}
		for _, unit := range []timeUnit{millis, micros} {
			if kind == Perpetual && unit == micros {
				continue // futures answer in ms only
			}
			want := ts
			if unit == millis {
				want = kit.MillisOnly(ts)
			}
			name := p.Name() + map[timeUnit]string{millis: " ms", micros: " µs"}[unit]
			t.Run(name, func(t *testing.T) {
				// REST prints: trades and historicalTrades.
				b := []byte{'['}
				for i, tr := range ts {
					if i > 0 {
						b = append(b, ',')
					}
					b = s.appendTrade(b, tr, unit)
				}
				b = append(b, ']')
				for _, path := range []string{"trades", "historicalTrades"} {
					req, _ := http.NewRequest(http.MethodGet, prefix+path+"?symbol=btcusdt&limit=40", nil)
					sets, err := p.DecodeTrades(req, b)
					if err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" || sets[0].Last != nil {
						t.Fatalf("%s: %v %+v", path, err, sets)
					}
					if i := kit.SameTrades(sets[0].Trades, kit.OwnAggIDs(want)); i >= 0 {
						t.Fatalf("%s: trade %d differs", path, i)
					}
				}
				// REST aggregates.
				as := aggregate(ts, nil, false)
				b = []byte{'['}
				for i, a := range as {
					if i > 0 {
						b = append(b, ',')
					}
					b = s.appendAgg(b, a, unit)
				}
				b = append(b, ']')
				req, _ := http.NewRequest(http.MethodGet, prefix+"aggTrades?symbol=BTCUSDT", nil)
				sets, err := p.DecodeTrades(req, b)
				if err != nil || len(sets) != 1 || len(sets[0].Trades) != len(as) || len(sets[0].Last) != len(as) {
					t.Fatalf("aggTrades: %v %+v", err, sets)
				}
				checkAggs(t, sets[0], as, unit)
				// WS events, raw and combined.
				for _, combined := range []bool{false, true} {
					c := &conn{}
					c.combined.Store(combined)
					var got []cc.Trade
					for _, tr := range ts {
						sets, err := p.DecodeTradeFrame("/ws", s.wrap(c, "btcusdt@trade", s.appendTradeEvent(nil, "BTCUSDT", tr, unit)))
						if err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" {
							t.Fatalf("trade event: %v %+v", err, sets)
						}
						got = append(got, sets[0].Trades...)
					}
					if i := kit.SameTrades(got, kit.OwnAggIDs(want)); i >= 0 {
						t.Fatalf("trade events (combined %v): trade %d differs: %+v", combined, i, got[i])
					}
					var agg plugins.TradeSet
					for _, a := range as {
						sets, err := p.DecodeTradeFrame("/ws", s.wrap(c, "btcusdt@aggTrade", s.appendAggEvent(nil, "BTCUSDT", a, unit)))
						if err != nil || len(sets) != 1 {
							t.Fatalf("aggTrade event: %v", err)
						}
						agg.Trades = append(agg.Trades, sets[0].Trades...)
						agg.Last = append(agg.Last, sets[0].Last...)
					}
					checkAggs(t, agg, as, unit)
				}
			})
		}
		// Other payloads are not trades.
		req, _ := http.NewRequest(http.MethodGet, prefix+"klines?symbol=BTCUSDT&interval=1m", nil)
		if _, err := p.DecodeTrades(req, []byte("[]")); err != plugins.ErrNotTrades {
			t.Errorf("klines: %v", err)
		}
		if _, err := p.DecodeTradeFrame("/ws", []byte(`{"e":"kline","E":1,"s":"BTCUSDT","k":{}}`)); err != plugins.ErrNotTrades {
			t.Errorf("kline event: %v", err)
		}
	}
}

func checkAggs(t *testing.T, set plugins.TradeSet, as []agg, unit timeUnit) {
	t.Helper()
	for i, a := range as {
		g := set.Trades[i]
		at := unit.trade(a.time)
		if unit == millis {
			at *= 1000
		}
		if g.ID != a.first || set.Last[i] != a.last || g.AggID != a.id || g.Time != at ||
			g.Price.Cmp(a.price) != 0 || g.Size.Cmp(a.qty) != 0 || g.BuyerMaker != a.buyerMaker {
			t.Fatalf("aggregate %d: got %+v last %d, want %+v", i, g, set.Last[i], a)
		}
	}
}
