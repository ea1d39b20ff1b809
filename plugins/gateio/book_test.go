package gateio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var (
	bookBase  = time.Date(2024, 3, 1, 12, 34, 56, 0, time.UTC)
	bookPairs = []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}
	// BTC_USDT's contract is 0.0001 BTC.
	btcContract = cc.MustDecimal("0.0001")
)

// startBooks serves id with the clock at speed over a fake book of about
// 125 levels a side (more than the 100 the streams keep), sizes in whole
// contracts, or, when synthetic, the synthetic market's own books.
func startBooks(t *testing.T, id string, speed float64, synthetic bool) (*replaytest.Server, cc.Books) {
	if synthetic {
		srv := replaytest.Start(t, id, bookPairs, replaytest.Clock(bookBase, speed))
		return srv, srv.Env.Books
	}
	p, err := plugins.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	f := &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.1"), SizeScale: 4, Levels: 150}
	url, _ := booktest.Serve(t, p, bookPairs, f, replaytest.Clock(bookBase, speed))
	return replaytest.At(url), f
}

// inContracts is b with sizes in whole BTC_USDT contracts.
func inContracts(b cc.Book) cc.Book {
	conv := func(ls []cc.BookLevel) []cc.BookLevel {
		out := make([]cc.BookLevel, len(ls))
		for i, l := range ls {
			out[i] = cc.BookLevel{Price: l.Price, Size: cc.NewDecimal(kit.BookContracts(l.Size, btcContract), 0)}
		}
		return out
	}
	b.Bids, b.Asks = conv(b.Bids), conv(b.Asks)
	return b
}

func dec(t *testing.T, v any) cc.Decimal {
	t.Helper()
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		t.Fatalf("number %v (%T)", v, v)
	}
	d, err := cc.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// levels reads [[price, amount]] (spot) or [{"p","s"}] (futures, s in
// whole contracts).
func levels(t *testing.T, v any) []cc.BookLevel {
	t.Helper()
	rows, _ := v.([]any)
	out := make([]cc.BookLevel, len(rows))
	for i, r := range rows {
		switch x := r.(type) {
		case []any:
			out[i] = cc.BookLevel{Price: dec(t, x[0]), Size: dec(t, x[1])}
		case map[string]any:
			n := dec(t, x["s"])
			if n.Scale != 0 {
				t.Fatalf("contracts %v", x["s"])
			}
			out[i] = cc.BookLevel{Price: dec(t, x["p"]), Size: n}
		default:
			t.Fatalf("level %v", r)
		}
	}
	return out
}

func restBook(t *testing.T, srv *replaytest.Server, path string) cc.Book {
	t.Helper()
	var m map[string]any
	_, body := srv.Get(t, path)
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m["id"] == nil {
		t.Fatalf("%s: %v %s", path, err, body)
	}
	id, _ := m["id"].(json.Number).Int64()
	return cc.Book{Seq: id, Bids: levels(t, m["bids"]), Asks: levels(t, m["asks"])}
}

func TestRESTOrderBooks(t *testing.T) {
	ctx := context.Background()
	srv, f := startBooks(t, "gate_io_spot", 1e-9, false)
	grid := bookBase.UnixMicro() / 100_000 * 100_000
	for _, c := range []struct {
		path  string
		depth int
	}{
		{"/api/v4/spot/order_book?currency_pair=BTC_USDT&with_id=true", 10},
		{"/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true", 100},
		{"/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=20&with_id=true", 20},
	} {
		got := restBook(t, srv, c.path)
		want, _ := f.Book(ctx, "BTC_USDT", grid, c.depth)
		if strings.Contains(c.path, "futures") {
			want = inContracts(want)
		}
		if got.Seq != want.Seq || len(got.Bids) != c.depth {
			t.Fatalf("%s: id %d, want %d; %d bids", c.path, got.Seq, want.Seq, len(got.Bids))
		}
		if err := booktest.Same(got, want); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
	}
	var m map[string]any
	_, body := srv.Get(t, "/api/v4/futures/usdt/order_book?contract=BTC_USDT")
	json.Unmarshal(body, &m)
	if _, has := m["id"]; has || m["current"].(float64) < 1e9 || m["current"].(float64) > 1e10 {
		t.Fatalf("futures book without with_id: %v", m)
	}
	for path, label := range map[string]string{
		"/api/v4/spot/order_book":                                     "MISSING_REQUIRED_PARAM",
		"/api/v4/spot/order_book?currency_pair=NOPE_USDT":             "INVALID_CURRENCY_PAIR",
		"/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=x":      "INVALID_PARAM_VALUE",
		"/api/v4/futures/usdt/order_book?contract=NOPE_USDT":          "CONTRACT_NOT_FOUND",
		"/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=-10": "INVALID_PARAM_VALUE",
	} {
		status, body := srv.Get(t, path)
		if status != http.StatusBadRequest || !strings.Contains(string(body), `"label":"`+label+`"`) {
			t.Fatalf("%s: %d %s", path, status, body)
		}
	}
}

