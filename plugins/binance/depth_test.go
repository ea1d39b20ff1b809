package binance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type depthSnapshot struct {
	LastUpdateID int64       `json:"lastUpdateId"`
	E            int64       `json:"E"`
	T            int64       `json:"T"`
	Bids         [][2]string `json:"bids"`
	Asks         [][2]string `json:"asks"`
}

type depthEvent struct {
	E  string      `json:"e"`
	ET int64       `json:"E"`
	T  int64       `json:"T"`
	S  string      `json:"s"`
	U  int64       `json:"U"`
	Lu int64       `json:"u"`
	PU int64       `json:"pu"`
	B  [][2]string `json:"b"`
	A  [][2]string `json:"a"`
}

// levels is a book side as Binance encodes it: price and quantity
// strings with places decimals at least (spot 8, USD-M the market's).
func levels(ls []cc.BookLevel, places int) [][2]string {
	out := make([][2]string, len(ls))
	for i, l := range ls {
		out[i] = [2]string{l.Price.Fixed(max(places, int(l.Price.Scale))), l.Size.Fixed(max(places, int(l.Size.Scale)))}
	}
	return out
}

func TestDepthREST(t *testing.T) {
	ctx := context.Background()
	clock := replaytest.Clock(fixedNow, 0)
	at := fixedNow.UnixMilli()*1000 + 999
	for _, tc := range []struct {
		kind   binance.Kind
		path   string
		limit  string
		levels int
		fields string
	}{
		{binance.Spot, "/api/v3/depth?symbol=BTCUSDT", "", 100, "lastUpdateId bids asks"},
		{binance.Spot, "/api/v3/depth?symbol=ETHUSDT", "&limit=1", 1, "lastUpdateId bids asks"},
		{binance.Spot, "/api/v3/depth?symbol=BTCUSDT", "&limit=5000", 5000, "lastUpdateId bids asks"},
		{binance.Spot, "/api/v3/depth?symbol=BTCUSDT", "&limit=7000", 5000, "lastUpdateId bids asks"},
		{binance.Perpetual, "/fapi/v1/depth?symbol=BTCUSDT", "", 500, "lastUpdateId E T bids asks"},
		{binance.Perpetual, "/fapi/v1/depth?symbol=ETHUSDT", "&limit=5", 5, "lastUpdateId E T bids asks"},
		{binance.Perpetual, "/fapi/v1/depth?symbol=ETHUSDT", "&limit=1000", 1000, "lastUpdateId E T bids asks"},
	} {
		env := synthEnv(clock, "binance_spot")
		srv := serve(t, binance.New(tc.kind, binance.Options{}), env)
		st, b := get(t, srv.URL+tc.path+tc.limit)
		if st != 200 || strings.Join(keys(t, b), " ") != tc.fields {
			t.Fatalf("%s%s: %d %.300s", tc.path, tc.limit, st, b)
		}
		var got depthSnapshot
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		sym := strings.TrimPrefix(tc.path[strings.Index(tc.path, "?"):], "?symbol=")
		want, err := env.Books.Book(ctx, sym, at, tc.levels)
		if err != nil {
			t.Fatal(err)
		}
		places := 8
		if tc.kind == binance.Perpetual {
			places = 0
			if got.E != fixedNow.UnixMilli() || got.T != got.E {
				t.Errorf("%s: E %d T %d", tc.path, got.E, got.T)
			}
		}
		if len(want.Bids) != tc.levels || len(want.Asks) != tc.levels {
			t.Fatalf("%s: the synthetic book has %d bids, %d asks", sym, len(want.Bids), len(want.Asks))
		}
		if got.LastUpdateID != want.Seq || !slices.Equal(got.Bids, levels(want.Bids, places)) || !slices.Equal(got.Asks, levels(want.Asks, places)) {
			t.Errorf("%s%s: %.300s\nwant seq %d, %v / %v", tc.path, tc.limit, b, want.Seq, want.Bids[0], want.Asks[0])
		}
	}
	for _, tc := range []struct {
		kind binance.Kind
		path string
		code int
	}{
		{binance.Spot, "/api/v3/depth?symbol=BTCUSDT&limit=0", -1130},
		{binance.Spot, "/api/v3/depth?symbol=BTCUSDT&limit=abc", -1100},
		{binance.Spot, "/api/v3/depth?symbol=NOPE", -1121},
		{binance.Spot, "/api/v3/depth", -1102},
		{binance.Perpetual, "/fapi/v1/depth?symbol=BTCUSDT&limit=7", -1130},
		{binance.Perpetual, "/fapi/v1/depth?symbol=BTCUSDT&limit=5000", -1130},
	} {
		srv := serve(t, binance.New(tc.kind, binance.Options{}), synthEnv(clock, "binance_spot"))
		st, b := get(t, srv.URL+tc.path)
		var e struct{ Code int }
		if json.Unmarshal(b, &e) != nil || st != http.StatusBadRequest || e.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.path, st, b, tc.code)
		}
	}
	// Without books the symbol has no depth here.
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), newEnv(clock))
	if st, b := get(t, srv.URL+"/api/v3/depth?symbol=BTCUSDT"); st != 400 || !strings.Contains(string(b), "-1121") {
		t.Errorf("no books: %d %s", st, b)
	}
}

