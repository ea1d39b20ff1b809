package plugins_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/all"
	"github.com/candlecassette/candlecassette/replay/plugintest"
)

// TestConformance runs the shared suite on every registered exchange.
func TestConformance(t *testing.T) {
	names := plugins.Names()
	if len(names) == 0 {
		t.Fatal("no plugin registered")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // every server is its own; nothing package-level is set
			p, err := plugins.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			plugintest.Run(t, p)
		})
	}
}

// TestRobustness sends every registered exchange malformed REST requests
// and garbage WS frames through the serving stack.
func TestRobustness(t *testing.T) {
	for _, name := range plugins.Names() {
		t.Run(name, func(t *testing.T) {
			// Parallel: the suite tells each server's goroutines apart by
			// label when it checks for leaks.
			t.Parallel()
			p, err := plugins.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			plugintest.RunRobustness(t, p)
		})
	}
}
