package synth

import (
	"reflect"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// A Market keeps the days it fixed (dayCache): candles from kept days,
// asked again as days or as hours inside them, of another symbol, and
// from days fixed again after the cache overflowed, are those of nodes
// split without the cache.
func TestKeptDaysAreTheDaysSplitWithoutTheCache(t *testing.T) {
	m := New(Options{Seed: 3, Exchange: "binance_spot", Pairs: []cc.Pair{
		{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"},
		{Base: "ETH", Quote: "USDT", Price: 3000, Symbol: "ETHUSDT"}}})
	ref := newGen()
	ref.solo = true
	check := func(what, sym string, iv cc.Interval, start, end int64) {
		t.Helper()
		cs, err := m.Candles(t.Context(), sym, iv, start, end, 1<<50)
		if err != nil || len(cs) == 0 {
			t.Fatalf("%s: %d candles, %v", what, len(cs), err)
		}
		s := m.symbols[sym]
		ref.use(m, s)
		L := baseLevel(iv)
		for _, c := range cs {
			nd := ref.node(L, c.OpenTime/levels[L].dur)
			want := cc.Candle{OpenTime: c.OpenTime, CloseTime: c.OpenTime + iv.Millis() - 1,
				Open: cc.NewDecimal(nd.o, s.tickDec), High: cc.NewDecimal(nd.h, s.tickDec),
				Low: cc.NewDecimal(nd.l, s.tickDec), Close: cc.NewDecimal(nd.c, s.tickDec),
				Volume: cc.NewDecimal(nd.vol, s.lotDec), QuoteVolume: cc.NewDecimal(nd.qv, s.quoteDec),
				Trades: nd.trades, TakerBuyBase: cc.NewDecimal(nd.tbb, s.lotDec),
				TakerBuyQuote: cc.NewDecimal(nd.tbq, s.quoteDec), Closed: true}
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("%s: %+v, split without the cache %+v", what, c, want)
			}
		}
	}
	start := int64(1614643200000) // 2021-03-02
	end := start + 1000*dayMs
	h0, h1 := start+400*dayMs+5*hourMs, start+403*dayMs
	check("first days", "BTCUSDT", cc.Interval1d, start, end)
	if kept := keptBlocks(m); kept != 250 {
		t.Fatalf("%d 4-day blocks kept after 1000 days, want 250", kept)
	}
	check("kept days", "BTCUSDT", cc.Interval1d, start+3*dayMs, end)
	check("hours of kept days", "BTCUSDT", cc.Interval1h, h0, h1)
	check("another symbol's days", "ETHUSDT", cc.Interval1d, start, end)
	// 60 years of days go round the cache (22 years of one symbol).
	for i := int64(1); i <= 22; i++ {
		check("days further on", "BTCUSDT", cc.Interval1d, end+i*1000*dayMs, end+(i+1)*1000*dayMs)
	}
	if kept := keptBlocks(m); kept != dayCacheBlocks {
		t.Fatalf("%d 4-day blocks kept, want every slot's %d", kept, dayCacheBlocks)
	}
	check("days fixed again", "BTCUSDT", cc.Interval1d, start, end)
	check("hours after the overflow", "BTCUSDT", cc.Interval1h, h0, h1)
}

// keptBlocks counts the blocks in m's day cache.
func keptBlocks(m *Market) int {
	n := 0
	for i := range m.fixed.slots {
		if m.fixed.slots[i].s != nil {
			n++
		}
	}
	return n
}