// The touch the tickers show is the book's top, with the book's update id.
func TestBookTickerIsTheBooksTop(t *testing.T) {
	clock := replaytest.Clock(fixedNow, 0)
	for _, kind := range []binance.Kind{binance.Spot, binance.Perpetual} {
		srv := serve(t, binance.New(kind, binance.Options{}), synthEnv(clock, "binance_spot"))
		prefix := "/api/v3"
		if kind == binance.Perpetual {
			prefix = "/fapi/v1"
		}
		_, b := get(t, srv.URL+prefix+"/depth?symbol=ETHUSDT&limit=5")
		var d depthSnapshot
		json.Unmarshal(b, &d)
		_, b = get(t, srv.URL+prefix+"/ticker/bookTicker?symbol=ETHUSDT")
		var bt struct {
			LastUpdateID               int64
			BidPrice, BidQty, AskPrice string
			AskQty                     string
		}
		json.Unmarshal(b, &bt)
		if bt.BidPrice != d.Bids[0][0] || bt.BidQty != d.Bids[0][1] || bt.AskPrice != d.Asks[0][0] || bt.AskQty != d.Asks[0][1] ||
			(kind == binance.Perpetual && bt.LastUpdateID != d.LastUpdateID) {
			t.Errorf("kind %v: bookTicker %s, depth %+v", kind, b, d)
		}
	}
}

// syncBook keeps a local book by Binance's documented procedure and
// checks it against the synthetic book at each event's instant.
type syncBook struct {
	bids, asks map[string]string
	lastU      int64
	lo, hi     cc.Decimal // the snapshot's price window
	applied    int
	levels     int // levels changed by the applied events
}

func newSyncBook(d depthSnapshot) *syncBook {
	s := &syncBook{bids: map[string]string{}, asks: map[string]string{}, lastU: d.LastUpdateID}
	for _, l := range d.Bids {
		s.bids[l[0]] = l[1]
	}
	for _, l := range d.Asks {
		s.asks[l[0]] = l[1]
	}
	s.lo, s.hi = cc.MustDecimal(d.Bids[len(d.Bids)-1][0]), cc.MustDecimal(d.Asks[len(d.Asks)-1][0])
	return s
}

