package replay

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

// A union's price series are built once: Prices allocates nothing, and
// each symbol's mark candles are its own exchange's.
func TestUnionDerivsPricesBuiltOnce(t *testing.T) {
	perp := func(id, sym string, price float64) cc.Derivatives {
		pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: sym, Price: price}}
		return synth.NewDerivatives(synth.New(synth.Options{Seed: 3, Exchange: id, Pairs: pairs}))
	}
	bySym := map[string]cc.Derivatives{
		"BTC-USDT-SWAP": perp("okx_perpetual", "BTC-USDT-SWAP", 50000),
		"BTCUSDT":       perp("binance_perpetual", "BTCUSDT", 60000),
	}
	u := newUnionDerivs(bySym)
	if n := testing.AllocsPerRun(100, func() { _ = u.Prices(cc.MarkPrice) }); n != 0 {
		t.Fatalf("Prices allocates %v times a call", n)
	}
	ctx := context.Background()
	end := time.Date(2026, 2, 3, 4, 0, 0, 0, time.UTC).UnixMilli()
	for sym, d := range bySym {
		for _, kind := range []cc.PriceKind{cc.MarkPrice, cc.IndexPrice} {
			got, err := u.Prices(kind).Candles(ctx, sym, cc.Interval1m, end-600_000, end, end)
			if err != nil {
				t.Fatal(err)
			}
			want, err := d.Prices(kind).Candles(ctx, sym, cc.Interval1m, end-600_000, end, end)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("%s kind %d: %d candles differ from its exchange's %d", sym, kind, len(got), len(want))
			}
		}
	}
	if _, err := u.Prices(cc.MarkPrice).Candles(ctx, "ETHUSDT", cc.Interval1m, end-60_000, end, end); !errors.Is(err, cc.ErrUnknownSymbol) {
		t.Fatalf("unknown symbol: %v", err)
	}
	if _, err := u.Prices(cc.PriceKind(9)).Candles(ctx, "BTCUSDT", cc.Interval1m, end-60_000, end, end); err == nil {
		t.Fatal("an unknown price kind gave candles")
	}
}
