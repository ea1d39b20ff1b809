package replaytest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// Call is one REST request of a round trip.
type Call struct {
	Method string // "" means GET
	Path   string // with query
}

// Session drives a server during a round trip: url is the server's
// base URL. It runs once through the recording proxy and once against the
// replay of what was recorded.
type Session func(t *testing.T, url string)

// RoundTrip serves exchange synthetically as the upstream, puts a
// recording proxy in front, makes calls and runs live through it, closes
// both, then replays the cassette offline (no upstream left) and makes the
// same calls and runs live again. It returns the recorded and replayed
// bodies of calls, in order, and the replay server, which stays up for
// the test's lifetime.
func RoundTrip(t *testing.T, exchange string, pairs []cc.Pair, calls []Call, live Session) (recorded, replayed [][]byte, srv *Server) {
	t.Helper()
	return RoundTripWith(t, replay.Options{Exchange: exchange, Pairs: pairs, Seed: 11, Serve: serve.Options{NoRateLimit: true}}, calls, live)
}

// RoundTripWith is RoundTrip with the synthetic upstream's options given
// in full; the replay gets the same Speed and NoRateLimit.
func RoundTripWith(t *testing.T, upstream replay.Options, calls []Call, live Session) (recorded, replayed [][]byte, srv *Server) {
	t.Helper()
	do := func(base string) [][]byte {
		var out [][]byte
		for _, c := range calls {
			m := c.Method
			if m == "" {
				m = "GET"
			}
			_, b := Do(t, m, base+c.Path)
			out = append(out, b)
		}
		if live != nil {
			live(t, base)
		}
		return out
	}
	path := Record(t, upstream, func(t *testing.T, proxy, _ string) { recorded = do(proxy) })
	srv = Replay(t, path, replay.Options{Speed: upstream.Speed, Serve: serve.Options{NoRateLimit: upstream.Serve.NoRateLimit}})
	if srv.Plugin.Name() != upstream.Exchange {
		t.Fatalf("replay serves %s, recorded %s", srv.Plugin.Name(), upstream.Exchange)
	}
	replayed = do(srv.URL)
	return recorded, replayed, srv
}

// Record serves upstream (a synthetic exchange) on 127.0.0.1:0, puts the
// real recording proxy in front of it, runs session with both base URLs,
// then closes the proxy (flushing the cassette) and the upstream, and
// returns the cassette's path (in the test's temporary directory). Once
// it returns nothing listens where the recording was made.
func Record(t *testing.T, upstream replay.Options, session func(t *testing.T, proxy, upstream string)) string {
	t.Helper()
	up, err := replay.Start(upstream, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return recordThrough(t, upstream.Exchange, up.URL(), up.WSURL(), up.Close, session)
}

// recordThrough runs session through a recording proxy of exchange in front of
// the upstream at rest and ws, then closes the proxy and (closeUp, if not
// nil) the upstream, and returns the cassette's path.
func recordThrough(t *testing.T, exchange, rest, ws string, closeUp func(context.Context) error, session func(t *testing.T, proxy, upstream string)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), exchange+".cassette")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := record.Start(record.Options{
		Exchange: exchange, Cassette: path, UpstreamREST: rest, UpstreamWS: ws,
		CassetteOptions: cassettes.Options{NoSync: true},
	}, "127.0.0.1:0")
	if err != nil {
		if closeUp != nil {
			closeUp(ctx)
		}
		t.Fatal(err)
	}
	closed := false
	closeBoth := func() {
		if closed {
			return
		}
		closed = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rec.Close(ctx); err != nil {
			t.Errorf("closing the recorder: %v", err)
		}
		if closeUp == nil {
			return
		}
		if err := closeUp(ctx); err != nil {
			t.Errorf("closing the upstream: %v", err)
		}
	}
	defer closeBoth() // also when session fails the test
	session(t, rec.URL(), rest)
	closeBoth()
	return path
}

// Replay serves the cassette at path offline on 127.0.0.1:0 until the
// test ends; opts.Cassette is set to path.
func Replay(t testing.TB, path string, opts replay.Options) *Server {
	t.Helper()
	opts.Cassette = path
	return StartWith(t, opts)
}