// order_book_update synced as Gate documents it, spot and futures: cache
// the updates, take the with_id snapshot, start at the update with U <=
// id+1 <= u, then require U == last u + 1. The book (kept to the 100 or
// 20 levels the stream covers) equals the market's at every update and the
// REST snapshots at their ids, over 12 s of market time (more until it
// has met two), on a fake book and on the synthetic market. Spot's first
// push is the full book the stream starts from.
func TestOrderBookUpdateSyncsWithTheRESTSnapshot(t *testing.T) {
	for _, c := range []struct {
		id, path, channel, payload, rest string
		depth                            int
	}{
		{"gate_io_spot", "/ws/v4/", "spot.order_book_update", `["BTC_USDT","100ms"]`, "/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true", 100},
		{"gate_io_spot", "/ws/v4/", "spot.order_book_update", `["BTC_USDT","20ms"]`, "/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=20&with_id=true", 20},
		{"gate_io_perpetual", "/v4/ws/usdt", "futures.order_book_update", `["BTC_USDT","100ms","100"]`, "/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=100&with_id=true", 100},
	} {
		for _, synthetic := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/%d/synthetic=%v", c.channel, c.depth, synthetic), func(t *testing.T) {
				testOrderBookUpdateSync(t, c.id, c.path, c.channel, c.payload, c.rest, c.depth, synthetic)
			})
		}
	}
}

// TestSubscribingAgainRestartsTheBook: a second subscribe on the same
// connection (a client recovering from a gap) gets a new full push.
func TestSubscribingAgainRestartsTheBook(t *testing.T) {
	srv, _ := startBooks(t, "gate_io_spot", 5, true)
	ws := srv.Dial(t, "/ws/v4/")
	sub := `{"id":1,"time":1,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}`
	full := func() map[string]any {
		m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool {
			r, _ := m["result"].(map[string]any)
			return m["channel"] == "spot.order_book_update" && m["event"] == "update" && r["full"] == true
		})
		return m["result"].(map[string]any)
	}
	ws.Send(sub)
	first := full()
	ws.Send(sub)
	second := full()
	u1, _ := first["u"].(json.Number).Int64()
	u2, _ := second["u"].(json.Number).Int64()
	if u2 < u1 {
		t.Fatalf("the second full push (u %d) is older than the first (u %d)", u2, u1)
	}
}

