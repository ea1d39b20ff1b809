package binance

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
)

// TestBookDecoderRoundTrip encodes books and diffs of a deterministic
// book with the plugin's own depth encoders (REST, diff events, partial
// streams; spot and USD-M, raw and combined) and decodes them back.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := &booktest.Fake{Mid: cc.MustDecimal("50000.00"), Tick: cc.MustDecimal("0.10"), SizeScale: 4, Levels: 50}
	const at = int64(1_700_000_000_000_000)
	bk, err := f.Book(ctx, "BTCUSDT", at, 20)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.Diffs(ctx, "BTCUSDT", at, at+500_000, 100_000, 0)
	if err != nil || len(ds) == 0 {
		t.Fatalf("diffs: %v %d", err, len(ds))
	}
	for _, kind := range []Kind{Spot, Perpetual} {
		p := New(kind, Options{})
		s := &server{p: p}
		sp := symbolSpec{symbol: "BTCUSDT"}
		t.Run(p.Name(), func(t *testing.T) {
			path := "/api/v3/depth"
			if kind == Perpetual {
				path = "/fapi/v1/depth"
			}
			req, _ := http.NewRequest(http.MethodGet, path+"?symbol=btcusdt&limit=20", nil)
			sets, err := p.DecodeBook(req, s.appendDepth(nil, sp, bk, at/1000))
			if err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" || sets[0].Diff != nil || sets[0].Depth != 20 {
				t.Fatalf("REST: %v %+v", err, sets)
			}
			if err := booktest.Same(sets[0].Book, bk); err != nil || sets[0].Book.Seq != bk.Seq {
				t.Fatalf("REST book: %v (seq %d, want %d)", err, sets[0].Book.Seq, bk.Seq)
			}
			if kind == Perpetual && sets[0].Book.Time != at/1000*1000 {
				t.Fatalf("REST time %d", sets[0].Book.Time)
			}
			req, _ = http.NewRequest(http.MethodGet, "/api/v3/trades?symbol=BTCUSDT", nil)
			if _, err := p.DecodeBook(req, []byte(`[]`)); err == nil {
				t.Fatal("a trades body decoded as a book")
			}
			for _, combined := range []bool{false, true} {
				c := &conn{}
				c.combined.Store(combined)
				prev := bk.Seq
				for _, d := range ds {
					fr := s.wrap(c, "btcusdt@depth@100ms", s.appendDepthEvent(nil, sp, d.Time/1000, d.FirstSeq, d.LastSeq, prev, d.Bids, d.Asks))
					prev = d.LastSeq
					sets, err := p.DecodeBookFrame("/ws/btcusdt@depth@100ms", fr)
					if err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" || sets[0].Diff == nil {
						t.Fatalf("diff event: %v %+v", err, sets)
					}
					g := *sets[0].Diff
					if g.FirstSeq != d.FirstSeq || g.LastSeq != d.LastSeq || g.Time != d.Time/1000*1000 {
						t.Fatalf("diff ids/time %d-%d@%d, want %d-%d@%d", g.FirstSeq, g.LastSeq, g.Time, d.FirstSeq, d.LastSeq, d.Time)
					}
					if err := booktest.Same(cc.Book{Bids: g.Bids, Asks: g.Asks}, cc.Book{Bids: d.Bids, Asks: d.Asks}); err != nil {
						t.Fatalf("diff levels: %v", err)
					}
				}
				// A partial stream: a snapshot of its depth.
				top, _ := f.Book(ctx, "BTCUSDT", at, 5)
				var fr []byte
				if kind == Perpetual {
					fr = s.appendDepthEvent(nil, sp, at/1000, bk.Seq+1, top.Seq, bk.Seq, top.Bids, top.Asks)
				} else {
					fr = []byte(`{"lastUpdateId":` + itoa(top.Seq) + `,"bids":`)
					fr = s.appendLevels(fr, sp, top.Bids)
					fr = append(fr, `,"asks":`...)
					fr = append(s.appendLevels(fr, sp, top.Asks), '}')
				}
				sets, err := p.DecodeBookFrame("/ws/btcusdt@depth5@100ms", s.wrap(c, "btcusdt@depth5@100ms", fr))
				if err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" || sets[0].Diff != nil || sets[0].Depth != 5 {
					t.Fatalf("partial: %v %+v", err, sets)
				}
				if err := booktest.Same(sets[0].Book, top); err != nil || sets[0].Book.Seq != top.Seq {
					t.Fatalf("partial book: %v", err)
				}
				if _, err := p.DecodeBookFrame("/ws/btcusdt@trade", s.wrap(c, "btcusdt@trade", []byte(`{"e":"trade","s":"BTCUSDT"}`))); err == nil {
					t.Fatal("a trade event decoded as a book")
				}
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