// apply applies ev by the procedure: events up to the snapshot are
// dropped, the first applied straddles it, then each continues the last.
func (s *syncBook) apply(t *testing.T, ev depthEvent, futures bool) bool {
	t.Helper()
	if ev.Lu <= s.lastU && s.applied == 0 {
		return false
	}
	switch {
	case s.applied == 0:
		if !(ev.U <= s.lastU+1 && s.lastU+1 <= ev.Lu) {
			t.Fatalf("first event [%d, %d] does not straddle the snapshot's %d", ev.U, ev.Lu, s.lastU)
		}
	case futures && ev.PU != s.lastU:
		t.Fatalf("event pu %d after u %d", ev.PU, s.lastU)
	case ev.U != s.lastU+1:
		t.Fatalf("event U %d after u %d", ev.U, s.lastU)
	}
	for k, side := range [][][2]string{ev.B, ev.A} {
		m := s.bids
		if k == 1 {
			m = s.asks
		}
		for _, l := range side {
			if cc.MustDecimal(l[1]).IsZero() {
				delete(m, l[0])
			} else {
				m[l[0]] = l[1]
			}
		}
		s.levels += len(side)
	}
	s.lastU = ev.Lu
	s.applied++
	return true
}

// check compares the local book with the synthetic one inside the
// snapshot's price window (levels outside it were never sent).
func (s *syncBook) check(t *testing.T, want cc.Book, places int) {
	t.Helper()
	in := func(p string) bool { d := cc.MustDecimal(p); return d.Cmp(s.lo) >= 0 && d.Cmp(s.hi) <= 0 }
	for k, side := range [][]cc.BookLevel{want.Bids, want.Asks} {
		m := s.bids
		if k == 1 {
			m = s.asks
		}
		n := 0
		for _, l := range levels(side, places) {
			if !in(l[0]) {
				continue
			}
			n++
			if m[l[0]] != l[1] {
				t.Fatalf("side %d at u %d: level %s holds %q locally, %s in the book", k, s.lastU, l[0], m[l[0]], l[1])
			}
		}
		local := 0
		for p := range m {
			if in(p) {
				local++
			}
		}
		if local != n {
			t.Fatalf("side %d at u %d: %d levels in the window locally, %d in the book", k, s.lastU, local, n)
		}
	}
	var bestBid, bestAsk cc.Decimal
	for p := range s.bids {
		if d := cc.MustDecimal(p); bestBid.IsZero() || d.Cmp(bestBid) > 0 {
			bestBid = d
		}
	}
	for p := range s.asks {
		if d := cc.MustDecimal(p); bestAsk.IsZero() || d.Cmp(bestAsk) < 0 {
			bestAsk = d
		}
	}
	if bestBid.Cmp(bestAsk) >= 0 {
		t.Fatalf("crossed at u %d: %s / %s", s.lastU, bestBid, bestAsk)
	}
}

