package hyperliquid_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: an l2Book by POST
// /info is the market's top 20 at its time (an aggregated one is not
// decoded), and every l2Book push is a whole snapshot of the top 20.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ id, coin string }{{"hyperliquid_perpetual", "BTC"}, {"hyperliquid_spot", "@142"}} {
		t.Run(tc.id, func(t *testing.T) {
			s := replaytest.Start(t, tc.id, nil, replaytest.Clock(bookBase, 10))
			sym := s.Env.Pairs[0].Symbol
			dec := s.Plugin.(plugins.BookDecoder)
			post := func(body string) []plugins.BookSet {
				t.Helper()
				status, resp := s.Post(t, "/info", body)
				req, _ := http.NewRequest(http.MethodPost, "/info", strings.NewReader(body))
				sets, err := dec.DecodeBook(req, resp)
				if status != 200 || (err != nil && !errors.Is(err, plugins.ErrNotBook)) {
					t.Fatalf("%d %v", status, err)
				}
				return sets
			}
			sets := post(`{"type":"l2Book","coin":"` + tc.coin + `"}`)
			if len(sets) != 1 || sets[0].Symbol != sym || sets[0].Depth != 20 || sets[0].Diff != nil || sets[0].Book.Seq != 0 {
				t.Fatalf("REST: %+v", sets)
			}
			want, _ := s.Env.Books.Book(ctx, sym, sets[0].Book.Time, 20)
			if err := booktest.Same(sets[0].Book, want); err != nil || len(want.Bids) != 20 {
				t.Fatalf("REST at %d: %v", sets[0].Book.Time, err)
			}
			if sets := post(`{"type":"l2Book","coin":"` + tc.coin + `","nSigFigs":3}`); sets != nil {
				t.Fatalf("an aggregated l2Book decoded: %+v", sets)
			}

			c := replaytest.Dial(t, s.WSURL+"/ws")
			defer c.Close()
			replaytest.Send(t, c, `{"method":"subscribe","subscription":{"type":"l2Book","coin":"`+tc.coin+`"}}`)
			var prev int64
			for n := 0; n < 8; {
				raw := replaytest.ReadFrame(t, c, nil)
				sets, err := dec.DecodeBookFrame("/ws", raw)
				if err != nil {
					continue // the ack
				}
				bk := sets[0].Book
				if len(sets) != 1 || sets[0].Symbol != sym || sets[0].Diff != nil || bk.Time <= prev {
					t.Fatalf("%+v after %d", sets, prev)
				}
				want, _ := s.Env.Books.Book(ctx, sym, bk.Time, 20)
				if err := booktest.Same(bk, want); err != nil {
					t.Fatalf("push at %d: %v", bk.Time, err)
				}
				prev = bk.Time
				n++
			}
		})
	}
}
