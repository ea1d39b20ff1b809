package binance

import (
	"context"
	"encoding/json"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// With the synthetic tape in the Env, a kline event's "f" and "L" are the
// ids of the candle's first and last trades on it.
func TestKlineEventTradeIDsFromTape(t *testing.T) {
	p, err := plugins.Lookup(SpotName)
	if err != nil {
		t.Fatal(err)
	}
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Seed: 1, Exchange: SpotName, Pairs: pairs})
	env := &plugins.Env{Market: m, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}}, Clock: &cc.Clock{}, Pairs: pairs, Hub: plugins.NewHub(), Tape: m}
	s := p.Handler(env).(*server)
	st, ok := s.parseStream("btcusdt@kline_1m")
	if !ok {
		t.Fatal("stream name refused")
	}
	enc := s.klineEncoder("btcusdt@kline_1m", st, &conn{})
	open := int64(1735700400000)
	cs, err := m.Candles(context.Background(), "BTCUSDT", cc.Interval1m, open, open+60_000, open+60_000)
	if err != nil || len(cs) != 1 || cs[0].Trades == 0 {
		t.Fatalf("candles %v, %v", cs, err)
	}
	// (A map: encoding/json matches keys without case, and "l" is the low.)
	var ev struct {
		K map[string]any `json:"k"`
	}
	if err := json.Unmarshal(enc(cc.Update{Symbol: "BTCUSDT", Interval: cc.Interval1m, EventTime: open + 60_000, Candle: cs[0]}), &ev); err != nil {
		t.Fatal(err)
	}
	f, l := int64(ev.K["f"].(float64)), int64(ev.K["L"].(float64))
	ts, err := m.Trades(context.Background(), cc.TradeQuery{Symbol: "BTCUSDT", Start: open * 1000, End: (open + 60_000) * 1000})
	if err != nil || int64(len(ts)) != cs[0].Trades {
		t.Fatalf("%d trades in a candle of %d, %v", len(ts), cs[0].Trades, err)
	}
	if f != ts[0].ID || l != ts[len(ts)-1].ID {
		t.Fatalf("f %d L %d, the tape's trades run %d..%d", f, l, ts[0].ID, ts[len(ts)-1].ID)
	}
}
