package coinbase_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/coinbase"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: product_book is
// the market's book of the limit asked at its time, and the level2
// snapshot with its updates applied is the market's book at every
// message's timestamp.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	p := &coinbase.Plugin{}
	f := bookFake()
	srv := bookServer(t, replaytest.Clock(bookT0, 8), f)
	const path = "/api/v3/brokerage/market/product_book?product_id=BTC-USD&limit=50"
	status, body := srv.Get(t, path)
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	sets, err := p.DecodeBook(req, body)
	if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != "BTC-USD" || sets[0].Depth != 50 || sets[0].Diff != nil || sets[0].Book.Time == 0 {
		t.Fatalf("REST: %d %v %+v", status, err, sets)
	}
	want, _ := f.Book(ctx, "BTC-USD", sets[0].Book.Time, 50)
	if err := booktest.Same(sets[0].Book, want); err != nil || len(want.Bids) != 50 {
		t.Fatalf("REST at %d: %v", sets[0].Book.Time, err)
	}

	c := replaytest.Dial(t, srv.WSURL+"/")
	defer c.Close()
	replaytest.Send(t, c, `{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}`)
	fl := booktest.Follower{Depth: 1000}
	for fl.Diffs < 30 {
		raw := replaytest.ReadFrame(t, c, nil)
		sets, err := p.DecodeBookFrame("/", raw)
		if err != nil {
			continue // subscriptions, heartbeats
		}
		s := sets[0]
		if len(sets) != 1 || s.Symbol != "BTC-USD" || (s.Diff == nil) != (fl.Snapshots == 0) {
			t.Fatalf("%+v after %d snapshots", sets, fl.Snapshots)
		}
		if err := fl.Apply(s); err != nil {
			t.Fatal(err)
		}
		want, _ := f.Book(ctx, "BTC-USD", fl.Book.Time, 1000)
		if err := booktest.Same(fl.Book, want); err != nil {
			t.Fatalf("after %d updates at %d: %v", fl.Diffs, fl.Book.Time, err)
		}
	}
}

// The Exchange feed's level2 shape, as its documentation shows it, is
// read too: a snapshot without a time, l2update changes by side.
func TestBookDecoderReadsTheExchangeLevel2(t *testing.T) {
	p := &coinbase.Plugin{}
	sets, err := p.DecodeBookFrame("/", []byte(`{"type":"snapshot","product_id":"BTC-USD","bids":[["10101.10","0.45054140"],["10101.20","1"]],"asks":[["10102.55","0.57753524"]]}`))
	if err != nil || len(sets) != 1 || sets[0].Diff != nil || sets[0].Book.Time != 0 || len(sets[0].Book.Bids) != 2 ||
		sets[0].Book.Bids[0].Price.String() != "10101.20" || sets[0].Book.Asks[0].Size.String() != "0.57753524" {
		t.Fatalf("snapshot: %v %+v", err, sets)
	}
	sets, err = p.DecodeBookFrame("/", []byte(`{"type":"l2update","product_id":"BTC-USD","time":"2019-08-14T20:42:27.265Z","changes":[["buy","10101.80000000","0.162567"],["sell","10102.00","0"]]}`))
	if err != nil || len(sets) != 1 || sets[0].Diff == nil || sets[0].Diff.Time != 1565815347265000 || len(sets[0].Diff.Bids) != 1 ||
		len(sets[0].Diff.Asks) != 1 || !sets[0].Diff.Asks[0].Size.IsZero() || sets[0].Diff.LastSeq != 0 {
		t.Fatalf("l2update: %v %+v", err, sets)
	}
	if _, err := p.DecodeBookFrame("/", []byte(`{"type":"l2update","product_id":"BTC-USD","changes":[["hold","1","1"]]}`)); err == nil {
		t.Fatal("a change of side hold decoded")
	}
	if _, err := p.DecodeBookFrame("/", []byte(`{"channel":"candles","events":[{"type":"snapshot","candles":[]}]}`)); err != plugins.ErrNotBook {
		t.Fatalf("a candles snapshot: %v", err)
	}
}
