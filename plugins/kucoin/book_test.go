package kucoin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/plugins/kucoin"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// bookFake has about 50 levels a side (fewer than level2_100 lists), sizes
// in whole XBTUSDTM contracts (0.001 BTC).
func bookFake() *booktest.Fake {
	return &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.5"), SizeScale: 3, Levels: 60}
}

// startBooks serves p with the clock at speed over bookFake or, when
// synthetic, the synthetic market's own books (5,000 levels a side).
func startBooks(t *testing.T, p plugins.Plugin, speed float64, synthetic bool) (*replaytest.Server, cc.Books) {
	if synthetic {
		srv := replaytest.Start(t, p.Name(), pairs, replaytest.Clock(base, speed))
		return srv, srv.Env.Books
	}
	f := bookFake()
	url, _ := booktest.Serve(t, p, pairs, f, replaytest.Clock(base, speed))
	return replaytest.At(url), f
}

// bookSources are the two kinds of book the sync tests run over.
var bookSources = []struct {
	name      string
	synthetic bool
}{{"fake", false}, {"synthetic", true}}

// inContracts is b with sizes in whole XBTUSDTM contracts.
func inContracts(b cc.Book) cc.Book {
	conv := func(ls []cc.BookLevel) []cc.BookLevel {
		out := make([]cc.BookLevel, len(ls))
		for i, l := range ls {
			out[i] = cc.BookLevel{Price: l.Price, Size: cc.NewDecimal(kit.BookContracts(l.Size, xbtLot), 0)}
		}
		return out
	}
	b.Bids, b.Asks = conv(b.Bids), conv(b.Asks)
	return b
}

// fullBook is the signed full spot book.
func fullBook(t *testing.T, srv *replaytest.Server) cc.Book {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v3/market/orderbook/level2?symbol=BTC-USDT", nil)
	for _, k := range []string{"KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE"} {
		req.Header.Set(k, "x")
	}
	_, body := srv.Do(t, req)
	var e envelope
	var r spotBookReply
	json.Unmarshal(body, &e)
	json.Unmarshal(e.Data, &r)
	return r.book(t)
}

func decimal(t *testing.T, v any) cc.Decimal {
	t.Helper()
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		t.Fatalf("level value %v (%T)", v, v)
	}
	return dec(t, s)
}

// levels reads [[price, size, ...], ...]; contracts multiplies sizes back
// to base units (0 for spot).
func levels(t *testing.T, raw json.RawMessage, mult cc.Decimal) []cc.BookLevel {
	t.Helper()
	var rows [][]any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&rows); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	out := make([]cc.BookLevel, len(rows))
	for i, r := range rows {
		out[i] = cc.BookLevel{Price: decimal(t, r[0]), Size: decimal(t, r[1])}
		if !mult.IsZero() {
			out[i].Size = out[i].Size.Mul(mult)
		}
	}
	return out
}

type spotBookReply struct {
	Time       int64
	Sequence   string
	Bids, Asks json.RawMessage
}

func (r spotBookReply) book(t *testing.T) cc.Book {
	seq, err := strconv.ParseInt(r.Sequence, 10, 64)
	if err != nil {
		t.Fatalf("sequence %q", r.Sequence)
	}
	return cc.Book{Time: r.Time * 1000, Seq: seq, Bids: levels(t, r.Bids, cc.Decimal{}), Asks: levels(t, r.Asks, cc.Decimal{})}
}

type futuresBookReply struct {
	Symbol     string
	Sequence   int64
	Bids, Asks json.RawMessage
	Ts         int64
}

var xbtLot = cc.MustDecimal("0.001")

func (r futuresBookReply) book(t *testing.T) cc.Book {
	return cc.Book{Time: r.Ts / 1000, Seq: r.Sequence, Bids: levels(t, r.Bids, cc.Decimal{}), Asks: levels(t, r.Asks, cc.Decimal{})}
}

