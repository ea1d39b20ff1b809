package mexc_test

import (
	"context"
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: REST depth is the
// market's book with its id (contract volumes back in BTC), the spot
// protobuf aggre depth and the contract push.depth applied to a REST
// snapshot as MEXC documents give the market's book after every step
// with its version, and the limit depth and push.depth.full pushes are
// the top levels.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		id, sym, rest, ws string
		diffs, top        string
		restDepth         int
	}{
		{"mexc_spot", "BTCUSDT", "/api/v3/depth?symbol=BTCUSDT&limit=1000", "/ws",
			`{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"],"id":1}`,
			`{"method":"SUBSCRIPTION","params":["spot@public.limit.depth.v3.api.pb@BTCUSDT@5"],"id":2}`, 1000},
		{"mexc_perpetual", "BTC_USDT", "/api/v1/contract/depth/BTC_USDT", "/edge",
			`{"method":"sub.depth","param":{"symbol":"BTC_USDT"}}`,
			`{"method":"sub.depth.full","param":{"symbol":"BTC_USDT","limit":5}}`, 0},
	} {
		t.Run(tc.id, func(t *testing.T) {
			p, err := plugins.Lookup(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			dec := p.(plugins.BookDecoder)
			// Sizes in whole BTC_USDT contracts (0.0001 BTC).
			f := &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.5"), SizeScale: 4, Levels: 80}
			url, _ := booktest.Serve(t, p, []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}, f, replaytest.Clock(bookBase, 5))
			srv := replaytest.At(url)
			rest := func() plugins.BookSet {
				t.Helper()
				status, body := srv.Get(t, tc.rest)
				req, _ := http.NewRequest(http.MethodGet, tc.rest, nil)
				sets, err := dec.DecodeBook(req, body)
				if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != tc.sym || sets[0].Depth != tc.restDepth || sets[0].Diff != nil {
					t.Fatalf("REST: %d %v %+v", status, err, sets)
				}
				want, _ := f.Book(ctx, tc.sym, sets[0].Book.Time, 0)
				if err := booktest.Same(sets[0].Book, want); err != nil || sets[0].Book.Seq != want.Seq {
					t.Fatalf("REST at %d: %v (id %d, want %d)", sets[0].Book.Time, err, sets[0].Book.Seq, want.Seq)
				}
				return sets[0]
			}

			c := replaytest.Dial(t, srv.WSURL+tc.ws)
			defer c.Close()
			replaytest.Send(t, c, tc.diffs)
			next := func(onlySnapshots bool) plugins.BookSet {
				for {
					raw := replaytest.ReadFrame(t, c, nil)
					sets, err := dec.DecodeBookFrame(tc.ws, raw)
					if err != nil {
						continue // the ack
					}
					if len(sets) != 1 || sets[0].Symbol != tc.sym {
						t.Fatalf("%+v: %q", sets, raw)
					}
					if !onlySnapshots || sets[0].Diff == nil {
						return sets[0]
					}
				}
			}
			buf := []plugins.BookSet{next(false)}
			fl := booktest.Follower{}
			if err := fl.Apply(rest()); err != nil {
				t.Fatal(err)
			}
			check := func() {
				t.Helper()
				want, _ := f.Book(ctx, tc.sym, fl.Book.Time, 0)
				if err := booktest.Same(fl.Book, want); err != nil || fl.Book.Seq != want.Seq {
					t.Fatalf("after %d diffs at %d: %v (version %d, want %d)", fl.Diffs, fl.Book.Time, err, fl.Book.Seq, want.Seq)
				}
			}
			for steps := 0; steps < 30; {
				var s plugins.BookSet
				if len(buf) > 0 {
					s, buf = buf[0], buf[1:]
				} else {
					s = next(false)
				}
				if s.Diff == nil {
					t.Fatalf("a snapshot in the diff stream: %+v", s)
				}
				if fl.Diffs == 0 && s.Diff.LastSeq <= fl.Book.Seq {
					continue // before the snapshot
				}
				// A contract step is a message per version, all at its
				// time: the book is whole when the time moves on.
				if fl.Diffs > 0 && s.Diff.Time != fl.Book.Time {
					check()
					steps++
				}
				if err := fl.Apply(s); err != nil {
					t.Fatal(err)
				}
			}

			replaytest.Send(t, c, tc.top)
			for n := 0; n < 5; n++ {
				s := next(true)
				want, _ := f.Book(ctx, tc.sym, s.Book.Time, 5)
				if s.Depth != 5 {
					t.Fatalf("top depth %d", s.Depth)
				}
				if err := booktest.Same(s.Book, want); err != nil || s.Book.Seq != want.Seq {
					t.Fatalf("top 5 at %d: %v (version %d, want %d)", s.Book.Time, err, s.Book.Seq, want.Seq)
				}
			}
		})
	}
}
