package kraken_test

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/kraken"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/synth"
)

// Kraken's book checksum guide (v1; v2 computes it the same way) gives
// this book of ten asks and ten bids of 0.00000500 and its checksum.
func TestChecksumMatchesKrakensGuide(t *testing.T) {
	var asks, bids [][2]string
	for _, p := range []string{"0.05005", "0.05010", "0.05015", "0.05020", "0.05025", "0.05030", "0.05035", "0.05040", "0.05045", "0.05050"} {
		asks = append(asks, [2]string{p, "0.00000500"})
	}
	for _, p := range []string{"0.05000", "0.04995", "0.04990", "0.04980", "0.04975", "0.04970", "0.04965", "0.04960", "0.04955", "0.04950"} {
		bids = append(bids, [2]string{p, "0.00000500"})
	}
	if got := kraken.Checksum(asks, bids); got != 974947235 {
		t.Errorf("checksum %d, want 974947235", got)
	}
	// Levels past the tenth do not count.
	more := append(asks, [2]string{"0.06", "1.00000000"})
	if got := kraken.Checksum(more, bids); got != 974947235 {
		t.Errorf("11 asks: checksum %d, want 974947235", got)
	}
}

var bookT0 = time.Date(2026, 11, 25, 12, 34, 50, 0, time.UTC)

func bookServer(t *testing.T, clock *cc.Clock, books cc.Books) string {
	p := &kraken.Plugin{}
	bp := []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}
	m := synth.New(synth.Options{Seed: 3, Exchange: kraken.Name, Pairs: []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000, Symbol: p.Symbol(bp[0])}}})
	env := booktest.Env(p, m, clock, bp, books)
	srv := httptest.NewServer(p.Handler(env))
	t.Cleanup(func() {
		env.Hub.CloseAll(1001, "test over")
		srv.Close()
	})
	return srv.URL
}

type krakenLevel struct {
	Price json.Number `json:"price"`
	Qty   json.Number `json:"qty"`
}

type bookMsg struct {
	Channel string `json:"channel"`
	Type    string `json:"type"`
	Data    []struct {
		Symbol    string        `json:"symbol"`
		Bids      []krakenLevel `json:"bids"`
		Asks      []krakenLevel `json:"asks"`
		Checksum  uint32        `json:"checksum"`
		Timestamp string        `json:"timestamp"`
	} `json:"data"`
}

