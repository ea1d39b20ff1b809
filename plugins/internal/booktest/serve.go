package booktest

import (
	"net/http/httptest"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// Serve starts p on 127.0.0.1 over a synthetic market of pairs (seed 7)
// whose books are books, on clock, and returns its base URL ("http://")
// and env. The server closes with the test. It stands in for
// replaytest.Start while the replay modes have no books of their own.
func Serve(t testing.TB, p plugins.Plugin, pairs []cc.Pair, books cc.Books, clock *cc.Clock) (string, *plugins.Env) {
	t.Helper()
	ps := make([]cc.Pair, len(pairs))
	for i, pair := range pairs {
		pair.Symbol = p.Symbol(pair)
		ps[i] = pair
	}
	m := synth.New(synth.Options{Seed: 7, Exchange: p.Name(), Pairs: ps})
	env := &plugins.Env{
		Market: m,
		Feed:   &cc.MarketFeed{Market: m, Clock: clock},
		Clock:  clock,
		Pairs:  ps,
		Tape:   m.Tape(), Quotes: m.Quoter(),
		Books: books,
	}
	srv := httptest.NewServer(p.Handler(env))
	t.Cleanup(srv.Close)
	return srv.URL, env
}
