package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// familyCase is one more id's recorded book (binance_spot and okx_spot
// are bookCases'; with them every registered id has one, which
// TestEveryIDHasARecordedBookCase checks): the stream to record ("" with bullet: KuCoin's endpoint
// from POST /api/v1/bullet-public), the REST snapshot taken while it
// runs ("POST /path body" for a POST), another snapshot request matching
// no recorded interaction ("": none the exchange tells apart), the
// levels compared, whether the exchange names update ids, and whether
// its snapshots are stamped when they arrive (Kraken: the upstream then
// runs on the wall clock, as a real exchange does).
type familyCase struct {
	id, symbol        string
	stream, subscribe string
	bullet            bool
	rest, other       string
	depth             int
	idless, arrival   bool
	// lot is a contract's size in the base asset where the exchange
	// counts levels in contracts ("": base units): the upstream's book
	// is compared rounded to whole contracts, at least one a level.
	lot string
	// ownSeq: the exchange numbers its changes itself, one sequence a
	// message (KuCoin futures), not with the market's update ids: the
	// id a book is compared at is the recorded stream's.
	ownSeq bool
	// atClock: the exchange's REST snapshot is the book at the clock
	// (Binance), not at the 100 ms grid instant before it.
	atClock bool
}

// inLots is b with each size in whole lots of lot (at least one for a
// level that holds anything), as a contract exchange's encoders count.
func inLots(b cc.Book, lot string) cc.Book {
	if lot == "" {
		return b
	}
	l := cc.MustDecimal(lot)
	conv := func(ls []cc.BookLevel) []cc.BookLevel {
		out := make([]cc.BookLevel, len(ls))
		for i, x := range ls {
			n := x.Size.Rescale(int(l.Scale))
			if n.IsZero() && !x.Size.IsZero() {
				n = l
			}
			out[i] = cc.BookLevel{Price: x.Price, Size: n}
		}
		return out
	}
	b.Bids, b.Asks = conv(b.Bids), conv(b.Asks)
	return b
}