func TestRESTBooksAreTheMarketsBookOnTheGrid(t *testing.T) {
	ctx := context.Background()
	srv, f := startBooks(t, kucoin.Spot, 1e-9, false)
	for _, c := range []struct {
		path  string
		depth int
	}{{"/api/v1/market/orderbook/level2_20?symbol=BTC-USDT", 20}, {"/api/v1/market/orderbook/level2_100?symbol=BTC-USDT", 0}} {
		var r spotBookReply
		e := get(t, srv.URL, c.path)
		if err := json.Unmarshal(e.Data, &r); err != nil || e.Code != "200000" {
			t.Fatalf("%s: %v %+v", c.path, err, e)
		}
		got := r.book(t)
		if got.Time%100_000 != 0 || got.Time > base.UnixMicro() || base.UnixMicro()-got.Time >= 100_000 {
			t.Fatalf("%s: book at %d for %d", c.path, got.Time, base.UnixMicro())
		}
		want, _ := f.Book(ctx, "BTC-USDT", got.Time, c.depth)
		if got.Seq != want.Seq || booktest.Same(got, want) != nil || booktest.Check(got) != nil {
			t.Fatalf("%s: %v %v", c.path, booktest.Same(got, want), booktest.Check(got))
		}
		if c.depth == 20 && len(got.Bids) != 20 {
			t.Fatalf("%d bids", len(got.Bids))
		}
	}
	// The full book is signed.
	status, body := replaytest.Get(t, srv.URL, "/api/v3/market/orderbook/level2?symbol=BTC-USDT")
	if status != http.StatusUnauthorized || !strings.Contains(string(body), `"code":"400001"`) {
		t.Fatalf("unsigned full book: %d %s", status, body)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v3/market/orderbook/level2?symbol=BTC-USDT", nil)
	for _, k := range []string{"KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE"} {
		req.Header.Set(k, "x")
	}
	status, body = srv.Do(t, req)
	var e envelope
	var full spotBookReply
	json.Unmarshal(body, &e)
	json.Unmarshal(e.Data, &full)
	want, _ := f.Book(ctx, "BTC-USDT", full.Time*1000, 0)
	if status != 200 || booktest.Same(full.book(t), want) != nil {
		t.Fatalf("signed full book: %d %s", status, body)
	}
	if e := get(t, srv.URL, "/api/v1/market/orderbook/level2_20?symbol=NOPE-USDT"); e.Code != "400100" {
		t.Fatalf("unknown symbol: %+v", e)
	}

	fsrv, f := startBooks(t, kucoin.Perpetual, 1e-9, false)
	for _, c := range []struct {
		path  string
		depth int
	}{{"/api/v1/level2/snapshot?symbol=XBTUSDTM", 0}, {"/api/v1/level2/depth20?symbol=XBTUSDTM", 20}, {"/api/v1/level2/depth100?symbol=XBTUSDTM", 100}} {
		var r futuresBookReply
		e := get(t, fsrv.URL, c.path)
		if err := json.Unmarshal(e.Data, &r); err != nil || e.Code != "200000" || r.Symbol != "XBTUSDTM" {
			t.Fatalf("%s: %v %+v", c.path, err, e)
		}
		got := r.book(t)
		want, _ := f.Book(ctx, "XBTUSDTM", got.Time, c.depth)
		want = inContracts(want)
		if got.Seq != want.Seq || got.Time%100_000 != 0 || booktest.Same(got, want) != nil {
			t.Fatalf("%s: at %d: %v", c.path, got.Time, booktest.Same(got, want))
		}
	}
	if e := get(t, fsrv.URL, "/api/v1/level2/snapshot?symbol=NOPEUSDTM"); e.Code != "400100" {
		t.Fatalf("unknown contract: %+v", e)
	}
}

type l2push struct {
	Type, Topic, Subject string
	Data                 json.RawMessage
}

// lastPing is when readPush last pinged c: KuCoin drops a socket that
// has not pinged for pingInterval+pingTimeout, which a long test under
// -race outlives.
var lastPing = map[*websocket.Conn]time.Time{}

// readPush reads the next message push of topic, pinging every 5 s.
func readPush(t *testing.T, c *websocket.Conn, topic string) l2push {
	t.Helper()
	if time.Since(lastPing[c]) > 5*time.Second {
		c.WriteJSON(map[string]any{"id": "ping", "type": "ping"})
		lastPing[c] = time.Now()
	}
	for {
		var m l2push
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "message" && m.Topic == topic {
			return m
		}
	}
}

// The spot level2 stream synced as KuCoin documents it: buffer the
// stream, take the REST snapshot, drop changes up to its sequence, then
// apply each update whose sequenceStart follows the last sequenceEnd.
// Every step equals the market's book, and the book equals each later
// REST snapshot at the same sequence, over 12 s of market time (more
// until it has met two).
func TestSpotLevel2SyncsWithTheRESTSnapshot(t *testing.T) {
	for _, src := range bookSources {
		t.Run(src.name, func(t *testing.T) { testSpotLevel2Sync(t, src.synthetic) })
	}
}

func testSpotLevel2Sync(t *testing.T, synthetic bool) {
	ctx := context.Background()
	srv, f := startBooks(t, kucoin.Spot, 5, synthetic)
	c := dialKucoin(t, srv)
	defer c.Close()
	c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "topic": "/market/level2:BTC-USDT", "response": true})
	type update struct {
		Changes struct {
			Asks, Bids [][3]string
		}
		SequenceStart, SequenceEnd int64
		Symbol                     string
		Time                       int64
	}
	var buf []update
	read := func() update {
		m := readPush(t, c, "/market/level2:BTC-USDT")
		var u update
		if err := json.Unmarshal(m.Data, &u); err != nil || m.Subject != "trade.l2update" || u.Symbol != "BTC-USDT" {
			t.Fatalf("%v %+v", err, m)
		}
		return u
	}
	buf = append(buf, read())
	local := booktest.NewLocal(fullBook(t, srv))
	var start int64 // time of the first update applied
	synced, matches, steps := false, 0, 0
	var rest []cc.Book // REST snapshots ahead of the stream
	for last := int64(0); start == 0 || last < start+12_000 || (matches < 2 && last < start+60_000); {
		var u update
		if len(buf) > 0 {
			u, buf = buf[0], buf[1:]
		} else {
			u = read()
		}
		if u.SequenceEnd <= local.Seq {
			continue // before the snapshot
		}
		if !synced && (u.SequenceStart > local.Seq+1) {
			t.Fatalf("no update continues snapshot %d: next %d..%d", local.Seq, u.SequenceStart, u.SequenceEnd)
		}
		if synced && u.SequenceStart != local.Seq+1 {
			t.Fatalf("gap: %d..%d after %d", u.SequenceStart, u.SequenceEnd, local.Seq)
		}
		synced = true
		for side, rows := range [][][3]string{u.Changes.Bids, u.Changes.Asks} {
			for _, r := range rows {
				seq, _ := strconv.ParseInt(r[2], 10, 64)
				if seq < u.SequenceStart || seq > u.SequenceEnd {
					t.Fatalf("change %v outside %d..%d", r, u.SequenceStart, u.SequenceEnd)
				}
				if seq > local.Seq {
					local.Set(side == 0, dec(t, r[0]), dec(t, r[1]))
				}
			}
		}
		local.Seq, last = u.SequenceEnd, u.Time
		if start == 0 {
			start = last
		}
		if err := local.Check(); err != nil {
			t.Fatal(err)
		}
		want, _ := f.Book(ctx, "BTC-USDT", u.Time*1000, 0)
		if want.Seq != u.SequenceEnd {
			t.Fatalf("update to %d at %d: the market is at %d", u.SequenceEnd, u.Time, want.Seq)
		}
		if err := local.Equal(want, 0); err != nil {
			t.Fatal(err)
		}
		steps++
		if steps%10 == 0 && len(rest) < 5 {
			rest = append(rest, fullBook(t, srv))
		}
		for len(rest) > 0 && rest[0].Seq <= local.Seq {
			if rest[0].Seq == local.Seq {
				if err := local.Equal(rest[0], 0); err != nil {
					t.Fatalf("REST snapshot: %v", err)
				}
				matches++
			}
			rest = rest[1:]
		}
	}
	if matches < 2 || steps < 100 {
		t.Fatalf("%d updates, met only %d REST snapshots", steps, matches)
	}
}