// TestDepthStreamSync keeps a book from the diff stream and a snapshot by
// the documented procedure, on spot and USD-M, at 100 ms and the default
// speed, over a few seconds of accelerated time.
func TestDepthStreamSync(t *testing.T) {
	for _, tc := range []struct {
		kind   binance.Kind
		stream string
		rest   string
		every  int64
	}{
		{binance.Spot, "btcusdt@depth@100ms", "/api/v3/depth?symbol=BTCUSDT&limit=5000", 100},
		{binance.Spot, "ethusdt@depth", "/api/v3/depth?symbol=ETHUSDT&limit=1000", 1000},
		{binance.Perpetual, "btcusdt@depth@100ms", "/fapi/v1/depth?symbol=BTCUSDT&limit=1000", 100},
		{binance.Perpetual, "ethusdt@depth", "/fapi/v1/depth?symbol=ETHUSDT&limit=500", 250},
		{binance.Perpetual, "ethusdt@depth@500ms", "/fapi/v1/depth?symbol=ETHUSDT&limit=100", 500},
	} {
		t.Run(fmt.Sprintf("%v/%s", tc.kind, tc.stream), func(t *testing.T) {
			clock := replaytest.Clock(fixedNow, 10)
			env := synthEnv(clock, "binance_spot")
			srv := serve(t, binance.New(tc.kind, binance.Options{}), env)
			futures := tc.kind == binance.Perpetual
			path := "/stream?streams=" + tc.stream
			if futures {
				path = "/public" + path
			}
			c := dial(t, srv.URL, path)
			// Buffer a few events, then take the snapshot.
			var buf []depthEvent
			next := func() depthEvent {
				var env struct {
					Stream string
					Data   json.RawMessage
				}
				b := read(t, c)
				if err := json.Unmarshal(b, &env); err != nil || env.Stream != tc.stream {
					t.Fatalf("%s", b)
				}
				want := "e E s U u b a"
				if futures {
					want = "e E T s U u pu b a"
				}
				if got := strings.Join(keys(t, env.Data), " "); got != want {
					t.Fatalf("fields %q: %.200s", got, env.Data)
				}
				var ev depthEvent
				json.Unmarshal(env.Data, &ev)
				if ev.E != "depthUpdate" || ev.S != strings.ToUpper(strings.Split(tc.stream, "@")[0]) || !onBeat(ev.S, ev.ET, tc.every) {
					t.Fatalf("event %.200s", env.Data)
				}
				return ev
			}
			for range 3 {
				buf = append(buf, next())
			}
			_, b := get(t, srv.URL+tc.rest)
			var snap depthSnapshot
			if err := json.Unmarshal(b, &snap); err != nil {
				t.Fatal(err)
			}
			local := newSyncBook(snap)
			places := 8
			if futures {
				places = 0
			}
			end := time.Now().Add(1500 * time.Millisecond)
			var prev int64
			for i := 0; time.Now().Before(end) || local.applied < 5; i++ {
				var ev depthEvent
				if i < len(buf) {
					ev = buf[i]
				} else {
					ev = next()
				}
				if prev != 0 && ev.ET <= prev {
					t.Fatalf("event time %d after %d", ev.ET, prev)
				}
				prev = ev.ET
				if local.apply(t, ev, futures) {
					want, err := env.Books.Book(context.Background(), snapSymbol(tc.rest), ev.ET*1000, 0)
					if err != nil {
						t.Fatal(err)
					}
					if want.Seq != ev.Lu {
						t.Fatalf("event u %d at %d, the book's Seq there %d", ev.Lu, ev.ET, want.Seq)
					}
					local.check(t, want, places)
				}
			}
			t.Logf("%d events applied, %.1f levels each", local.applied, float64(local.levels)/float64(local.applied))
		})
	}
}

// onBeat reports whether et (ms) ends a step of symbol's depth stream at
// every ms: a multiple of every plus the symbol's phase.
func onBeat(symbol string, et, every int64) bool {
	return (et-binance.DepthPhase(symbol, every))%every == 0
}

// Each symbol's depth events are on a beat of its own, as on Binance: the
// E of BTCUSDT's and ETHUSDT's @depth@100ms events are not on the same
// instants (nor on round ones), so the streams of many symbols are not
// all due at once. The phases are fixed (a recording's replay, a test's
// expectations stay put).
func TestDepthStreamsOfTwoSymbolsAreOnBeatsOfTheirOwn(t *testing.T) {
	clock := replaytest.Clock(fixedNow, 10)
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), synthEnv(clock, "binance_spot"))
	c := dial(t, srv.URL, "/stream?streams=btcusdt@depth@100ms/ethusdt@depth@100ms")
	phases := map[string]map[int64]bool{}
	for range 40 {
		var env struct {
			Stream string
			Data   depthEvent
		}
		if err := json.Unmarshal(read(t, c), &env); err != nil {
			t.Fatal(err)
		}
		if phases[env.Data.S] == nil {
			phases[env.Data.S] = map[int64]bool{}
		}
		phases[env.Data.S][env.Data.ET%100] = true
	}
	for sym, want := range map[string]int64{"BTCUSDT": 64, "ETHUSDT": 28} {
		if got := binance.DepthPhase(sym, 100); got != want {
			t.Errorf("%s: phase %d ms, want %d", sym, got, want)
		}
		if len(phases[sym]) != 1 || !phases[sym][want] {
			t.Errorf("%s: events at %v ms past the 100 ms multiples, want all at %d", sym, phases[sym], want)
		}
	}
	if p := binance.DepthPhase("BTCUSDT", 1000); p < 0 || p >= 1000 {
		t.Errorf("BTCUSDT @depth (1000 ms): phase %d", p)
	}
}