var familyCases = []familyCase{
	{id: "bybit_spot", symbol: "BTCUSDT", stream: "/v5/public/spot", subscribe: `{"op":"subscribe","args":["orderbook.200.BTCUSDT"]}`,
		rest: "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=200", other: "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=50", depth: 100},
	{id: "kraken_spot", symbol: "XBT/USDT", stream: "/v2", subscribe: `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USDT"],"depth":100}}`,
		rest: "/0/public/Depth?pair=XBTUSDT&count=100", other: "/0/public/Depth?pair=XBTUSDT&count=50", depth: 100, idless: true, arrival: true},
	{id: "kucoin_spot", symbol: "BTC-USDT", bullet: true, subscribe: `{"id":"1","type":"subscribe","topic":"/market/level2:BTC-USDT","response":true}`,
		rest: "/api/v1/market/orderbook/level2_100?symbol=BTC-USDT", other: "/api/v1/market/orderbook/level2_20?symbol=BTC-USDT", depth: 20},
	{id: "gate_io_spot", symbol: "BTC_USDT", stream: "/ws/v4/", subscribe: `{"time":1,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}`,
		rest: "/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true", other: "/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=50&with_id=true", depth: 100},
	{id: "mexc_spot", symbol: "BTCUSDT", stream: "/ws", subscribe: `{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"],"id":1}`,
		rest: "/api/v3/depth?symbol=BTCUSDT&limit=1000", other: "/api/v3/depth?symbol=BTCUSDT&limit=500", depth: 100},
	{id: "kucoin_perpetual", symbol: "XBTUSDTM", bullet: true, subscribe: `{"id":"1","type":"subscribe","topic":"/contractMarket/level2:XBTUSDTM","response":true}`,
		rest: "/api/v1/level2/snapshot?symbol=XBTUSDTM", other: "/api/v1/level2/depth20?symbol=XBTUSDTM", depth: 20, lot: "0.001", ownSeq: true},
	{id: "mexc_perpetual", symbol: "BTC_USDT", stream: "/edge", subscribe: `{"method":"sub.depth","param":{"symbol":"BTC_USDT"}}`,
		rest: "/api/v1/contract/depth/BTC_USDT", other: "/api/v1/contract/depth/BTC_USDT?limit=20", depth: 20, lot: "0.0001"},
	{id: "hyperliquid_perpetual", symbol: "BTC", stream: "/ws", subscribe: `{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}}`,
		rest: `POST /info {"type":"l2Book","coin":"BTC"}`, depth: 20, idless: true},
	{id: "ascend_ex_spot", symbol: "BTC/USDT", stream: "/1/api/pro/v1/stream", subscribe: `{"op":"sub","id":"d","ch":"depth:BTC/USDT"}`,
		rest: "/api/pro/v1/depth?symbol=BTC/USDT", depth: 100},
	{id: "binance_perpetual", symbol: "BTCUSDT", stream: "/ws/btcusdt@depth@100ms",
		rest: "/fapi/v1/depth?symbol=BTCUSDT&limit=1000", other: "/fapi/v1/depth?symbol=BTCUSDT&limit=100", depth: 100, atClock: true},
	{id: "okx_perpetual", symbol: "BTC-USDT-SWAP", stream: "/ws/v5/public", subscribe: `{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"}]}`,
		rest: "/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400", other: "/api/v5/market/books?instId=BTC-USDT-SWAP&sz=100", depth: 100, lot: "0.00001"},
	{id: "bybit_perpetual", symbol: "BTCUSDT", stream: "/v5/public/linear", subscribe: `{"op":"subscribe","args":["orderbook.200.BTCUSDT"]}`,
		rest: "/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=200", other: "/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50", depth: 100},
	{id: "gate_io_perpetual", symbol: "BTC_USDT", stream: "/v4/ws/usdt", subscribe: `{"time":1,"channel":"futures.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms","100"]}`,
		rest: "/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=100&with_id=true", other: "/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=50&with_id=true", depth: 100, lot: "0.0001"},
	{id: "hyperliquid_spot", symbol: "@142", stream: "/ws", subscribe: `{"method":"subscribe","subscription":{"type":"l2Book","coin":"@142"}}`,
		rest: `POST /info {"type":"l2Book","coin":"@142"}`, depth: 20, idless: true},
	{id: "coinbase_advanced_trade", symbol: "BTC-USDT", stream: "/", subscribe: `{"type":"subscribe","product_ids":["BTC-USDT"],"channel":"level2"}`,
		rest: "/api/v3/brokerage/market/product_book?product_id=BTC-USDT&limit=1000", other: "/api/v3/brokerage/market/product_book?product_id=BTC-USDT&limit=50", depth: 100, idless: true},
}

// Every registered exchange id records and replays its book in one of
// the two record→replay book tests.
func TestEveryIDHasARecordedBookCase(t *testing.T) {
	have := map[string]bool{}
	for _, c := range bookCases {
		have[c.id] = true
	}
	for _, c := range familyCases {
		if have[c.id] {
			t.Errorf("%s has two cases", c.id)
		}
		have[c.id] = true
	}
	for _, id := range plugins.Names() {
		if strings.HasSuffix(id, "_test") {
			continue // a plugin this package's tests register
		}
		if !have[id] {
			t.Errorf("%s has no recorded book case", id)
		}
		delete(have, id)
	}
	for id := range have {
		t.Errorf("a case for %s, which is not registered", id)
	}
}

// call sends a request spec (a GET path, or "POST /path body") to base
// and returns the body and the request as a decoder sees it.
func call(t *testing.T, base, spec string) ([]byte, *http.Request) {
	t.Helper()
	method, path, body := http.MethodGet, spec, ""
	if rest, ok := strings.CutPrefix(spec, "POST "); ok {
		method = http.MethodPost
		path, body, _ = strings.Cut(rest, " ")
	}
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", spec, resp.StatusCode, b)
	}
	dreq, _ := http.NewRequest(method, path, strings.NewReader(body))
	return b, dreq
}

