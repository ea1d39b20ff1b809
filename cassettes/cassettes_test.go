package cassettes_test

import (
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mustCreate opens a new cassette in a temp dir and closes it at cleanup.
func mustCreate(t *testing.T, opts *cassettes.Options) (*cassettes.Cassette, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.cassette")
	if opts == nil {
		opts = &cassettes.Options{}
	}
	if opts.Exchange == "" {
		opts.Exchange = "binance_spot"
	}
	c, err := cassettes.Open(path, 0o644, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

func openRO(t *testing.T, path string) *cassettes.Cassette {
	t.Helper()
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open read-only: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dec(s string) cc.Decimal { return cc.MustDecimal(s) }

// minuteCandles makes n consecutive 1m candles from open, closed unless
// told otherwise, with prices that keep their exact spelling.
func minuteCandles(open int64, n int, closed bool) []cc.Candle {
	cs := make([]cc.Candle, n)
	for i := range cs {
		t := open + int64(i)*60_000
		cs[i] = cc.Candle{
			OpenTime: t, CloseTime: t + 59_999,
			Open: cc.NewDecimal(4200001+int64(i), 2), High: cc.NewDecimal(4200500+int64(i), 2),
			Low: cc.NewDecimal(4199000+int64(i), 2), Close: cc.NewDecimal(4200100+int64(i), 2),
			Volume: dec("12.34500000"), QuoteVolume: dec("518490.00001000"), Trades: 300 + int64(i),
			TakerBuyBase: dec("6.1"), TakerBuyQuote: dec("-0.000000000000000001"), Closed: closed,
		}
	}
	return cs
}

const t0 = int64(1_704_067_200_000) // 2024-01-01T00:00:00Z

func TestInteractionsRoundTripInOrderWithSecretsRedacted(t *testing.T) {
	c, path := mustCreate(t, &cassettes.Options{VolatileParams: []string{"requestId"}, Redact: []string{"X-Custom-Token"},
		Secrets: cassettes.Secrets{Headers: []string{"X-MBX-APIKEY"}}})
	start := time.UnixMilli(t0).UTC()
	for i, body := range []string{"first", "second", "third"} {
		h := http.Header{"X-Mbx-Apikey": {"k3y-secret"}, "X-Custom-Token": {"tok-secret"}, "Accept": {"application/json"}}
		ix := &cassettes.Interaction{
			Method: "GET", Path: "/api/v3/klines",
			Query:         "symbol=BTCUSDT&interval=1m&timestamp=" + string(rune('0'+i)) + "&signature=deadbeefsig&requestId=9",
			RequestHeader: h, Status: 200,
			ResponseHeader: http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"session=cookie-secret"}},
			Body:           []byte(body), Start: start.Add(time.Duration(i) * time.Second), Duration: 3 * time.Millisecond,
		}
		if err := c.AddInteraction(ix); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AddInteraction(&cassettes.Interaction{Method: "POST", Path: "/info", RequestBody: []byte(`{"type":"candleSnapshot","nonce":5,"signature":{"r":"0xabc"}}`), Status: 200, Body: []byte("[]"), Start: start}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	r := openRO(t, path)
	// A request differing only in volatile params and param order matches
	// all three recordings, in recorded order.
	got, err := r.Lookup("GET", "/api/v3/klines", "interval=1m&symbol=BTCUSDT&timestamp=77&signature=other&requestId=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Lookup found %d interactions, want 3", len(got))
	}
	for i, want := range []string{"first", "second", "third"} {
		if string(got[i].Body) != want {
			t.Errorf("match %d body %q, want %q", i, got[i].Body, want)
		}
	}
	ix := got[0]
	if ix.RequestHeader.Get("X-Mbx-Apikey") != cassettes.Redacted || ix.RequestHeader.Get("X-Custom-Token") != cassettes.Redacted {
		t.Errorf("request headers not redacted: %v", ix.RequestHeader)
	}
	if ix.RequestHeader.Get("Accept") != "application/json" {
		t.Errorf("harmless header changed: %v", ix.RequestHeader)
	}
	if ix.ResponseHeader.Get("Set-Cookie") != cassettes.Redacted {
		t.Errorf("Set-Cookie not redacted: %v", ix.ResponseHeader)
	}
	if strings.Contains(ix.Query, "deadbeefsig") || !strings.Contains(ix.Query, "signature=REDACTED") {
		t.Errorf("query %q: signature not redacted", ix.Query)
	}
	if !ix.Start.Equal(time.UnixMilli(t0)) || ix.Duration != 3*time.Millisecond || ix.Status != 200 {
		t.Errorf("timing/status not kept: %+v", ix)
	}
	// JSON bodies match with volatile keys dropped, and keep no secret.
	posts, err := r.Lookup("POST", "/info", "", []byte(`{"nonce":6, "type":"candleSnapshot"}`))
	if err != nil || len(posts) != 1 {
		t.Fatalf("POST lookup: %d, %v", len(posts), err)
	}
	if strings.Contains(string(posts[0].RequestBody), "0xabc") {
		t.Errorf("JSON body secret kept: %s", posts[0].RequestBody)
	}
	if other, _ := r.Lookup("GET", "/api/v3/klines", "symbol=ETHUSDT&interval=1m", nil); len(other) != 0 {
		t.Errorf("a different symbol matched %d recordings", len(other))
	}
	m := r.Meta()
	if m.Exchange != "binance_spot" || m.Format != cassettes.SingleFormat || m.Interactions != 4 {
		t.Errorf("meta = %+v", m)
	}
	if !m.From.Equal(time.UnixMilli(t0)) || !m.To.Equal(time.UnixMilli(t0).Add(2*time.Second+3*time.Millisecond)) {
		t.Errorf("recorded range %v..%v", m.From, m.To)
	}
	counts, err := r.PathCounts()
	if err != nil || counts["GET /api/v3/klines"] != 3 || counts["POST /info"] != 1 {
		t.Errorf("PathCounts = %v, %v", counts, err)
	}
	// MatchCounts gives each match key its number of interactions, the
	// keys Lookup finds them under.
	keys, err := r.MatchCounts()
	klines := r.MatchKey("GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m", nil)
	info := r.MatchKey("POST", "/info", "", []byte(`{"type":"candleSnapshot"}`))
	if err != nil || len(keys) != 2 || keys[klines] != 3 || keys[info] != 1 {
		t.Errorf("MatchCounts = %v, %v; want %q 3 times and %q once", keys, err, klines, info)
	}
}

func TestCandleIndexKeepsFinalsAndReadsRanges(t *testing.T) {
	c, path := mustCreate(t, nil)
	// 2500 candles span three index blocks; a 10-candle hole after 1500.
	all := minuteCandles(t0, 2500, true)
	first := append([]cc.Candle(nil), all[:1500]...)
	second := append([]cc.Candle(nil), all[1510:]...)
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: first}); err != nil {
		t.Fatal(err)
	}
	// An in-progress version of a final candle must not replace it...
	prog := minuteCandles(t0+100*60_000, 1, false)[0]
	prog.Close = dec("1.00")
	// ...while a final replaces an in-progress one.
	open := minuteCandles(t0+1510*60_000, 1, false)[0]
	open.Close = dec("2.00")
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: []cc.Candle{prog, open}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: second}); err != nil {
		t.Fatal(err)
	}
	// An in-progress candle past the end stays in progress.
	last := minuteCandles(t0+2500*60_000, 1, false)
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: last}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	r := openRO(t, path)
	got, err := r.Candles("BTCUSDT", cc.Interval1m, t0+95*60_000, t0+105*60_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || got[0].OpenTime != t0+95*60_000 {
		t.Fatalf("range read gave %d candles from %d", len(got), got[0].OpenTime)
	}
	if got[5] != all[100] {
		t.Errorf("final candle replaced by an in-progress one: %+v", got[5])
	}
	if got[0].TakerBuyQuote.String() != "-0.000000000000000001" || got[0].Volume.String() != "12.34500000" {
		t.Errorf("decimals not exact: %s %s", got[0].TakerBuyQuote, got[0].Volume)
	}
	one, _ := r.Candles("BTCUSDT", cc.Interval1m, t0+1510*60_000, t0+1511*60_000)
	if len(one) != 1 || one[0] != all[1510] {
		t.Errorf("in-progress candle not replaced by the final: %+v", one)
	}
	across, _ := r.Candles("BTCUSDT", cc.Interval1m, t0+990*60_000, t0+2010*60_000)
	if len(across) != 1010 {
		t.Errorf("read across blocks and the hole gave %d candles, want 1010", len(across))
	}
	// AppendCandles appends the same candles after what dst holds, in
	// dst's room when it has enough.
	head := minuteCandles(t0-60_000, 1, true)
	buf := append(make([]cc.Candle, 0, 2000), head...)
	app, err := r.AppendCandles(buf, "BTCUSDT", cc.Interval1m, t0+990*60_000, t0+2010*60_000)
	if err != nil || len(app) != 1011 || app[0] != head[0] || !slices.Equal(app[1:], across) || &app[0] != &buf[:1][0] {
		t.Errorf("AppendCandles gave %d candles (%v), want head + %d read into dst's room", len(app), err, len(across))
	}
	cv, err := r.Coverage("BTCUSDT", cc.Interval1m)
	if err != nil {
		t.Fatal(err)
	}
	want := []cassettes.Range{
		{Start: t0, End: t0 + 1500*60_000, Count: 1500},
		{Start: t0 + 1510*60_000, End: t0 + 2501*60_000, Count: 991, Open: 1},
	}
	if len(cv.Ranges) != 2 || cv.Ranges[0] != want[0] || cv.Ranges[1] != want[1] {
		t.Fatalf("coverage = %+v, want %+v", cv.Ranges, want)
	}
	if g := cv.Gaps(); len(g) != 1 || g[0].Start != t0+1500*60_000 || g[0].Count != 10 {
		t.Errorf("gaps = %+v", g)
	}
	series, _ := r.Series()
	if len(series) != 1 || series[0].Symbol != "BTCUSDT" || series[0].Interval != cc.Interval1m {
		t.Errorf("Series = %v", series)
	}
	if none, _ := r.Candles("ETHUSDT", cc.Interval1m, t0, t0+60_000); len(none) != 0 {
		t.Errorf("unknown series gave %d candles", len(none))
	}
}

