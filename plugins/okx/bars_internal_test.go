package okx

import (
	"context"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

func TestBarTrackerMatchesAFreshAggregate(t *testing.T) {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTC-USDT"}}
	m := synth.New(synth.Options{Seed: 3, Pairs: pairs})
	ctx := context.Background()
	for _, name := range []string{"6H", "1D", "1M", "2Dutc"} {
		b := bars[name]
		k := &barTracker{bar: b, market: m, sym: "BTC-USDT"}
		// From 90 minutes before a bar closes to 30 minutes after, in
		// uneven steps that cross hours and the bar's close.
		closeAt := b.next(b.open(time.Date(2026, 2, 27, 12, 0, 0, 0, time.UTC).UnixMilli()))
		for tm := closeAt - 90*60_000; tm < closeAt+30*60_000; tm += 7*60_000 + 13_000 {
			got, ok, err := k.at(ctx, tm)
			o := b.open(tm)
			want, wok, werr := aggregate(ctx, m, "BTC-USDT", o, b.next(o), tm)
			if err != nil || werr != nil || ok != wok {
				t.Fatalf("%s at %d: %v %v %v %v", name, tm, ok, wok, err, werr)
			}
			if got.OpenTime != want.OpenTime || got.CloseTime != want.CloseTime || got.Closed != want.Closed ||
				got.Open.Cmp(want.Open) != 0 || got.High.Cmp(want.High) != 0 || got.Low.Cmp(want.Low) != 0 ||
				got.Close.Cmp(want.Close) != 0 || got.Volume.Cmp(want.Volume) != 0 || got.QuoteVolume.Cmp(want.QuoteVolume) != 0 {
				t.Fatalf("%s at %d: tracker %+v, aggregate %+v", name, tm, got, want)
			}
		}
		// The final update of a bar is the closed bar.
		got, _, _ := k.at(ctx, closeAt-1)
		if !got.Closed || got.OpenTime != b.open(closeAt-1) {
			t.Errorf("%s final: %+v", name, got)
		}
	}
}
