package replay_test

import (
	"context"
	"reflect"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/synth"
)

// Perpetual ids get the synthetic market's perpetual side, spot ids none,
// in single- and multi-exchange servers alike.
func TestPerpetualEnvsHaveDerivatives(t *testing.T) {
	single := func(id string) *replay.Server {
		s, err := replay.New(replay.Options{Exchange: id, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close(context.Background()) })
		return s
	}
	if single("binance_spot").Env().Derivs != nil {
		t.Error("binance_spot has a perpetual side")
	}
	env := single("binance_perpetual").Env()
	if env.Derivs == nil {
		t.Fatal("binance_perpetual has no perpetual side")
	}
	// The same as the synthetic market's own, for the same seed and pairs.
	want := synth.NewDerivatives(synth.New(synth.Options{Seed: 9, Exchange: "binance_perpetual", Pairs: env.Pairs}))
	sym := env.Pairs[0].Symbol
	start := int64(1750000000000) / 60000 * 60000
	got, err := env.Derivs.Prices(cc.MarkPrice).Candles(context.Background(), sym, cc.Interval1m, start, start+600000, start+600000)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := want.Prices(cc.MarkPrice).Candles(context.Background(), sym, cc.Interval1m, start, start+600000, start+600000)
	if len(got) != 10 || !reflect.DeepEqual(got, exp) {
		t.Fatalf("the Env's mark candles differ from the synthetic market's")
	}

	multi, err := replay.New(replay.Options{Exchanges: []string{"okx_spot", "okx_perpetual", "hyperliquid_perpetual"}, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { multi.Close(context.Background()) })
	for id, perp := range map[string]bool{"okx_spot": false, "okx_perpetual": true, "hyperliquid_perpetual": true} {
		if got := multi.EnvOf(id).Derivs != nil; got != perp {
			t.Errorf("%s: has a perpetual side %v, want %v", id, got, perp)
		}
	}
}

// Every synthetic env has an order book, the same as its touch at the top,
// in single- and multi-exchange servers alike.
func TestEnvsHaveBooks(t *testing.T) {
	ctx := context.Background()
	single, err := replay.New(replay.Options{Exchange: "binance_spot", Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { single.Close(context.Background()) })
	multi, err := replay.New(replay.Options{Exchanges: []string{"okx_spot", "okx_perpetual", "bybit_spot"}, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { multi.Close(context.Background()) })
	at := int64(1750000000123456)
	for id, env := range map[string]*plugins.Env{"binance_spot": single.Env(), "okx_perpetual": multi.EnvOf("okx_perpetual"), "bybit_spot": multi.EnvOf("bybit_spot")} {
		if env.Books == nil {
			t.Fatalf("%s: no books", id)
		}
		sym := env.Pairs[0].Symbol
		b, err := env.Books.Book(ctx, sym, at, 5)
		if err != nil {
			t.Fatal(err)
		}
		th, err := env.Quotes.Touch(ctx, sym, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Bids) != 5 || len(b.Asks) != 5 || b.Bids[0].Price != th.Bid || b.Asks[0].Size != th.AskSize {
			t.Errorf("%s: book %+v, touch %+v", id, b, th)
		}
	}
}