func TestFramesKeepDirectionOffsetsAndStreams(t *testing.T) {
	c, path := mustCreate(t, nil)
	start := time.UnixMilli(t0)
	id, err := c.BeginConn("/ws?listenKey=secretkey", start)
	if err != nil {
		t.Fatal(err)
	}
	frames := []cassettes.Frame{
		{Conn: id, Dir: cassettes.FromClient, Opcode: 1, Offset: 5 * time.Millisecond, Payload: []byte(`{"op":"auth","args":["myapikey",1700,"mysig"]}`)},
		{Conn: id, Dir: cassettes.FromClient, Opcode: 1, Offset: 6 * time.Millisecond, Payload: []byte(`{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}`)},
		{Conn: id, Dir: cassettes.FromServer, Opcode: 1, Offset: 9 * time.Millisecond, Payload: []byte(`{"result":null,"id":1}`)},
		{Conn: id, Dir: cassettes.FromServer, Opcode: 1, Offset: 2 * time.Second, Stream: "BTCUSDT 1m", Payload: []byte(`{"e":"kline"}`)},
		{Conn: id, Dir: cassettes.FromServer, Opcode: 9, Offset: 3 * time.Second, Payload: []byte("ping")},
		{Conn: id, Dir: cassettes.FromServer, Opcode: 2, Offset: 4 * time.Second, Stream: "BTCUSDT 1m", Payload: []byte{0, 1, 2}},
	}
	for i, f := range frames {
		if err := c.AddFrame(f); err != nil {
			t.Fatal(err)
		}
		if i == 2 { // frames of one connection across two batches
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.EndConn(id, start.Add(5*time.Second), 1000); err != nil {
		t.Fatal(err)
	}
	if err := c.AddFrame(cassettes.Frame{Conn: 999}); err == nil {
		t.Error("a frame for an unknown connection was accepted")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	r := openRO(t, path)
	conns, err := r.Conns()
	if err != nil || len(conns) != 1 {
		t.Fatalf("Conns = %v, %v", conns, err)
	}
	conn := conns[0]
	if strings.Contains(conn.URL, "secretkey") || conn.CloseCode != 1000 || conn.Frames != 6 || conn.Streams["BTCUSDT 1m"] != 2 {
		t.Errorf("conn = %+v", conn)
	}
	var got []cassettes.Frame
	if err := r.Frames(conn.ID, func(f cassettes.Frame) error { got = append(got, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(frames) {
		t.Fatalf("read %d frames, want %d", len(got), len(frames))
	}
	for i, f := range got {
		w := frames[i]
		if f.Seq != uint64(i+1) || f.Dir != w.Dir || f.Opcode != w.Opcode || f.Offset != w.Offset || f.Stream != w.Stream {
			t.Errorf("frame %d = %+v, want %+v", i, f, w)
		}
		if i > 0 && string(f.Payload) != string(w.Payload) {
			t.Errorf("frame %d payload %q, want %q", i, f.Payload, w.Payload)
		}
	}
	if p := string(got[0].Payload); strings.Contains(p, "myapikey") || strings.Contains(p, "mysig") || !strings.Contains(p, `"op":"auth"`) {
		t.Errorf("auth frame not redacted: %s", p)
	}
	n := 0
	if err := r.StreamFrames("BTCUSDT 1m", func(f cassettes.Frame) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("StreamFrames gave %d frames, %v", n, err)
	}
	if m := r.Meta(); m.Conns != 1 || m.Frames != 6 {
		t.Errorf("meta totals %+v", m)
	}
}

func TestWritesAreBatched(t *testing.T) {
	var batches, items atomic.Int64
	c, _ := mustCreate(t, &cassettes.Options{BatchItems: 10, FlushInterval: time.Hour, OnCommit: func(ci cassettes.CommitInfo) {
		batches.Add(1)
		items.Add(int64(ci.Interactions))
	}})
	for i := 0; i < 35; i++ {
		if err := c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/x", Status: 200, Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if batches.Load() != 4 || items.Load() != 35 {
		t.Errorf("35 items in batches of 10 gave %d batches with %d items", batches.Load(), items.Load())
	}
	// The interval commits without Flush too.
	c2, _ := mustCreate(t, &cassettes.Options{FlushInterval: 20 * time.Millisecond})
	if err := c2.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/y", Status: 200}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c2.Meta().Interactions == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c2.Meta().Interactions != 1 {
		t.Error("the flush interval did not commit the batch")
	}
}

func TestAppendingAndExchangeMismatch(t *testing.T) {
	c, path := mustCreate(t, nil)
	if err := c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/a", Status: 200}); err != nil {
		t.Fatal(err)
	}
	id, _ := c.BeginConn("/ws", time.Now())
	c.EndConn(id, time.Now(), 1000)
	c.Close()

	if _, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "okx_spot"}); !errors.Is(err, cassettes.ErrExchangeMismatch) {
		t.Fatalf("opening binance_spot's cassette for okx_spot: %v, want ErrExchangeMismatch", err)
	}
	a, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot"})
	if err != nil {
		t.Fatal(err)
	}
	a.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/b", Status: 200})
	id2, _ := a.BeginConn("/ws", time.Now())
	if id2 <= id {
		t.Errorf("appended connection id %d does not follow %d", id2, id)
	}
	a.EndConn(id2, time.Now(), 1000)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	r := openRO(t, path)
	var paths []string
	r.Interactions(func(ix *cassettes.Interaction) error { paths = append(paths, ix.Path); return nil })
	if strings.Join(paths, ",") != "/a,/b" {
		t.Errorf("after append: %v", paths)
	}
	if conns, _ := r.Conns(); len(conns) != 2 {
		t.Errorf("after append: %d conns", len(conns))
	}
	if err := r.AddInteraction(&cassettes.Interaction{}); !errors.Is(err, cassettes.ErrReadOnly) {
		t.Errorf("write on read-only: %v", err)
	}
}

func TestLearnedSecretsAreScrubbedWhereverTheyRecur(t *testing.T) {
	// The exchange declares its API-key header (as its plugin does).
	c, path := mustCreate(t, &cassettes.Options{Secrets: cassettes.Secrets{Headers: []string{"X-MBX-APIKEY"}}})
	key := "AbCdEfGh0123456789apikey"
	lk := "LiStEnKeY0123456789abcdefgh"
	c.AddInteraction(&cassettes.Interaction{Method: "POST", Path: "/api/v3/userDataStream", Status: 200,
		RequestHeader: http.Header{"X-Mbx-Apikey": {key}},
		Body:          []byte(`{"listenKey":"` + lk + `"}`)})
	// Later: the key in a body and a path, the listen key in a WS URL and
	// in server frames; a per-request signature is not hunted for.
	c.AddInteraction(&cassettes.Interaction{Method: "PUT", Path: "/api/v3/userDataStream/" + lk, Query: "signature=abcdef0123456789", Status: 200,
		Body: []byte(`{"echo":"` + key + `","note":"abcdef0123456789"}`)})
	id, _ := c.BeginConn("/ws/"+lk, time.Now())
	c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromServer, Opcode: 1, Payload: []byte(`{"stream":"` + lk + `"}`)})
	c.EndConn(id, time.Now(), 1000)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	r := openRO(t, path)
	var all []string
	r.Interactions(func(ix *cassettes.Interaction) error {
		all = append(all, ix.Path, ix.Query, string(ix.Body), strings.Join(ix.RequestHeader.Values("X-Mbx-Apikey"), ","))
		return nil
	})
	conns, _ := r.Conns()
	all = append(all, conns[0].URL)
	r.Frames(id, func(f cassettes.Frame) error { all = append(all, string(f.Payload)); return nil })
	joined := strings.Join(all, "\n")
	if strings.Contains(joined, key) || strings.Contains(joined, lk) {
		t.Errorf("a learned secret survived:\n%s", joined)
	}
	if !strings.Contains(joined, `"note":"abcdef0123456789"`) {
		t.Errorf("a signature value was scrubbed from an unrelated field:\n%s", joined)
	}
	if !strings.Contains(joined, "/ws/REDACTED") || !strings.Contains(joined, `{"stream":"REDACTED"}`) {
		t.Errorf("the listen key was not replaced where it recurred:\n%s", joined)
	}
}
