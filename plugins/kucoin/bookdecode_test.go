package kucoin_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/kucoin"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// decodeFake's sizes are whole XBTUSDTM contracts (0.001 BTC), so the
// futures encoder's contract counts convert back exactly.
func decodeFake() *booktest.Fake {
	return &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.5"), SizeScale: 3, Levels: 60}
}

var decodeT0 = time.Date(2026, 11, 25, 12, 34, 50, 0, time.UTC)

// The book decoder reads back what the plugin serves: every REST book is
// the market's book (futures contracts back in BTC) with sequence as Seq
// (spot: the market's update id; futures: the plugin's count of level2
// messages, checked against the stream), the level2 diffs applied to a
// REST snapshot as KuCoin documents give the market's book after every
// step (spot with its update id; futures one sequence a message, each
// the last + 1, the step's last one the sequence REST snapshots and the
// depth5 pushes at that instant carry), and the level2Depth5 pushes are
// the top 5.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		p           *kucoin.Plugin
		sym         string
		rest        map[string]int // path -> depth
		full, diffs string
		depth5      string
	}{
		{kucoin.Spot, "BTC-USDT", map[string]int{"/api/v1/market/orderbook/level2_20": 20, "/api/v1/market/orderbook/level2_100": 100, "/api/v3/market/orderbook/level2": 0},
			"/api/v3/market/orderbook/level2", "/market/level2:BTC-USDT", "/spotMarket/level2Depth5:BTC-USDT"},
		{kucoin.Perpetual, "XBTUSDTM", map[string]int{"/api/v1/level2/depth20": 20, "/api/v1/level2/depth100": 100, "/api/v1/level2/snapshot": 0},
			"/api/v1/level2/snapshot", "/contractMarket/level2:XBTUSDTM", "/contractMarket/level2Depth5:XBTUSDTM"},
	} {
		t.Run(tc.p.Name(), func(t *testing.T) {
			futures := tc.p == kucoin.Perpetual
			var snaps []cc.Book // futures REST books and depth5 pushes, by their sequence
			f := decodeFake()
			url, _ := booktest.Serve(t, tc.p, pairs, f, replaytest.Clock(decodeT0, 5))
			srv := replaytest.At(url)
			rest := func(path string) plugins.BookSet {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path+"?symbol="+tc.sym, nil)
				for _, k := range []string{"KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE"} {
					req.Header.Set(k, "x")
				}
				status, body := srv.Do(t, req)
				sets, err := tc.p.DecodeBook(req, body)
				if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != tc.sym || sets[0].Diff != nil || sets[0].Depth != tc.rest[path] {
					t.Fatalf("%s: %d %v %+v", path, status, err, sets)
				}
				want, _ := f.Book(ctx, tc.sym, sets[0].Book.Time, tc.rest[path])
				if futures {
					snaps = append(snaps, sets[0].Book)
					want.Seq = sets[0].Book.Seq // checked against the stream below
				}
				if err := booktest.Same(sets[0].Book, want); err != nil || sets[0].Book.Seq != want.Seq {
					t.Fatalf("%s at %d: %v (seq %d, want %d)", path, sets[0].Book.Time, err, sets[0].Book.Seq, want.Seq)
				}
				return sets[0]
			}
			for path := range tc.rest {
				rest(path)
			}

			c := dialKucoin(t, srv)
			defer c.Close()
			replaytest.Send(t, c, `{"id":"1","type":"subscribe","topic":"`+tc.diffs+`","response":true}`)
			next := func() *cc.BookDiff {
				for {
					raw := replaytest.ReadFrame(t, c, nil)
					sets, err := tc.p.DecodeBookFrame("/", raw)
					if errors.Is(err, plugins.ErrNotBook) && len(sets) == 0 {
						continue // the ack, a ping
					}
					if err != nil || len(sets) != 1 || sets[0].Symbol != tc.sym || sets[0].Diff == nil {
						t.Fatalf("%v %+v: %s", err, sets, raw)
					}
					return sets[0].Diff
				}
			}
			buf := []*cc.BookDiff{next()}
			fl := booktest.Follower{}
			if err := fl.Apply(rest(tc.full)); err != nil {
				t.Fatal(err)
			}
			stepSeq := map[int64]int64{} // futures: the sequence after each step
			check := func() {
				t.Helper()
				want, _ := f.Book(ctx, tc.sym, fl.Book.Time, 0)
				if futures {
					want.Seq = fl.Book.Seq
					stepSeq[fl.Book.Time] = fl.Book.Seq
				}
				if err := booktest.Same(fl.Book, want); err != nil || fl.Book.Seq != want.Seq {
					t.Fatalf("after %d diffs at %d: %v (seq %d, want %d)", fl.Diffs, fl.Book.Time, err, fl.Book.Seq, want.Seq)
				}
			}
			steps := 0
			pump := func(d *cc.BookDiff) {
				t.Helper()
				if d.LastSeq <= fl.Book.Seq && !(fl.Diffs > 0 && d.FirstSeq == fl.Book.Seq) {
					return // before the snapshot
				}
				if futures && (d.FirstSeq != fl.Book.Seq+1 || d.LastSeq != d.FirstSeq) {
					t.Fatalf("futures change %d-%d after %d", d.FirstSeq, d.LastSeq, fl.Book.Seq)
				}
				// A futures step is one message a change, all at its
				// time: the book is whole when the time moves on.
				if fl.Diffs > 0 && d.Time != fl.Book.Time {
					check()
					steps++
				}
				if err := fl.Apply(plugins.BookSet{Symbol: tc.sym, Diff: d}); err != nil {
					t.Fatal(err)
				}
			}
			for steps < 30 {
				var d *cc.BookDiff
				if len(buf) > 0 {
					d, buf = buf[0], buf[1:]
				} else {
					d = next()
				}
				pump(d)
			}
			if futures {
				snaps = append(snaps, rest(tc.full).Book)
			}
			replaytest.Send(t, c, `{"id":"2","type":"subscribe","topic":"`+tc.depth5+`","response":true}`)
			for n := 0; n < 5; {
				raw := replaytest.ReadFrame(t, c, nil)
				sets, err := tc.p.DecodeBookFrame("/", raw)
				if err == nil && sets[0].Diff != nil {
					pump(sets[0].Diff) // the diffs still coming
				}
				if err != nil || sets[0].Diff != nil {
					continue // the ack, the diffs
				}
				s := sets[0]
				want, _ := f.Book(ctx, tc.sym, s.Book.Time, 5)
				if s.Depth != 5 || s.Symbol != tc.sym {
					t.Fatalf("%+v", s)
				}
				if futures {
					snaps = append(snaps, s.Book)
				}
				want.Seq = s.Book.Seq // spot's carry none
				if err := booktest.Same(s.Book, want); err != nil || s.Book.Seq != want.Seq {
					t.Fatalf("depth5 at %d: %v (seq %d, want %d)", s.Book.Time, err, s.Book.Seq, want.Seq)
				}
				n++
			}
			if !futures {
				return
			}
			// Each futures REST book and depth5 push carries the sequence
			// of the last change the stream sent up to its instant.
			last := snaps[len(snaps)-1].Time
			for fl.Book.Time <= last {
				sets, err := tc.p.DecodeBookFrame("/", replaytest.ReadFrame(t, c, nil))
				if err == nil && sets[0].Diff != nil {
					pump(sets[0].Diff) // not the depth5 pushes
				}
			}
			checked := 0
			for _, b := range snaps {
				if b.Time < fl.Book.Time-10_000_000 || b.Time > last {
					continue
				}
				var at, seq int64
				for tm, sq := range stepSeq {
					if tm <= b.Time && tm > at {
						at, seq = tm, sq
					}
				}
				if at == 0 {
					continue // before the stream's first step
				}
				if b.Seq != seq {
					t.Fatalf("book at %d has sequence %d; the stream's last change up to it %d (step %d)", b.Time, b.Seq, seq, at)
				}
				checked++
			}
			if checked < 3 {
				t.Fatalf("only %d of %d books inside the stream", checked, len(snaps))
			}
		})
	}
}
