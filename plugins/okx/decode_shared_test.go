package okx_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
)

// A socket on the shared business host carries spot and swap rows alike;
// each row's base volume is read by its instrument (a swap's vol counts
// contracts, its volCcy is the base), whichever id's plugin decodes it.
func TestRowsDecodeByTheirInstrumentOnAnySibling(t *testing.T) {
	frame := func(inst string) []byte {
		return []byte(`{"arg":{"channel":"candle1m","instId":"` + inst + `"},"data":[["1704067200000","42000","42100","41900","42050","250","2.5","105000","0"]]}`)
	}
	for _, id := range []string{"okx_spot", "okx_perpetual"} {
		p, err := plugins.Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		for inst, want := range map[string]string{"BTC-USDT": "250", "BTC-USDT-SWAP": "2.5"} {
			ups, err := p.DecodeFrame("/ws/v5/business", frame(inst))
			if err != nil || len(ups) != 1 {
				t.Fatalf("%s decoding %s: %v, %d updates", id, inst, err, len(ups))
			}
			if got := ups[0].Candle.Volume.String(); got != want {
				t.Errorf("%s decoded %s's base volume as %s, want %s", id, inst, got, want)
			}
		}
	}
}
