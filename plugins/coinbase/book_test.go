package coinbase_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sort"
	"strconv"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/coinbase"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/synth"
)

var bookT0 = time.Date(2026, 11, 25, 12, 34, 50, 0, time.UTC)

func bookFake() *booktest.Fake {
	return &booktest.Fake{Mid: cc.MustDecimal("50000.00"), Tick: cc.MustDecimal("0.01"), SizeScale: 8, Levels: 1100, Quantum: 50_000}
}

func bookServer(t *testing.T, clock *cc.Clock, books cc.Books) *replaytest.Server {
	p := &coinbase.Plugin{}
	bp := []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}
	m := synth.New(synth.Options{Seed: 3, Exchange: p.Name(), Pairs: []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000, Symbol: "BTC-USD"}}})
	env := booktest.Env(p, m, clock, bp, books)
	srv := httptest.NewServer(p.Handler(env))
	t.Cleanup(func() {
		env.Hub.CloseAll(1001, "test over")
		srv.Close()
	})
	return replaytest.At(srv.URL)
}

type l2Msg struct {
	Type        string `json:"type"`
	Channel     string `json:"channel"`
	Timestamp   string `json:"timestamp"`
	SequenceNum int64  `json:"sequence_num"`
	Events      []struct {
		Type      string `json:"type"`
		ProductID string `json:"product_id"`
		Updates   []struct {
			Side        string `json:"side"`
			EventTime   string `json:"event_time"`
			PriceLevel  string `json:"price_level"`
			NewQuantity string `json:"new_quantity"`
		} `json:"updates"`
	} `json:"events"`
}

type productBook struct {
	Pricebook struct {
		ProductID  string `json:"product_id"`
		Bids, Asks []struct{ Price, Size string }
		Time       string
	}
	Last           string
	MidMarket      string `json:"mid_market"`
	SpreadBps      string `json:"spread_bps"`
	SpreadAbsolute string `json:"spread_absolute"`
}

// A client keeping the level2 book the way Coinbase documents it (the
// snapshot, then each update's new quantities, sequence_num one more per
// message on the connection) holds the market's book at every message's
// timestamp over 10 s of virtual time, never crossed, and meets a REST
// product_book taken meanwhile.
func TestLevel2SyncsAsCoinbaseDocuments(t *testing.T) {
	for _, src := range []string{"fake", "synth"} {
		t.Run(src, func(t *testing.T) {
			clock := replaytest.Clock(bookT0, 8) // slow enough for the server to keep up under -race, so the REST book is soon reached
			var books cc.Books = bookFake()
			var srv *replaytest.Server
			if src == "synth" {
				srv = replaytest.Start(t, "coinbase_advanced_trade", []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}, clock)
				books = srv.Env.Books
			} else {
				srv = bookServer(t, clock, books)
			}
			c := replaytest.Dial(t, srv.WSURL+"/")
			replaytest.Send(t, c, `{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}`)
			cl := booktest.NewClient()
			var st booktest.Steps
			seq := int64(-1)
			seen := map[int64]cc.Book{}
			var seenTs []int64
			var rest productBook
			var restAt int64
			for st.Last-st.First < 10_000_000 || st.Last < restAt {
				var m l2Msg
				raw := replaytest.ReadFrame(t, c, &m)
				if m.Type == "error" {
					t.Fatalf("%s", raw)
				}
				if m.SequenceNum != seq+1 {
					t.Fatalf("sequence_num %d after %d", m.SequenceNum, seq)
				}
				seq = m.SequenceNum
				if m.Channel == "subscriptions" {
					if !json.Valid(raw) || string(raw) == "" || st.Snapshots > 0 {
						t.Fatalf("%s", raw)
					}
					continue
				}
				if m.Channel != "l2_data" || len(m.Events) != 1 || m.Events[0].ProductID != "BTC-USD" {
					t.Fatalf("%.300s", raw)
				}
				ev := m.Events[0]
				switch {
				case ev.Type == "snapshot" && st.Snapshots == 0:
					st.Snapshots++
				case ev.Type == "update" && st.Snapshots == 1:
					st.Updates++
				default:
					t.Fatalf("%.300s", raw)
				}
				for _, u := range ev.Updates {
					if u.Side != "bid" && u.Side != "offer" || u.EventTime != m.Timestamp {
						t.Fatalf("update %+v in %.200s", u, raw)
					}
					if err := cl.Set(u.Side == "bid", u.PriceLevel, u.NewQuantity); err != nil {
						t.Fatal(err)
					}
				}
				ts, err := time.Parse(time.RFC3339Nano, m.Timestamp)
				if err != nil {
					t.Fatal(err)
				}
				if err := cl.Crossed(); err != nil {
					t.Fatalf("at %s: %v", m.Timestamp, err)
				}
				if n := st.Snapshots + st.Updates; n < 5 || n%8 == 0 {
					// The whole book, every 8th message (2000 levels
					// sorted each time would make the test crawl).
					want, _ := books.Book(context.Background(), "BTC-USD", ts.UnixMicro(), 1000)
					if err := booktest.Same(cl.Book(0), want); err != nil {
						t.Fatalf("at %s: %v", m.Timestamp, err)
					}
				}
				at := ts.UnixMicro()
				if st.First == 0 {
					st.First = at
				} else if restAt == 0 && at-st.First > 1_000_000 {
					srv.GetJSON(t, "/api/v3/brokerage/market/product_book?product_id=BTC-USD&limit=20", &rest)
					rt, err := time.Parse(time.RFC3339Nano, rest.Pricebook.Time)
					if err != nil {
						t.Fatal(err)
					}
					restAt = rt.UnixMicro()
				}
				st.Last = at
				if restAt != 0 && at <= restAt && at > restAt-200_000 {
					seen[at] = cl.Book(20)
					seenTs = append(seenTs, at)
				}
			}
			least := 50
			if src == "synth" {
				least = 3
			}
			if err := st.Long(10_000_000, least); err != nil {
				t.Fatal(err)
			}
			// The REST book is the client's as of the last message at or
			// before its time.
			i := sort.Search(len(seenTs), func(i int) bool { return seenTs[i] > restAt }) - 1
			if i < 0 {
				t.Fatal("no message before the REST book")
			}
			rc := booktest.NewClient()
			for _, l := range rest.Pricebook.Bids {
				rc.Set(true, l.Price, l.Size)
			}
			for _, l := range rest.Pricebook.Asks {
				rc.Set(false, l.Price, l.Size)
			}
			if err := booktest.Same(rc.Book(0), seen[seenTs[i]]); err != nil {
				t.Fatalf("REST book at %s: %v", rest.Pricebook.Time, err)
			}
		})
	}
}

