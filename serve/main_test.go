package serve_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/candlecassette/candlecassette/replay"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves a synthetic binance_spot behind the front configured by
// opts.Serve, closed at the end of the test.
func start(t *testing.T, opts replay.Options) *replay.Server {
	t.Helper()
	if opts.Exchange == "" {
		opts.Exchange = "binance_spot"
	}
	srv, err := replay.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv
}