func testOrderBookUpdateSync(t *testing.T, exchange, path, channel, payload, restPath string, depth int, synthetic bool) {
	ctx := context.Background()
	futures := strings.HasPrefix(channel, "futures")
	c := struct{ id, path, channel, payload, rest string }{exchange, path, channel, payload, restPath}
	conv := func(b cc.Book) cc.Book {
		if futures {
			return inContracts(b)
		}
		return b
	}
	srv, f := startBooks(t, c.id, 5, synthetic)
	ws := srv.Dial(t, c.path)
	ws.Send(`{"id":1,"time":1,"channel":"` + c.channel + `","event":"subscribe","payload":` + c.payload + `}`)
	read := func() map[string]any {
		m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["channel"] == c.channel && m["event"] == "update" })
		return m["result"].(map[string]any)
	}
	id := func(r map[string]any, k string) int64 { n, _ := r[k].(json.Number).Int64(); return n }
	buf := []map[string]any{read()}
	if c.id == "gate_io_spot" {
		full := buf[0]
		if full["full"] != true || id(full, "U") != id(full, "u") {
			t.Fatalf("first push %v", full)
		}
		ms, _ := full["t"].(json.Number).Int64()
		want, _ := f.Book(ctx, "BTC_USDT", ms*1000, depth)
		want = conv(want)
		got := cc.Book{Bids: levels(t, full["b"]), Asks: levels(t, full["a"])}
		if err := booktest.Same(got, want); err != nil || want.Seq != id(full, "u") {
			t.Fatalf("full push: %v", err)
		}
		buf = buf[1:]
	}
	local := booktest.NewLocal(restBook(t, srv, c.rest))
	synced, matches, steps := false, 0, 0
	var rest []cc.Book // REST snapshots ahead of the stream
	var start, at int64
	for start == 0 || at < start+12_000 || (matches < 2 && at < start+60_000) {
		var r map[string]any
		if len(buf) > 0 {
			r, buf = buf[0], buf[1:]
		} else {
			r = read()
		}
		if r["full"] == true {
			t.Fatalf("full push mid-stream: %v", r)
		}
		U, u := id(r, "U"), id(r, "u")
		if u < local.Seq+1 {
			continue
		}
		if !synced && U > local.Seq+1 || synced && U != local.Seq+1 {
			t.Fatalf("update %d..%d does not continue %d (synced %v)", U, u, local.Seq, synced)
		}
		synced = true
		for _, l := range levels(t, r["b"]) {
			local.Set(true, l.Price, l.Size)
		}
		for _, l := range levels(t, r["a"]) {
			local.Set(false, l.Price, l.Size)
		}
		local.Seq = u
		local.Truncate(depth)
		at, _ = r["t"].(json.Number).Int64()
		if start == 0 {
			start = at
		}
		want, _ := f.Book(ctx, "BTC_USDT", at*1000, depth)
		want = conv(want)
		if want.Seq != u {
			t.Fatalf("update to %d at %d: the market is at %d", u, at, want.Seq)
		}
		if err := local.Equal(want, 0); err != nil {
			t.Fatal(err)
		}
		if err := local.Check(); err != nil {
			t.Fatal(err)
		}
		steps++
		if steps%10 == 0 && len(rest) < 5 {
			rest = append(rest, restBook(t, srv, c.rest))
		}
		for len(rest) > 0 && rest[0].Seq <= u {
			if rest[0].Seq == u {
				if err := local.Equal(rest[0], 0); err != nil {
					t.Fatalf("REST snapshot %d: %v", u, err)
				}
				matches++
			}
			rest = rest[1:]
		}
	}
	if steps < 100 || matches < 2 {
		t.Fatalf("%d updates, %d REST snapshots met", steps, matches)
	}
}

// order_book pushes the market's top levels with its id.
func TestOrderBookPushesTheTopLevels(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ id, path, channel, payload, event, idKey string }{
		{"gate_io_spot", "/ws/v4/", "spot.order_book", `["BTC_USDT","5","100ms"]`, "update", "lastUpdateId"},
		{"gate_io_perpetual", "/v4/ws/usdt", "futures.order_book", `["BTC_USDT","5","0"]`, "all", "id"},
	} {
		srv, f := startBooks(t, c.id, 10, true)
		ws := srv.Dial(t, c.path)
		ws.Send(`{"id":1,"time":1,"channel":"` + c.channel + `","event":"subscribe","payload":` + c.payload + `}`)
		var prev int64
		for range 5 {
			m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["channel"] == c.channel && m["event"] != "subscribe" })
			r := m["result"].(map[string]any)
			at, _ := r["t"].(json.Number).Int64()
			seq, _ := r[c.idKey].(json.Number).Int64()
			got := cc.Book{Bids: levels(t, r["bids"]), Asks: levels(t, r["asks"])}
			want, _ := f.Book(ctx, "BTC_USDT", at*1000, 5)
			if c.event == "all" {
				want = inContracts(want)
			}
			if m["event"] != c.event || r["l"] != "5" || seq != want.Seq || at <= prev || len(got.Bids) != 5 {
				t.Fatalf("%s push %v", c.channel, m)
			}
			if err := booktest.Same(got, want); err != nil {
				t.Fatal(err)
			}
			prev = at
		}
		ws.Send(`{"id":2,"time":1,"channel":"` + c.channel + `","event":"subscribe","payload":["BTC_USDT","7"]}`)
		m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["error"] != nil })
		if m["event"] != "subscribe" {
			t.Fatalf("bad level: %v", m)
		}
	}
}
