package ascendex_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: the REST depth is
// the market's book with seqnum as Seq, and depth:BTC/USDT applied to the
// WS depth-snapshot as AscendEX documents gives the market's book after
// every step with its seqnum.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(bookBase, 5))
	dec := s.Plugin.(plugins.BookDecoder)
	const path = "/api/pro/v1/depth?symbol=BTC/USDT"
	status, body := s.Get(t, path)
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	sets, err := dec.DecodeBook(req, body)
	if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != "BTC/USDT" || sets[0].Diff != nil {
		t.Fatalf("REST: %d %v %+v", status, err, sets)
	}
	want, _ := s.Env.Books.Book(ctx, "BTC/USDT", sets[0].Book.Time, 500)
	if err := booktest.Same(sets[0].Book, want); err != nil || sets[0].Book.Seq != want.Seq {
		t.Fatalf("REST at %d: %v (seqnum %d, want %d)", sets[0].Book.Time, err, sets[0].Book.Seq, want.Seq)
	}

	c := replaytest.Dial(t, s.WSURL+"/1/api/pro/v1/stream")
	defer c.Close()
	replaytest.Send(t, c, `{"op":"sub","id":"d","ch":"depth:BTC/USDT"}`)
	next := func() plugins.BookSet {
		for {
			raw := replaytest.ReadFrame(t, c, nil)
			sets, err := dec.DecodeBookFrame("/1/api/pro/v1/stream", raw)
			if err != nil {
				continue // the connected message, the ack
			}
			if len(sets) != 1 || sets[0].Symbol != "BTC/USDT" {
				t.Fatalf("%+v: %s", sets, raw)
			}
			return sets[0]
		}
	}
	buf := []plugins.BookSet{next()}
	replaytest.Send(t, c, `{"op":"req","action":"depth-snapshot","id":"s","args":{"symbol":"BTC/USDT"}}`)
	fl := booktest.Follower{}
	for fl.Snapshots == 0 {
		s := next()
		if s.Diff != nil {
			buf = append(buf, s)
			continue
		}
		if err := fl.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		want, _ := s.Env.Books.Book(ctx, "BTC/USDT", fl.Book.Time, 500)
		if err := booktest.Same(fl.Book, want); err != nil || fl.Book.Seq != want.Seq {
			t.Fatalf("after %d diffs at %d: %v (seqnum %d, want %d)", fl.Diffs, fl.Book.Time, err, fl.Book.Seq, want.Seq)
		}
	}
	for steps := 0; steps < 30; {
		var d plugins.BookSet
		if len(buf) > 0 {
			d, buf = buf[0], buf[1:]
		} else {
			d = next()
		}
		if d.Diff == nil || (fl.Diffs == 0 && d.Diff.LastSeq <= fl.Book.Seq) {
			continue
		}
		// A step is a message per seqnum, all at its ts.
		if fl.Diffs > 0 && d.Diff.Time != fl.Book.Time {
			check()
			steps++
		}
		if err := fl.Apply(d); err != nil {
			t.Fatal(err)
		}
	}
}
