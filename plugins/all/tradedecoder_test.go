package all_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
)

// TestEveryPluginDecodesTrades: every exchange id can read back its own
// trades for the cassette's trades index.
func TestEveryPluginDecodesTrades(t *testing.T) {
	names := plugins.Names()
	if len(names) < 17 {
		t.Fatalf("%d plugins registered", len(names))
	}
	for _, name := range names {
		p, _ := plugins.Lookup(name)
		if _, ok := p.(plugins.TradeDecoder); !ok {
			t.Errorf("%s implements no plugins.TradeDecoder", name)
		}
	}
}
