package gateio_test

import (
	"context"
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: a with_id REST
// book is the market's book with its id (futures contracts back in BTC),
// order_book_update — spot from its full push, futures from a REST
// snapshot — applied as Gate documents gives the market's book at every
// push with u as its id, and order_book pushes are the top levels.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		id, ws, prefix, rest string
		diffs, levels        string
	}{
		{"gate_io_spot", "/ws/v4/", "spot", "/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true", `["BTC_USDT","100ms"]`, `["BTC_USDT","5","100ms"]`},
		{"gate_io_perpetual", "/v4/ws/usdt", "futures", "/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=100&with_id=true", `["BTC_USDT","100ms","100"]`, `["BTC_USDT","5","0"]`},
	} {
		t.Run(tc.id, func(t *testing.T) {
			dec, f, srv := bookServer(t, tc.id)
			rest := func() plugins.BookSet {
				t.Helper()
				status, body := srv.Get(t, tc.rest)
				req, _ := http.NewRequest(http.MethodGet, tc.rest, nil)
				sets, err := dec.DecodeBook(req, body)
				if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != "BTC_USDT" || sets[0].Depth != 100 || sets[0].Diff != nil {
					t.Fatalf("REST: %d %v %+v", status, err, sets)
				}
				want, _ := f.Book(ctx, "BTC_USDT", sets[0].Book.Time, 100)
				if err := booktest.Same(sets[0].Book, want); err != nil || sets[0].Book.Seq != want.Seq {
					t.Fatalf("REST at %d: %v (id %d, want %d)", sets[0].Book.Time, err, sets[0].Book.Seq, want.Seq)
				}
				return sets[0]
			}
			rest()

			c := replaytest.Dial(t, srv.WSURL+tc.ws)
			defer c.Close()
			replaytest.Send(t, c, `{"time":1,"channel":"`+tc.prefix+`.order_book_update","event":"subscribe","payload":`+tc.diffs+`}`)
			// next is the next push decoded; onlySnapshots skips diffs.
			next := func(onlySnapshots bool) plugins.BookSet {
				for {
					raw := replaytest.ReadFrame(t, c, nil)
					sets, err := dec.DecodeBookFrame(tc.ws, raw)
					if err != nil {
						continue // the ack
					}
					if len(sets) != 1 || sets[0].Symbol != "BTC_USDT" {
						t.Fatalf("%+v: %s", sets, raw)
					}
					if !onlySnapshots || sets[0].Diff == nil {
						return sets[0]
					}
				}
			}
			fl := booktest.Follower{Depth: 100}
			first := next(false)
			if first.Diff == nil { // spot's full push
				if tc.prefix != "spot" || first.Depth != 100 {
					t.Fatalf("a full push on %s of depth %d", tc.prefix, first.Depth)
				}
			} else {
				if tc.prefix == "spot" {
					t.Fatal("spot's first push is not the full book")
				}
				if err := fl.Apply(rest()); err != nil {
					t.Fatal(err)
				}
			}
			for pending := []plugins.BookSet{first}; fl.Diffs < 30; pending = nil {
				s := first
				if len(pending) == 0 {
					s = next(false)
				}
				if s.Diff != nil && s.Diff.LastSeq <= fl.Book.Seq && fl.Diffs == 0 {
					continue // before the snapshot
				}
				if err := fl.Apply(s); err != nil {
					t.Fatal(err)
				}
				want, _ := f.Book(ctx, "BTC_USDT", fl.Book.Time, 100)
				if err := booktest.Same(fl.Book, want); err != nil || fl.Book.Seq != want.Seq {
					t.Fatalf("after %d diffs at %d: %v (id %d, want %d)", fl.Diffs, fl.Book.Time, err, fl.Book.Seq, want.Seq)
				}
			}

			replaytest.Send(t, c, `{"time":2,"channel":"`+tc.prefix+`.order_book","event":"subscribe","payload":`+tc.levels+`}`)
			for n := 0; n < 5; n++ {
				s := next(true)
				want, _ := f.Book(ctx, "BTC_USDT", s.Book.Time, 5)
				if s.Depth != 5 {
					t.Fatalf("order_book depth %d", s.Depth)
				}
				if err := booktest.Same(s.Book, want); err != nil || s.Book.Seq != want.Seq {
					t.Fatalf("order_book at %d: %v (id %d, want %d)", s.Book.Time, err, s.Book.Seq, want.Seq)
				}
			}
		})
	}
}

// spot.obu (order book v2) decodes too: its full push is the book at its
// time, of the stream's depth, and its diffs chain from it to the served
// book at every diff's time — so a recorded obu stream fills the books
// index (replay served none of it before).
func TestObuDecodes(t *testing.T) {
	ctx := context.Background()
	dec, f, srv := bookServer(t, "gate_io_spot")
	c := replaytest.Dial(t, srv.WSURL+"/ws/v4/")
	defer c.Close()
	replaytest.Send(t, c, `{"time":1,"channel":"spot.obu","event":"subscribe","payload":["ob.BTC_USDT.50"]}`)
	fl := booktest.Follower{Depth: 50}
	for fl.Diffs < 30 {
		raw := replaytest.ReadFrame(t, c, nil)
		sets, err := dec.DecodeBookFrame("/ws/v4/", raw)
		if err != nil {
			continue // the ack
		}
		if len(sets) != 1 || sets[0].Symbol != "BTC_USDT" {
			t.Fatalf("%+v: %s", sets, raw)
		}
		if fl.Book.Seq == 0 && (sets[0].Diff != nil || sets[0].Depth != 50) {
			t.Fatalf("the first push is not the full book of depth 50: %s", raw)
		}
		if err := fl.Apply(sets[0]); err != nil {
			t.Fatal(err)
		}
		want, _ := f.Book(ctx, "BTC_USDT", fl.Book.Time, 50)
		if err := booktest.Same(fl.Book, want); err != nil || fl.Book.Seq != want.Seq {
			t.Fatalf("after %d diffs at %d: %v (id %d, want %d)", fl.Diffs, fl.Book.Time, err, fl.Book.Seq, want.Seq)
		}
	}
	if _, err := dec.DecodeBookFrame("/ws/v4/", []byte(`{"channel":"spot.obu","event":"update","result":{"t":1,"s":"ob.BTC_USDT.7","u":5,"b":[],"a":[]}}`)); err == nil {
		t.Fatal("an obu push of an undocumented level decoded")
	}
}

// bookServer serves exchange id over a fake book of 150 levels a side on
// a clock at bookBase running 5 times as fast: the plugin's decoder, the
// book and the server.
func bookServer(t *testing.T, id string) (plugins.BookDecoder, *booktest.Fake, *replaytest.Server) {
	t.Helper()
	p, err := plugins.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	f := &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.1"), SizeScale: 4, Levels: 150}
	url, _ := booktest.Serve(t, p, bookPairs, f, replaytest.Clock(bookBase, 5))
	return p.(plugins.BookDecoder), f, replaytest.At(url)
}
