package synth

import (
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// A block whose minute's leaves are not at hand (the cache minuteLeaves
// fills is gone) gets the same leaves from its minute split again.
func TestLeavesWithoutTheirMinute(t *testing.T) {
	m := New(Options{Seed: 3, Exchange: "binance_spot", Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT"}}})
	s := m.symbols["BTCUSDT"]
	g := newGen()
	g.use(m, s)
	t0 := int64(1741186800000) // 2025-03-05T15:00Z
	checked := 0
	for sec := int64(0); sec < 120; sec++ {
		ts := t0 + sec*secMs
		want := *g.at(leafLevel, ts)
		g.qmask = 0
		g.count[leafLevel] = 0
		if got := *g.at(leafLevel, ts); got != want {
			t.Fatalf("second %d: %+v, want %+v", sec, got, want)
		}
		if want.trades > 0 {
			checked++
		}
	}
	if checked < 60 {
		t.Fatalf("only %d trading seconds", checked)
	}
}
