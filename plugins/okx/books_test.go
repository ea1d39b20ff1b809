package okx_test

import (
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
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/synth"
)

// The checksum string is OKX's documented example: bids and asks
// interleaved, and the longer side going on alone once the other ends.
func TestChecksumFollowsOKXsString(t *testing.T) {
	crc := func(s string) int32 { return int32(crc32.ChecksumIEEE([]byte(s))) }
	bids := [][2]string{{"3366.1", "7"}, {"3366", "6"}}
	asks := [][2]string{{"3366.8", "9"}, {"3368", "8"}}
	if got, want := okx.Checksum(bids, asks), crc("3366.1:7:3366.8:9:3366:6:3368:8"); got != want {
		t.Errorf("checksum %d, want %d", got, want)
	}
	bids = append(bids, [2]string{"3365", "1"})
	if got, want := okx.Checksum(bids, asks[:1]), crc("3366.1:7:3366.8:9:3366:6:3365:1"); got != want {
		t.Errorf("uneven sides: checksum %d, want %d", got, want)
	}
	var many [][2]string
	for i := range 30 {
		many = append(many, [2]string{strconv.Itoa(100 - i), "1"})
	}
	var s []string
	for i := range 25 {
		s = append(s, strconv.Itoa(100-i)+":1")
	}
	if got, want := okx.Checksum(many, nil), crc(strings.Join(s, ":")); got != want {
		t.Errorf("30 bids: checksum %d, want that of the top 25 (%d)", got, want)
	}
}

var bookT0 = time.Date(2026, 11, 25, 12, 34, 50, 0, time.UTC)

func bookFake() *booktest.Fake {
	return &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.1"), SizeScale: 4, Levels: 600}
}

func bookServer(t *testing.T, ex *okx.Exchange, clock *cc.Clock, books cc.Books) string {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}
	m := synth.New(synth.Options{Seed: 3, Exchange: ex.Name(), Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: ex.Symbol(pairs[0])}}})
	env := booktest.Env(ex, m, clock, pairs, books)
	srv := httptest.NewServer(ex.Handler(env))
	t.Cleanup(func() {
		env.Hub.CloseAll(1001, "test over")
		srv.Close()
	})
	return srv.URL
}

type bookPush struct {
	Event string `json:"event"`
	Arg   struct {
		Channel string `json:"channel"`
	} `json:"arg"`
	Action string `json:"action"`
	Data   []struct {
		Asks      [][4]string `json:"asks"`
		Bids      [][4]string `json:"bids"`
		InstID    string      `json:"instId"`
		Ts        string      `json:"ts"`
		Checksum  *int32      `json:"checksum"`
		PrevSeqID *int64      `json:"prevSeqId"`
		SeqID     int64       `json:"seqId"`
	} `json:"data"`
}

