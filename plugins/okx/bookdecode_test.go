package okx_test

import (
	"context"
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: a REST books body
// is the market's book (sizes in the base asset for a swap), a books
// channel's snapshot and updates, applied as OKX documents, are the
// market's book at each push with seqId as Seq, and books5 pushes are
// snapshots of 5 levels.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, ex := range []*okx.Exchange{okx.Spot, okx.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			f := bookFake()
			url := bookServer(t, ex, replaytest.Clock(bookT0, 25), f)
			inst := ex.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
			status, body := replaytest.At(url).Get(t, "/api/v5/market/books?instId="+inst+"&sz=20")
			req, _ := http.NewRequest(http.MethodGet, "/api/v5/market/books?instId="+inst+"&sz=20", nil)
			sets, err := ex.DecodeBook(req, body)
			if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != inst || sets[0].Depth != 20 || sets[0].Diff != nil {
				t.Fatalf("REST: %d %v %+v", status, err, sets)
			}
			want, _ := f.Book(ctx, inst, sets[0].Book.Time, 20)
			if err := booktest.Same(sets[0].Book, want); err != nil {
				t.Fatalf("REST book at %d: %v", sets[0].Book.Time, err)
			}
			for _, channel := range []string{"books", "books5"} {
				c := replaytest.Dial(t, url+"/ws/v5/public")
				replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"`+channel+`","instId":"`+inst+`"}]}`)
				var bk cc.Book
				pushes := 0
				for pushes < 20 {
					raw := replaytest.ReadFrame(t, c, nil)
					sets, err := ex.DecodeBookFrame("/ws/v5/public", raw)
					if err != nil {
						continue // the subscribe ack
					}
					if len(sets) != 1 || sets[0].Symbol != inst {
						t.Fatalf("%s: %+v", raw, sets)
					}
					s := sets[0]
					depth := 400
					if channel == "books5" {
						depth = 5
					}
					switch {
					case s.Diff == nil:
						if pushes > 0 && channel == "books" || s.Depth != depth {
							t.Fatalf("%s: a snapshot of depth %d after %d pushes", channel, s.Depth, pushes)
						}
						bk = s.Book
					case channel == "books5" || pushes == 0:
						t.Fatalf("%s: a diff first", channel)
					default:
						if s.Diff.FirstSeq != bk.Seq+1 {
							t.Fatalf("diff %d-%d after %d", s.Diff.FirstSeq, s.Diff.LastSeq, bk.Seq)
						}
						if err := kit.ApplyBookDiff(&bk, *s.Diff, depth); err != nil {
							t.Fatal(err)
						}
					}
					pushes++
					want, _ := f.Book(ctx, inst, bk.Time, depth)
					if err := booktest.Same(bk, want); err != nil || bk.Seq != want.Seq {
						t.Fatalf("%s push %d at %d: %v (seq %d, want %d)", channel, pushes, bk.Time, err, bk.Seq, want.Seq)
					}
				}
				c.Close()
			}
		})
	}
}