// product_book: limit levels a side (all without one), the spread
// figures from the touch, and Coinbase's errors.
func TestProductBook(t *testing.T) {
	f := bookFake()
	srv := bookServer(t, replaytest.Clock(bookT0.Add(37*time.Millisecond), 0), f)
	want, _ := f.Book(context.Background(), "BTC-USD", bookT0.UnixMicro(), 0)
	for _, tc := range []struct {
		query string
		n     int
	}{{"&limit=1", 1}, {"&limit=50", 50}, {"", len(want.Bids)}} {
		var r productBook
		status, body := srv.GetJSON(t, "/api/v3/brokerage/market/product_book?product_id=BTC-USD"+tc.query, &r)
		if status != 200 || r.Pricebook.ProductID != "BTC-USD" || len(r.Pricebook.Bids) != tc.n || r.Pricebook.Time != "2026-11-25T12:34:50Z" {
			t.Fatalf("%s: %d %.300s", tc.query, status, body)
		}
		bid, ask := want.Bids[0].Price.Float64(), want.Asks[0].Price.Float64()
		mid, _ := strconv.ParseFloat(r.MidMarket, 64)
		spread, _ := strconv.ParseFloat(r.SpreadAbsolute, 64)
		bps, _ := strconv.ParseFloat(r.SpreadBps, 64)
		if mid < (bid+ask)/2-1e-6 || mid > (bid+ask)/2+1e-6 || spread < ask-bid-1e-9 || spread > ask-bid+1e-9 || bps < 1e4*spread/mid*0.999999 || bps > 1e4*spread/mid*1.000001 || r.Last == "" {
			t.Errorf("%s: last %s mid %s spread %s bps %s for %v/%v", tc.query, r.Last, r.MidMarket, r.SpreadAbsolute, r.SpreadBps, bid, ask)
		}
		if r.Pricebook.Bids[0].Price != want.Bids[0].Price.String() && r.Pricebook.Bids[0].Price+"0" != want.Bids[0].Price.String() {
			t.Errorf("best bid %s, want %s", r.Pricebook.Bids[0].Price, want.Bids[0].Price)
		}
	}
	for _, tc := range []struct {
		query  string
		status int
	}{{"product_id=DOGE-USD", 404}, {"product_id=BTC-USD&limit=x", 400}, {"", 400}} {
		if status, body := srv.Get(t, "/api/v3/brokerage/market/product_book?"+tc.query); status != tc.status {
			t.Errorf("%s: %d %s", tc.query, status, body)
		}
	}
}
