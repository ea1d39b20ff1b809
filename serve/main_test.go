package serve_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves a synthetic binance_spot behind the front configured by
// opts.Serve, closed at the end of the test.
func start(t *testing.T, opts replay.Options) *replay.Server {
	t.Helper()
	if opts.Exchange == "" {
		opts.Exchange = "binance_spot"
	}
	return replaytest.StartWith(t, opts).Server
}