// A client keeping the v2 book the way Kraken's guide says (apply every
// level of a message, truncate to the depth, then check the CRC-32 of the
// top ten) agrees with each checksum and holds the market's book at each
// update's timestamp, over 10 s of virtual time, never crossed.
func TestBookChannelSyncsAsKrakensGuide(t *testing.T) {
	for _, src := range []string{"fake", "synth"} {
		for _, depth := range []int{10, 100, 500} {
			if src == "synth" && depth == 500 {
				continue
			}
			t.Run(src+" depth "+itoa(depth), func(t *testing.T) {
				clock := replaytest.Clock(bookT0, 25)
				var books cc.Books = &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.1"), SizeScale: 8, Levels: 1500}
				var url string
				if src == "synth" {
					srv := replaytest.Start(t, kraken.Name, []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}, clock)
					url, books = srv.URL, srv.Env.Books
				} else {
					url = bookServer(t, clock, books)
				}
				c := replaytest.Dial(t, url+"/v2")
				replaytest.Send(t, c, `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":`+itoa(depth)+`},"req_id":7}`)
				cl := booktest.NewClient()
				var st booktest.Steps
				for st.Last-st.First < 10_000_000 {
					raw := replaytest.ReadFrame(t, c, nil)
					var m bookMsg
					dec := json.NewDecoder(bytes.NewReader(raw))
					dec.UseNumber()
					if err := dec.Decode(&m); err != nil {
						t.Fatal(err)
					}
					switch m.Channel {
					case "status", "heartbeat", "":
						if strings.Contains(string(raw), `"success":false`) {
							t.Fatalf("%s", raw)
						}
						continue
					case "book":
					default:
						t.Fatalf("%s", raw)
					}
					d := m.Data[0]
					switch {
					case m.Type == "snapshot" && st.Snapshots == 0 && st.Updates == 0:
						if d.Timestamp != "" || len(d.Bids) != min(depth, len(d.Bids)) {
							t.Fatalf("snapshot %.300s", raw)
						}
						st.Snapshots++
					case m.Type == "update" && st.Snapshots == 1:
						st.Updates++
					default:
						t.Fatalf("unexpected %.300s", raw)
					}
					for _, side := range []struct {
						bid bool
						ls  []krakenLevel
					}{{true, d.Bids}, {false, d.Asks}} {
						for _, l := range side.ls {
							if err := cl.Set(side.bid, string(l.Price), string(l.Qty)); err != nil {
								t.Fatal(err)
							}
						}
						ls := cl.Levels(side.bid)
						for i := depth; i < len(ls); i++ {
							cl.Set(side.bid, ls[i][0], "0")
						}
					}
					var s strings.Builder
					for _, bid := range []bool{false, true} {
						for i, l := range cl.Levels(bid) {
							if i == 10 {
								break
							}
							for _, x := range l {
								s.WriteString(strings.TrimLeft(strings.Replace(x, ".", "", 1), "0"))
							}
						}
					}
					if want := crc32.ChecksumIEEE([]byte(s.String())); d.Checksum != want {
						t.Fatalf("checksum %d, the client's book gives %d: %.300s", d.Checksum, want, raw)
					}
					got := cl.Book(0)
					if err := booktest.Check(got); err != nil {
						t.Fatal(err)
					}
					if m.Type == "update" {
						ts, err := time.Parse(time.RFC3339Nano, d.Timestamp)
						if err != nil {
							t.Fatal(err)
						}
						want, _ := books.Book(context.Background(), "XBT/USD", ts.UnixMicro(), depth)
						if err := booktest.Same(got, want); err != nil {
							t.Fatalf("at %s: %v", d.Timestamp, err)
						}
						if st.First == 0 {
							st.First = ts.UnixMicro()
						}
						st.Last = ts.UnixMicro()
					}
				}
				least := 50
				if src == "synth" {
					least = 3
				}
				if err := st.Long(10_000_000, least); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The REST depth is the market's book on the 100 ms grid, count levels a
// side (100 by default, 500 at most); a bad count is Kraken's error.
func TestDepthIsTheMarketsBook(t *testing.T) {
	f := &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.1"), SizeScale: 8, Levels: 1500}
	url := bookServer(t, replaytest.Clock(bookT0.Add(37*time.Millisecond), 0), f)
	want, _ := f.Book(context.Background(), "XBT/USD", bookT0.UnixMicro(), 0)
	for _, tc := range []struct {
		query string
		n     int
	}{{"", 100}, {"&count=3", 3}, {"&count=900", 500}} {
		var r struct {
			Error  []string
			Result map[string]struct{ Asks, Bids [][3]any }
		}
		replaytest.At(url).GetJSON(t, "/0/public/Depth?pair=XBTUSD"+tc.query, &r)
		book, ok := r.Result["XXBTZUSD"]
		if len(r.Error) != 0 || !ok || len(book.Bids) != tc.n || len(book.Asks) != tc.n {
			t.Fatalf("%s: %+v", tc.query, r)
		}
		cl := booktest.NewClient()
		for _, l := range book.Bids {
			cl.Set(true, l[0].(string), l[1].(string))
		}
		for _, l := range book.Asks {
			cl.Set(false, l[0].(string), l[1].(string))
			if l[2].(float64) != float64(bookT0.Unix()) {
				t.Fatalf("level time %v", l[2])
			}
		}
		w := want
		w.Bids, w.Asks = w.Bids[:tc.n], w.Asks[:tc.n]
		if err := booktest.Same(cl.Book(0), w); err != nil {
			t.Errorf("%s: %v", tc.query, err)
		}
	}
	var e struct{ Error []string }
	replaytest.At(url).GetJSON(t, "/0/public/Depth?pair=XBTUSD&count=x", &e)
	if len(e.Error) != 1 || e.Error[0] != "EGeneral:Invalid arguments:count" {
		t.Errorf("count=x: %v", e.Error)
	}
}