// The futures level2 stream synced as KuCoin documents it: buffer the
// stream, fetch the REST snapshot, drop the changes up to its sequence,
// apply the rest one message a change, each sequence the last + 1 (a
// client resyncs on anything else: here it fails). The book equals the
// market's at every step over a long accelerated run (30 s of market
// time over the synthetic market's 5,000 levels a side, 12 s over the
// fake), and at the end a fresh REST snapshot is the book the stream
// had built at its instant, with the sequence of the last change up to
// it.
func TestFuturesLevel2SyncsWithTheRESTSnapshot(t *testing.T) {
	for _, src := range bookSources {
		t.Run(src.name, func(t *testing.T) { testFuturesLevel2Sync(t, src.synthetic) })
	}
}

func testFuturesLevel2Sync(t *testing.T, synthetic bool) {
	ctx := context.Background()
	speed, span, every := 5.0, int64(12_000), 1
	switch {
	case synthetic && raceOn:
		// The client (a full-depth book compared at every step) is
		// what the race detector slows: it must read as fast as the
		// server pushes, or the server's write times out.
		speed, span, every = 2, 10_000, 5
	case synthetic:
		speed, span = 5, 30_000
	}
	srv, f := startBooks(t, kucoin.Perpetual, speed, synthetic)
	c := dialKucoin(t, srv)
	defer c.Close()
	c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "topic": "/contractMarket/level2:XBTUSDTM", "response": true})
	type change struct {
		Sequence  int64
		Change    string
		Timestamp int64
	}
	read := func() change {
		m := readPush(t, c, "/contractMarket/level2:XBTUSDTM")
		var ch change
		if err := json.Unmarshal(m.Data, &ch); err != nil || m.Subject != "level2" {
			t.Fatalf("%v %+v", err, m)
		}
		return ch
	}
	snapshot := func() futuresBookReply {
		var snap futuresBookReply
		if err := json.Unmarshal(get(t, srv.URL, "/api/v1/level2/snapshot?symbol=XBTUSDTM").Data, &snap); err != nil {
			t.Fatal(err)
		}
		return snap
	}
	buf := []change{read()}
	snap := snapshot()
	local := booktest.NewLocal(snap.book(t))
	applied, steps := 0, 0
	check := func(at int64) {
		if steps++; steps%every != 0 {
			return
		}
		want, _ := f.Book(ctx, "XBTUSDTM", at*1000, 0)
		if err := local.Equal(inContracts(want), 0); err != nil {
			t.Fatalf("at %d: %v", at, err)
		}
		if err := local.Check(); err != nil {
			t.Fatal(err)
		}
	}
	next := func() change {
		var ch change
		if len(buf) > 0 {
			ch, buf = buf[0], buf[1:]
		} else {
			ch = read()
		}
		return ch
	}
	apply := func(ch change) {
		if ch.Sequence != local.Seq+1 {
			t.Fatalf("sequence %d after %d (%d changes applied)", ch.Sequence, local.Seq, applied)
		}
		p := strings.Split(ch.Change, ",")
		n := dec(t, p[2])
		if len(p) != 3 || (p[1] != "buy" && p[1] != "sell") || n.Scale != 0 {
			t.Fatalf("change %q", ch.Change)
		}
		local.Set(p[1] == "buy", dec(t, p[0]), n)
		local.Seq = ch.Sequence
		applied++
	}
	var at, start int64 // timestamps of the changes applied last and first
	for start == 0 || at < start+span {
		ch := next()
		if ch.Sequence <= snap.Sequence {
			continue
		}
		if at != 0 && ch.Timestamp != at {
			check(at) // the step before is complete
		}
		apply(ch)
		if at = ch.Timestamp; start == 0 {
			start = at
		}
	}
	if steps < int(span/100/2) {
		t.Fatalf("only %d steps checked in %d ms", steps, span)
	}
	// A fresh snapshot is the stream's book at its instant.
	end := snapshot()
	for {
		ch := next()
		if ch.Timestamp*1_000_000 > end.Ts {
			break
		}
		apply(ch)
	}
	if err := local.Equal(end.book(t), 0); err != nil || local.Seq != end.Sequence {
		t.Fatalf("REST snapshot at %d (sequence %d): %v; the stream's book is at %d", end.Ts, end.Sequence, err, local.Seq)
	}
	t.Logf("%d changes over %d steps, snapshot %d to %d", applied, steps, snap.Sequence, end.Sequence)
}