func snapSymbol(rest string) string {
	_, q, _ := strings.Cut(rest, "symbol=")
	sym, _, _ := strings.Cut(q, "&")
	return sym
}

// Partial streams: spot {"lastUpdateId","bids","asks"}, USD-M a
// depthUpdate holding the top levels, both the book at a step's end.
func TestPartialDepthStreams(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		kind   binance.Kind
		stream string
		n      int
		every  int64
	}{
		{binance.Spot, "ethusdt@depth5@100ms", 5, 100},
		{binance.Spot, "btcusdt@depth20", 20, 1000},
		{binance.Perpetual, "btcusdt@depth10", 10, 250},
		{binance.Perpetual, "ethusdt@depth20@100ms", 20, 100},
	} {
		clock := replaytest.Clock(fixedNow, 10)
		env := synthEnv(clock, "binance_spot")
		srv := serve(t, binance.New(tc.kind, binance.Options{}), env)
		c := dial(t, srv.URL, "/ws/"+tc.stream)
		sym := strings.ToUpper(strings.Split(tc.stream, "@")[0])
		var lastU int64
		for i := range 6 {
			b := read(t, c)
			if tc.kind == binance.Spot {
				if got := strings.Join(keys(t, b), " "); got != "lastUpdateId bids asks" {
					t.Fatalf("%s fields %q", tc.stream, got)
				}
				var d depthSnapshot
				json.Unmarshal(b, &d)
				want := bookWithSeq(t, env, sym, d.LastUpdateID, tc.every, tc.n)
				if d.LastUpdateID <= lastU || !slices.Equal(d.Bids, levels(want.Bids, 8)) || !slices.Equal(d.Asks, levels(want.Asks, 8)) {
					t.Fatalf("%s event %d: %.300s", tc.stream, i, b)
				}
				lastU = d.LastUpdateID
				continue
			}
			if got := strings.Join(keys(t, b), " "); got != "e E T s U u pu b a" {
				t.Fatalf("%s fields %q", tc.stream, got)
			}
			var ev depthEvent
			json.Unmarshal(b, &ev)
			want, err := env.Books.Book(ctx, sym, ev.ET*1000, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if !onBeat(sym, ev.ET, tc.every) || ev.Lu != want.Seq || ev.U != ev.PU+1 || (lastU != 0 && ev.PU != lastU) ||
				!slices.Equal(ev.B, levels(want.Bids, 0)) || !slices.Equal(ev.A, levels(want.Asks, 0)) {
				t.Fatalf("%s event %d: %.300s", tc.stream, i, b)
			}
			lastU = ev.Lu
		}
	}
}

// bookWithSeq finds the book at the step end whose Seq is seq, among the
// last few hundred steps.
func bookWithSeq(t *testing.T, env *plugins.Env, sym string, seq, every int64, n int) cc.Book {
	t.Helper()
	ph := binance.DepthPhase(sym, every)
	now := (env.Clock.NowMillis()-ph)/every*every + ph
	for k := range int64(400) {
		b, err := env.Books.Book(context.Background(), sym, (now-k*every)*1000, n)
		if err != nil {
			t.Fatal(err)
		}
		if b.Seq == seq {
			return b
		}
		if b.Seq < seq {
			break
		}
	}
	t.Fatalf("no step end has seq %d", seq)
	return cc.Book{}
}

