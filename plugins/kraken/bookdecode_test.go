package kraken_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/plugins/kraken"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// The book decoder reads back what the plugin serves: the REST Depth is
// the market's book of the count asked, and a v2 book snapshot (its
// checksum checked: a changed digit is refused) with its updates
// applied and truncated to the depth, as Kraken's guide says, is the
// market's book at every update's timestamp.
func TestBookDecoderRoundTrip(t *testing.T) {
	ctx := context.Background()
	p := &kraken.Plugin{}
	f := &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.1"), SizeScale: 8, Levels: 300}

	url := bookServer(t, replaytest.Clock(bookT0, 0), f)
	const path = "/0/public/Depth?pair=XBTUSD&count=50"
	status, body := replaytest.At(url).Get(t, path)
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	sets, err := p.DecodeBook(req, body)
	if status != 200 || err != nil || len(sets) != 1 || sets[0].Symbol != "XBT/USD" || sets[0].Depth != 50 || sets[0].Diff != nil || sets[0].Book.Time != 0 {
		t.Fatalf("REST: %d %v %+v", status, err, sets)
	}
	want, _ := f.Book(ctx, "XBT/USD", kit.BookTime(bookT0.UnixMilli()), 50)
	if err := booktest.Same(sets[0].Book, want); err != nil {
		t.Fatalf("REST: %v", err)
	}

	url = bookServer(t, replaytest.Clock(bookT0, 25), f)
	for _, depth := range []int{10, 100} {
		c := replaytest.Dial(t, url+"/v2")
		replaytest.Send(t, c, `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":`+strconv.Itoa(depth)+`},"req_id":7}`)
		fl := booktest.Follower{Depth: depth}
		for fl.Diffs < 30 {
			raw := replaytest.ReadFrame(t, c, nil)
			sets, err := p.DecodeBookFrame("/v2", raw)
			if err != nil {
				continue // status, the ack, heartbeats
			}
			s := sets[0]
			if len(sets) != 1 || s.Symbol != "XBT/USD" {
				t.Fatalf("%+v", sets)
			}
			if s.Diff == nil {
				if fl.Snapshots > 0 || s.Depth != depth || len(s.Book.Bids) != depth || s.Book.Time != 0 {
					t.Fatalf("depth %d: a snapshot of depth %d (%d bids) after %d", depth, s.Depth, len(s.Book.Bids), fl.Snapshots)
				}
				// One digit of a quantity changed: the checksum refuses it.
				i := bytes.Index(raw, []byte(`"qty":`)) + len(`"qty":`)
				bad := append([]byte(nil), raw...)
				bad[i] = '0' + (bad[i]-'0'+1)%10
				if _, err := p.DecodeBookFrame("/v2", bad); err == nil {
					t.Fatalf("a snapshot with a changed quantity decoded: %.200s", bad)
				}
			}
			if err := fl.Apply(s); err != nil {
				t.Fatal(err)
			}
			if s.Diff != nil {
				want, _ := f.Book(ctx, "XBT/USD", fl.Book.Time, depth)
				if err := booktest.Same(fl.Book, want); err != nil || fl.Book.Seq != 0 {
					t.Fatalf("depth %d after %d updates at %d: %v", depth, fl.Diffs, fl.Book.Time, err)
				}
			}
		}
		c.Close()
	}
}

var _ plugins.BookDecoder = (*kraken.Plugin)(nil)
