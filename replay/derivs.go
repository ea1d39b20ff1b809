package replay

import (
	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

// derivs is the perpetual side an Env of exchange id serves: nil for a
// spot id, else mark, index, funding and open interest derived from the
// synthetic market of the same seed and pairs (market itself when it is
// one; a cassette-backed market's recorded candles do not move them).
func derivs(id string, seed uint64, pairs []cc.Pair, market cc.Market) cc.Derivatives {
	if !synth.IsPerpetual(id) {
		return nil
	}
	m, ok := market.(*synth.Market)
	if !ok {
		m = synth.New(synth.Options{Seed: seed, Exchange: id, Pairs: pairs})
	}
	return synth.NewDerivatives(m)
}
