package binance_test

import (
	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// synthEnv serves the synthetic market with its tape, touch and
// perpetual side, as synth mode does.
func synthEnv(clock *cc.Clock, exchange string) *plugins.Env {
	m := synth.New(synth.Options{Seed: 3, Exchange: exchange, Pairs: testPairs})
	return &plugins.Env{
		Market: m, Feed: &cc.MarketFeed{Market: m, Clock: clock}, Clock: clock,
		Tape: m, Quotes: m, Books: m, Derivs: synth.NewDerivatives(m),
		Pairs: testPairs, Hub: plugins.NewHub(),
	}
}
