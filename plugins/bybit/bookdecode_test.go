package bybit_test

import (
	"context"
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: the REST orderbook
// is the market's book with seq as Seq, and an orderbook.200 snapshot
// followed by its deltas, applied in order, is the market's book at every
// push with seq as Seq.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, ex := range []*bybit.Exchange{bybit.Spot, bybit.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			f := bookFake()
			srv := bookServer(t, ex, replaytest.Clock(bookT0, 25), f)
			q := "/v5/market/orderbook?category=" + ex.Category() + "&symbol=BTCUSDT&limit=50"
			status, body := srv.Get(t, q)
			req, _ := http.NewRequest(http.MethodGet, q, nil)
			sets, err := ex.DecodeBook(req, body)
			if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" || sets[0].Depth != 50 || sets[0].Diff != nil {
				t.Fatalf("REST: %d %v %+v", status, err, sets)
			}
			want, _ := f.Book(ctx, "BTCUSDT", sets[0].Book.Time, 50)
			if err := booktest.Same(sets[0].Book, want); err != nil || sets[0].Book.Seq != want.Seq {
				t.Fatalf("REST book: %v", err)
			}
			path := "/v5/public/spot"
			if ex == bybit.Perpetual {
				path = "/v5/public/linear"
			}
			c := replaytest.Dial(t, srv.WSURL+path)
			defer c.Close()
			replaytest.Send(t, c, `{"op":"subscribe","req_id":"1","args":["orderbook.200.BTCUSDT"]}`)
			var bk cc.Book
			for pushes := 0; pushes < 20; {
				raw := replaytest.ReadFrame(t, c, nil)
				sets, err := ex.DecodeBookFrame(path, raw)
				if err != nil {
					continue // the ack
				}
				s := sets[0]
				switch {
				case s.Diff == nil:
					if pushes > 0 || s.Depth != 200 {
						t.Fatalf("a snapshot of depth %d after %d pushes", s.Depth, pushes)
					}
					bk = s.Book
				case pushes == 0:
					t.Fatal("a delta first")
				default:
					if err := bk.ApplyDiff(*s.Diff, 200); err != nil {
						t.Fatal(err)
					}
				}
				pushes++
				want, _ := f.Book(ctx, "BTCUSDT", bk.Time, 200)
				if err := booktest.Same(bk, want); err != nil || bk.Seq != want.Seq {
					t.Fatalf("push %d at %d: %v (seq %d, want %d)", pushes, bk.Time, err, bk.Seq, want.Seq)
				}
			}
		})
	}
}