// Unknown speeds and level counts stay silent, as on Binance.
func TestDepthStreamNames(t *testing.T) {
	clock := replaytest.Clock(fixedNow, 10)
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), synthEnv(clock, "binance_spot"))
	c := dial(t, srv.URL, "/stream?streams=btcusdt@depth7/btcusdt@depth@250ms/btcusdt@depth5@100ms")
	for range 5 {
		var env struct{ Stream string }
		if b := read(t, c); json.Unmarshal(b, &env) != nil || env.Stream != "btcusdt@depth5@100ms" {
			t.Fatalf("%.200s", b)
		}
	}
}

// USD-M's WS API depth is /fapi/v1/depth's answer, its weight counted.
func TestFuturesWSAPIDepth(t *testing.T) {
	srv := serve(t, binance.New(binance.Perpetual, binance.Options{}), synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot"))
	c := dial(t, srv.URL, "/ws-fapi/v1")
	send(t, c, `{"id":"d","method":"depth","params":{"symbol":"BTCUSDT","limit":100}}`)
	var r wsAPIReply
	if b := read(t, c); json.Unmarshal(b, &r) != nil {
		t.Fatalf("%s", b)
	}
	_, want := get(t, srv.URL+"/fapi/v1/depth?symbol=BTCUSDT&limit=100")
	if r.Status != 200 || string(r.Result) != string(want) || len(r.RateLimits) != 1 || r.RateLimits[0].Count != 5 {
		t.Errorf("%d %.200s (%+v)\nREST %.200s", r.Status, r.Result, r.RateLimits, want)
	}
	send(t, c, `{"id":"e","method":"depth","params":{"symbol":"BTCUSDT","limit":7}}`)
	if b := read(t, c); json.Unmarshal(b, &r) != nil || r.Status != 400 || r.Error == nil || r.Error.Code != -1130 {
		t.Errorf("limit 7: %s", b)
	}
}

// A diff event is sent at the end of its step, never before: the clock
// a client reads when the event arrives is at or past the event's E (the
// step's end; Binance sends each 100 ms diff once its step is over). The
// streams' next step is computed ahead (DiffShare.Prefetch), which must
// not make it go out early. Several clients on one symbol, raw and
// combined, as the shared steps and events serve them together; speed 1.
func TestDepthEventsAreNeverAheadOfTheClock(t *testing.T) {
	for _, kind := range []binance.Kind{binance.Spot, binance.Perpetual} {
		name := map[binance.Kind]string{binance.Spot: "spot", binance.Perpetual: "usdm"}[kind]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := replaytest.Clock(fixedNow, 1)
			env := synthEnv(clock, "binance_spot")
			srv := serve(t, binance.New(kind, binance.Options{}), env)
			prefix := ""
			if kind == binance.Perpetual {
				prefix = "/public"
			}
			paths := []string{"/ws/btcusdt@depth@100ms", "/ws/btcusdt@depth@100ms", "/stream?streams=btcusdt@depth@100ms"}
			// Each client reads its first 10 events: about a second at
			// speed 1, more under -race on a loaded machine.
			const want = 10
			errs := make(chan error, len(paths))
			for _, p := range paths {
				c := dial(t, srv.URL, prefix+p)
				go func() {
					for range want {
						c.SetReadDeadline(time.Now().Add(15 * time.Second))
						_, b, err := c.ReadMessage()
						now := clock.NowMillis()
						if err != nil {
							errs <- fmt.Errorf("%s: %v", p, err)
							return
						}
						var ev depthEvent
						if strings.HasPrefix(p, "/stream") {
							var w struct{ Data depthEvent }
							err = json.Unmarshal(b, &w)
							ev = w.Data
						} else {
							err = json.Unmarshal(b, &ev)
						}
						if err != nil || ev.E != "depthUpdate" || !onBeat("BTCUSDT", ev.ET, 100) {
							errs <- fmt.Errorf("%s: not a 100 ms diff event: %.200s", p, b)
							return
						}
						if ev.ET > now {
							errs <- fmt.Errorf("%s: event for the step ending at %d received at %d, %d ms before its end", p, ev.ET, now, ev.ET-now)
							return
						}
					}
					errs <- nil
				}()
			}
			for range paths {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}