// A client syncing each book channel the way OKX documents it — books:
// the snapshot, then updates whose prevSeqId is the last seqId, checking
// the checksum of its book after each; books5 and bbo-tbt: whole books —
// holds the market's book at every push over 10 s of virtual time, never
// crossed.
func TestBookChannelsSyncAsOKXDocuments(t *testing.T) {
	for _, tc := range []struct {
		ex      *okx.Exchange
		channel string
		depth   int
		stepMs  int64
	}{
		{okx.Spot, "books", 400, 100},
		{okx.Spot, "books5", 5, 100},
		{okx.Spot, "bbo-tbt", 1, 10},
		{okx.Perpetual, "books-l2-tbt", 400, 10},
		{okx.Perpetual, "books50-l2-tbt", 50, 10},
	} {
		for _, src := range []string{"fake", "synth"} {
			t.Run(src+" "+tc.ex.Name()+" "+tc.channel, func(t *testing.T) {
				var f cc.Books = bookFake()
				var url string
				clock := replaytest.Clock(bookT0, 25)
				if src == "synth" {
					// The synthetic market's books, served by replay.
					srv := replaytest.Start(t, tc.ex.Name(), []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}, clock)
					url, f = srv.URL, srv.Env.Books
				} else {
					url = bookServer(t, tc.ex, clock, f)
				}
				inst := tc.ex.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
				exp := 0
				if tc.ex == okx.Perpetual {
					exp = -2 // BTC-USDT-SWAP: 0.01 BTC a contract
				}
				c := replaytest.Dial(t, url+"/ws/v5/public")
				replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"`+tc.channel+`","instId":"`+inst+`"}]}`)
				full := tc.channel == "books5" || tc.channel == "bbo-tbt"
				cl := booktest.NewClient()
				var st booktest.Steps
				last := int64(-1)
				for st.Last-st.First < 10_000_000 {
					var p bookPush
					raw := replaytest.ReadFrame(t, c, &p)
					if p.Event != "" {
						if p.Event != "subscribe" {
							t.Fatalf("%s", raw)
						}
						continue
					}
					if p.Arg.Channel != tc.channel || len(p.Data) != 1 {
						t.Fatalf("unexpected push %s", raw)
					}
					d := p.Data[0]
					ms, _ := strconv.ParseInt(d.Ts, 10, 64)
					if ms%tc.stepMs != 0 {
						t.Fatalf("push at %d: not on the %d ms cadence", ms, tc.stepMs)
					}
					if d.SeqID <= last {
						t.Fatalf("seqId %d after %d", d.SeqID, last)
					}
					switch {
					case full:
						if p.Action != "" || d.Checksum != nil || d.PrevSeqID != nil || (tc.channel == "books5") != (d.InstID == inst) {
							t.Fatalf("%s push with other fields than OKX's: %s", tc.channel, raw)
						}
						cl = booktest.NewClient()
						st.Snapshots++
					case last == -1:
						if p.Action != "snapshot" || *d.PrevSeqID != -1 {
							t.Fatalf("first push is not a snapshot: %.200s", raw)
						}
						st.Snapshots++
					default:
						if p.Action != "update" || *d.PrevSeqID != last {
							t.Fatalf("update with prevSeqId %d after seqId %d", *d.PrevSeqID, last)
						}
						st.Updates++
					}
					for _, side := range []struct {
						bid bool
						ls  [][4]string
					}{{true, d.Bids}, {false, d.Asks}} {
						for _, l := range side.ls {
							if err := cl.Set(side.bid, l[0], l[1]); err != nil {
								t.Fatal(err)
							}
							if (l[1] == "0") != (l[3] == "0") || l[2] != "0" {
								t.Fatalf("level %v", l)
							}
							st.Levels++
						}
					}
					last = d.SeqID
					if !full {
						// The checksum string built from the top 25 of each
						// side as received.
						var parts []string
						bids, asks := cl.Levels(true), cl.Levels(false)
						for i := 0; i < 25; i++ {
							if i < len(bids) {
								parts = append(parts, bids[i][0]+":"+bids[i][1])
							}
							if i < len(asks) {
								parts = append(parts, asks[i][0]+":"+asks[i][1])
							}
						}
						if want := int32(crc32.ChecksumIEEE([]byte(strings.Join(parts, ":")))); *d.Checksum != want {
							t.Fatalf("seqId %d: checksum %d, the client's book gives %d", d.SeqID, *d.Checksum, want)
						}
					}
					got := booktest.Scale(cl.Book(0), exp)
					if err := booktest.Check(got); err != nil {
						t.Fatal(err)
					}
					want, _ := f.Book(context.Background(), inst, ms*1000, tc.depth)
					if err := booktest.Same(got, want); err != nil {
						t.Fatalf("at %d (seqId %d): %v", ms, d.SeqID, err)
					}
					if want.Seq != d.SeqID {
						t.Fatalf("at %d: seqId %d, the book's update id is %d", ms, d.SeqID, want.Seq)
					}
					if st.First == 0 {
						st.First = ms * 1000
					}
					st.Last = ms * 1000
				}
				if full {
					st.Updates = st.Snapshots
				}
				least := 50
				if src == "synth" {
					least = 3 // the synthetic touch moves with the trades: a few times in 10 s here
				}
				if err := st.Long(10_000_000, least); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// The REST book is the market's at the request's instant, sz levels a
// side (1 by default, 400 at most on books), and bad sizes get OKX's
// errors.
func TestRESTBookIsTheMarketsBook(t *testing.T) {
	f := bookFake()
	url := bookServer(t, okx.Perpetual, replaytest.Clock(bookT0.Add(37*time.Millisecond), 0), f) // the book of the 100 ms grid instant before
	want, _ := f.Book(context.Background(), "BTC-USDT-SWAP", bookT0.UnixMilli()/100*100_000, 0)
	for _, tc := range []struct {
		path  string
		query string
		n     int
	}{
		{"books", "", 1},
		{"books", "&sz=20", 20},
		{"books", "&sz=1000", 400},
		{"books-full", "&sz=1000", 1000},
	} {
		status, body := replaytest.At(url).Get(t, "/api/v5/market/"+tc.path+"?instId=BTC-USDT-SWAP"+tc.query)
		var r struct {
			Code string
			Data []struct {
				Asks, Bids [][4]string
				Ts         string
			}
		}
		if err := json.Unmarshal(body, &r); err != nil || status != 200 || r.Code != "0" || len(r.Data) != 1 {
			t.Fatalf("%s%s: %d %s", tc.path, tc.query, status, body)
		}
		d := r.Data[0]
		if d.Ts != strconv.FormatInt(bookT0.UnixMilli()/100*100, 10) {
			t.Errorf("ts %s", d.Ts)
		}
		cl := booktest.NewClient()
		for _, l := range d.Bids {
			cl.Set(true, l[0], l[1])
		}
		for _, l := range d.Asks {
			cl.Set(false, l[0], l[1])
		}
		w := want
		w.Bids, w.Asks = w.Bids[:min(tc.n, len(w.Bids))], w.Asks[:min(tc.n, len(w.Asks))]
		if err := booktest.Same(booktest.Scale(cl.Book(0), -2), w); err != nil {
			t.Errorf("%s%s: %v", tc.path, tc.query, err)
		}
	}
	for _, tc := range []struct{ query, code string }{
		{"sz=0&instId=BTC-USDT-SWAP", "51000"},
		{"sz=x&instId=BTC-USDT-SWAP", "51000"},
		{"sz=5", "50014"},
		{"instId=DOGE-USDT-SWAP", "51001"},
	} {
		_, body := replaytest.At(url).Get(t, "/api/v5/market/books?"+tc.query)
		if !strings.Contains(string(body), `"code":"`+tc.code+`"`) {
			t.Errorf("%s: %s, want code %s", tc.query, body, tc.code)
		}
	}
}
