package wiretest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
func RoundTrip(t *testing.T, exchange string, pairs []cc.Pair, calls []Call, live Session) (recorded, replayed [][]byte, srv *replay.Server) {
	t.Helper()
	return RoundTripWith(t, replay.Options{Exchange: exchange, Pairs: pairs, Seed: 11, Serve: serve.Options{NoRateLimit: true}}, calls, live)
}

// RoundTripWith is RoundTrip with the synthetic upstream's options given
// in full; the replay gets the same Speed and NoRateLimit.
func RoundTripWith(t *testing.T, upstream replay.Options, calls []Call, live Session) (recorded, replayed [][]byte, srv *replay.Server) {
	t.Helper()
	exchange := upstream.Exchange
	path := filepath.Join(t.TempDir(), exchange+".cassette")
	up, err := replay.Start(upstream, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.Start(record.Options{
		Exchange: exchange, Cassette: path, UpstreamREST: up.URL(), UpstreamWS: up.WSURL(),
		CassetteOptions: cassettes.Options{NoSync: true},
	}, "127.0.0.1:0")
	if err != nil {
		up.Close(context.Background())
		t.Fatal(err)
	}
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
	recorded = do(rec.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := up.Close(ctx); err != nil {
		t.Fatal(err)
	}
	srv = StartWith(t, replay.Options{Cassette: path, Speed: upstream.Speed, Serve: serve.Options{NoRateLimit: upstream.Serve.NoRateLimit}})
	if srv.Plugin().Name() != exchange {
		t.Fatalf("replay serves %s, recorded %s", srv.Plugin().Name(), exchange)
	}
	replayed = do(srv.URL())
	return recorded, replayed, srv
}

// ReadUntil reads frames from c until match accepts one or n frames went
// by; it reports whether one matched.
func ReadUntil(t *testing.T, c *websocket.Conn, n int, match func([]byte) bool) bool {
	t.Helper()
	for i := 0; i < n; i++ {
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d frames: %v", i, err)
		}
		if match(b) {
			return true
		}
	}
	return false
}