// The depth5 and depth50 topics push the market's top levels.
func TestDepthTopicsPushTheTopLevels(t *testing.T) {
	ctx := context.Background()
	for i, c := range []struct {
		p      plugins.Plugin
		topic  string
		depth  int
		native string
		mult   cc.Decimal
	}{
		{kucoin.Spot, "/spotMarket/level2Depth5:BTC-USDT", 5, "BTC-USDT", cc.Decimal{}},
		{kucoin.Spot, "/spotMarket/level2Depth50:BTC-USDT", 50, "BTC-USDT", cc.Decimal{}},
		{kucoin.Perpetual, "/contractMarket/level2Depth5:XBTUSDTM", 5, "XBTUSDTM", xbtLot},
		{kucoin.Spot, "/spotMarket/level2Depth50:BTC-USDT", 50, "BTC-USDT", cc.Decimal{}},
	} {
		srv, f := startBooks(t, c.p, 20, i == 3) // the last over the synthetic market
		ws := dialKucoin(t, srv)
		ws.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "topic": c.topic, "response": true})
		var prev int64
		for range 10 {
			m := readPush(t, ws, c.topic)
			var d struct {
				Asks, Bids json.RawMessage
				Timestamp  int64
			}
			json.Unmarshal(m.Data, &d)
			got := cc.Book{Bids: levels(t, d.Bids, cc.Decimal{}), Asks: levels(t, d.Asks, cc.Decimal{})}
			want, _ := f.Book(ctx, c.native, d.Timestamp*1000, c.depth)
			if !c.mult.IsZero() {
				want = inContracts(want)
			}
			if err := booktest.Same(got, want); err != nil || len(got.Bids) < 5 || d.Timestamp <= prev {
				t.Fatalf("%s at %d after %d: %v", c.topic, d.Timestamp, prev, err)
			}
			if err := booktest.Check(got); err != nil {
				t.Fatal(err)
			}
			prev = d.Timestamp
		}
		ws.Close()
	}
}
