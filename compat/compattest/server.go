package compattest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/all" // every built-in exchange
	"github.com/candlecassette/candlecassette/replay"
)

// Options configure the server a test starts. The zero value serves the
// default pairs with seed 0.
type Options struct {
	// Pairs served; nil means the server's defaults.
	Pairs []cc.Pair
	// Seed of the synthetic market.
	Seed uint64
	// Clock is the server's virtual clock (in-process servers only); nil
	// means real time. A test that waits for live trades runs it fast, so
	// that a quiet minute of the synthetic market cannot starve it.
	Clock *cc.Clock
}

// Server is a running candlecassette server for one exchange id.
type Server struct {
	// Exchange is the exchange id being served, e.g. "binance_spot".
	Exchange string
	// URL is the REST base URL, e.g. http://127.0.0.1:41234.
	URL string
	// WSURL is the WS base URL, e.g. ws://127.0.0.1:41234.
	WSURL string

	stop func() error
}

// Stop shuts the server down now rather than when the test ends (a process
// gets SIGTERM) and reports an unclean shutdown; later calls return the
// same result.
func (s *Server) Stop() error { return s.stop() }

// Registered reports whether the exchange id has a plugin in this build.
func Registered(exchange string) bool {
	_, err := plugins.Lookup(exchange)
	return err == nil
}

// RequireExchange skips the test when the exchange id has no plugin yet, so
// that compat tests may be written before their plugin lands.
func RequireExchange(t testing.TB, exchange string) {
	t.Helper()
	if !Registered(exchange) {
		t.Skipf("exchange %s is not registered yet (registered: %s)", exchange, strings.Join(plugins.Names(), ", "))
	}
}

// Start serves exchange in-process on 127.0.0.1:0 (replay.Start) until the
// test ends. It skips the test when the exchange is not registered.
func Start(t testing.TB, exchange string, opts Options) *Server {
	t.Helper()
	RequireExchange(t, exchange)
	srv, err := replay.Start(replay.Options{Exchange: exchange, Pairs: opts.Pairs, Seed: opts.Seed, Clock: opts.Clock}, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("start %s: %v", exchange, err)
	}
	var once sync.Once
	var closeErr error
	stop := func() error {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Close(ctx); err != nil {
				closeErr = fmt.Errorf("close %s server: %w", exchange, err)
			}
		})
		return closeErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return &Server{Exchange: exchange, URL: srv.URL(), WSURL: srv.WSURL(), stop: stop}
}

// Target names a way of running the server under test.
type Target struct {
	// Name reads well in a subtest name: "in-process" or "binary".
	Name string
	// Start starts the server for exchange until the test ends.
	Start func(t testing.TB, exchange string, opts Options) *Server
}

// Targets are the in-process server and the real binary, for tests that
// should hold for both.
var Targets = []Target{
	{Name: "in-process", Start: Start},
	{Name: "binary", Start: StartBinary},
}