// bookPoint is an instant the recorded stream changed the book: every
// record of that time, the last id they reach.
type bookPoint struct {
	time, first, last int64
	after             bool // a record of it came after the REST snapshot
}

// TestRecordedBooksReplayEveryFamily records each family's book stream
// and a REST snapshot from a synthetic upstream (seed 42), then replays
// at seed 7: at every instant the recorded stream changed the book after
// the REST snapshot, the replay's book is the upstream's (levels, and
// the update id where the exchange names one) — rebuilt from the
// recorded snapshot and updates, not the replay's own market; its diffs
// over the recorded stretch are the recorded ones; a REST snapshot that
// matches no recorded request is the recorded book at the replay's
// clock; the recorded REST request replays verbatim.
func TestRecordedBooksReplayEveryFamily(t *testing.T) {
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range familyCases {
		t.Run(tc.id, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "books.cassette")
			clock := replaytest.Clock(at, 20)
			if tc.arrival {
				clock = replaytest.Clock(time.Now(), 1)
			}
			up := replaytest.StartWith(t, replay.Options{Exchange: tc.id, Seed: 42, Clock: clock})
			rec, err := record.Start(record.Options{
				Exchange: tc.id, Cassette: path,
				UpstreamREST: up.URL, UpstreamWS: up.WSURL,
				CassetteOptions: cassettes.Options{NoSync: true},
			}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			// dial connects to srv's book stream (KuCoin's through its
			// bullet) and subscribes.
			dial := func(httpURL, wsBase string) *websocket.Conn {
				wsURL := wsBase + tc.stream
				if tc.bullet {
					body, _ := call(t, httpURL, "POST /api/v1/bullet-public ")
					var b struct {
						Data struct {
							Token           string
							InstanceServers []struct{ Endpoint string }
						}
					}
					if err := json.Unmarshal(body, &b); err != nil || len(b.Data.InstanceServers) == 0 {
						t.Fatalf("bullet: %v %s", err, body)
					}
					wsURL = b.Data.InstanceServers[0].Endpoint + "?token=" + b.Data.Token
				}
				conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := conn.WriteMessage(websocket.TextMessage, []byte(tc.subscribe)); err != nil {
					t.Fatal(err)
				}
				return conn
			}
			conn := dial(rec.URL(), rec.WSURL())
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			dec := up.Plugin.(plugins.BookDecoder)
			var sets []plugins.BookSet
			var restBody []byte
			var snap cc.Book
			restAt, after := -1, 0 // sets[restAt:] came after the REST snapshot
			var prevTime int64
			for after < 32 { // instants after the REST snapshot
				_, b, err := conn.ReadMessage()
				if err != nil {
					t.Fatalf("after %d sets: %v", len(sets), err)
				}
				ss, err := dec.DecodeBookFrame(tc.stream, b)
				if err != nil || len(ss) != 1 || ss[0].Symbol != tc.symbol {
					continue // acks, heartbeats
				}
				sets = append(sets, ss[0])
				t0 := ss[0].Book.Time
				if ss[0].Diff != nil {
					t0 = ss[0].Diff.Time
				}
				if restAt >= 0 && t0 != prevTime && (tc.idless || ss[0].Diff == nil || ss[0].Diff.LastSeq > snap.Seq) {
					after++
				}
				prevTime = t0
				if len(sets) == 2 && restBody == nil {
					var req *http.Request
					restBody, req = call(t, rec.URL(), tc.rest)
					rs, err := dec.DecodeBook(req, restBody)
					if err != nil || len(rs) != 1 {
						t.Fatalf("REST: %v %.300s", err, restBody)
					}
					snap, restAt = rs[0].Book, len(sets)
				}
			}
			conn.Close()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := rec.Close(cctx); err != nil {
				t.Fatal(err)
			}

			// The instants the stream changed the book, its last one left
			// out (the recording may have stopped inside it).
			var pts []bookPoint
			for i, s := range sets {
				t0, first, last := s.Book.Time, s.Book.Seq, s.Book.Seq
				if s.Diff != nil {
					t0, first, last = s.Diff.Time, s.Diff.FirstSeq, s.Diff.LastSeq
				}
				if n := len(pts); n > 0 && pts[n-1].time == t0 {
					pts[n-1].last = max(pts[n-1].last, last)
					pts[n-1].after = pts[n-1].after || i >= restAt
					continue
				}
				pts = append(pts, bookPoint{time: t0, first: first, last: last, after: i >= restAt})
			}
			pts = pts[:len(pts)-1]
			var checked []bookPoint
			for _, p := range pts {
				if p.after && (tc.idless || p.last > snap.Seq) {
					checked = append(checked, p)
				}
			}
			if len(checked) < 25 {
				t.Fatalf("%d instants after the REST snapshot", len(checked))
			}

			last := checked[len(checked)-1]
			pin := checked[len(checked)-5].time + 1
			srv := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7,
				ClockMode: time.UnixMicro(pin).UTC().Format(time.RFC3339Nano), Speed: 1e-9})
			other, _ := up.Env.Books.Book(ctx, tc.symbol, last.time, tc.depth)
			mine, _ := synthBooks(t, tc.id).Book(ctx, tc.symbol, last.time, tc.depth)
			if mine.Bids[0].Price.Cmp(other.Bids[0].Price) == 0 && mine.Bids[0].Size.Cmp(other.Bids[0].Size) == 0 {
				t.Fatal("the two seeds' books agree: the test would not tell them apart")
			}
			for _, p := range checked {
				want, err := up.Env.Books.Book(ctx, tc.symbol, p.time, tc.depth)
				if err != nil {
					t.Fatal(err)
				}
				want = inLots(want, tc.lot)
				if tc.ownSeq {
					want.Seq = p.last
				}
				if !tc.idless && want.Seq != p.last {
					t.Fatalf("upstream seq %d at %d, the stream's %d", want.Seq, p.time, p.last)
				}
				got, err := srv.Env.Books.Book(ctx, tc.symbol, p.time, tc.depth)
				if err != nil {
					t.Fatal(err)
				}
				if tc.idless {
					got.Seq = want.Seq
				}
				sameBook(t, "book at "+strconv.FormatInt(p.time, 10), got, want)
			}

			// Diffs over the recorded stretch are the recorded changes,
			// one per instant (ids as recorded where there are ids; Bybit
			// names no first id).
			if sets[len(sets)-1].Diff != nil {
				tail := checked[len(checked)-20:]
				ds, err := srv.Env.Books.Diffs(ctx, tc.symbol, checked[len(checked)-21].time, last.time, 1000, 0)
				if err != nil || len(ds) != len(tail) {
					t.Fatalf("diffs: %v, %d of %d", err, len(ds), len(tail))
				}
				for i, d := range ds {
					if d.Time != tail[i].time || (!tc.idless && d.LastSeq != tail[i].last) ||
						(!tc.idless && tail[i].first != 0 && d.FirstSeq != tail[i].first) {
						t.Fatalf("diff %d: %d-%d@%d, recorded %d-%d@%d", i, d.FirstSeq, d.LastSeq, d.Time, tail[i].first, tail[i].last, tail[i].time)
					}
				}
			}

			// REST at the replay's clock, which the recorded book has moved
			// on to since the recorded snapshot: another request, and the
			// recorded one too, are the recorded book at the clock (on the
			// 100 ms grid most plugins take snapshots on) — the recorded
			// answer would be older than the stream served then.
			atClock := func(what string) {
				body, req := call(t, srv.URL, what)
				rs, err := dec.DecodeBook(req, body)
				if err != nil || len(rs) != 1 {
					t.Fatalf("%v: %.300s", err, body)
				}
				got := rs[0].Book
				got.Bids, got.Asks = got.Bids[:min(tc.depth, len(got.Bids))], got.Asks[:min(tc.depth, len(got.Asks))]
				grid := pin / 100_000 * 100_000
				if tc.atClock {
					grid = pin
				}
				var wantAt, wantSeq int64
				for _, p := range pts {
					if p.time <= grid {
						wantAt, wantSeq = p.time, p.last
					}
				}
				depth := tc.depth
				if rs[0].Depth > 0 {
					depth = min(depth, rs[0].Depth)
				}
				want, _ := up.Env.Books.Book(ctx, tc.symbol, wantAt, depth)
				want = inLots(want, tc.lot)
				if tc.ownSeq {
					want.Seq = wantSeq
				}
				if got.Seq == 0 || tc.idless {
					got.Seq = want.Seq // the body names none
				}
				sameBook(t, "REST "+what, got, want)
			}
			if tc.other != "" {
				atClock(tc.other)
			}
			// Verbatim at the recorded snapshot's instant: a replay whose
			// clock has not yet passed a diff after it.
			// (By its id, else its time; an id-less snapshot without a time,
			// Kraken's, is stamped when it arrived, which the test does not
			// see: the replays below then run at the pinned clock.)
			at := pin
			if snap.Seq > 0 && !tc.idless || snap.Time > 0 {
				at = 0
				for _, p := range pts {
					if (snap.Seq > 0 && !tc.idless && p.last <= snap.Seq) || ((snap.Seq == 0 || tc.idless) && p.time <= snap.Time) {
						at = p.time
					}
				}
				if at == 0 {
					t.Fatalf("no recorded instant at the REST snapshot (id %d, time %d)", snap.Seq, snap.Time)
				}
				then := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7,
					ClockMode: time.UnixMicro(at + 1).UTC().Format(time.RFC3339Nano), Speed: 1e-9})
				if again, _ := call(t, then.URL, tc.rest); !bytes.Equal(again, restBody) {
					t.Fatalf("the recorded REST request at its own instant does not replay verbatim: %.200s", again)
				}
				// And at the pinned clock, where a recorded diff has moved
				// the book on since (a REST answer recorded ahead of the
				// stream, as a loaded machine records it, may not be), the
				// book then. (An id-less exchange's recorded REST snapshot
				// is a record of its own between the stream's: want above
				// knows only the stream's instants.)
				moved := false
				for _, p := range pts {
					moved = moved || (p.time > at && p.time <= pin)
				}
				if moved && !tc.idless {
					atClock(tc.rest)
				}
			}
			// The recorded stream is no miss: a replay that refuses misses
			// serves it (it once took the book stream for a 1s kline
			// stream, a miss, and closed the connection).
			strict := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7, OnMiss: replay.MissError,
				ClockMode: time.UnixMicro(at + 1).UTC().Format(time.RFC3339Nano), Speed: 1})
			sc := dial(strict.URL, strict.WSURL)
			sc.SetReadDeadline(time.Now().Add(10 * time.Second))
			for n := 0; n < 3; {
				_, b, err := sc.ReadMessage()
				if err != nil {
					t.Fatalf("the recorded book stream under --on-miss error, after %d book frames: %v", n, err)
				}
				if ss, err := dec.DecodeBookFrame(tc.stream, b); err == nil && len(ss) == 1 && ss[0].Symbol == tc.symbol {
					n++
				}
			}
			sc.Close()
			if rep, err := strict.Server.Report(); err != nil || rep.MissesTotal != 0 {
				t.Fatalf("report: %v, misses %+v", err, rep.Misses)
			}
			t.Logf("%d books checked, REST snapshot id %d", len(checked), snap.Seq)
		})
	}
}
