package replay_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
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

// bookCase is one exchange's recorded book: the stream to record, the
// REST snapshot taken while it runs, and another snapshot request that
// matches no recorded interaction.
type bookCase struct {
	id, symbol  string
	streamPath  string
	subscribe   string
	rest, other string
}

var bookCases = []bookCase{
	{"binance_spot", "BTCUSDT", "/ws/btcusdt@depth@100ms", "",
		"/api/v3/depth?symbol=BTCUSDT&limit=1000", "/api/v3/depth?symbol=BTCUSDT&limit=100"},
	{"okx_spot", "BTC-USDT", "/ws/v5/public", `{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}`,
		"/api/v5/market/books?instId=BTC-USDT&sz=400", "/api/v5/market/books?instId=BTC-USDT&sz=100"},
}

// sameBook compares two books' levels and update ids.
func sameBook(t *testing.T, what string, got, want cc.Book) {
	t.Helper()
	if got.Seq != want.Seq || len(got.Bids) != len(want.Bids) || len(got.Asks) != len(want.Asks) {
		t.Fatalf("%s: seq %d, %d/%d levels; want seq %d, %d/%d", what, got.Seq, len(got.Bids), len(got.Asks), want.Seq, len(want.Bids), len(want.Asks))
	}
	for s, p := range [][2][]cc.BookLevel{{got.Bids, want.Bids}, {got.Asks, want.Asks}} {
		for i := range p[0] {
			if p[0][i].Price.Cmp(p[1][i].Price) != 0 || p[0][i].Size.Cmp(p[1][i].Size) != 0 {
				t.Fatalf("%s: side %d level %d: %v, want %v", what, s, i, p[0][i], p[1][i])
			}
		}
	}
}

// TestRecordedBooksReplay records a synthetic upstream's (seed 42, its
// clock from a fixed instant at 20×) depth stream and a REST snapshot
// taken while it runs, then replays at seed 7: at every recorded diff's
// instant the replay's book is the upstream's (levels and update id) —
// rebuilt from the recorded snapshot and diffs, not the replay's own
// market — a REST snapshot that matches no recorded request is that book
// with a lastUpdateId the recorded stream continues, and the recorded
// REST request itself replays verbatim.
func TestRecordedBooksReplay(t *testing.T) {
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	const depth = 100
	for _, tc := range bookCases {
		t.Run(tc.id, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "books.cassette")
			up := replaytest.StartWith(t, replay.Options{Exchange: tc.id, Seed: 42, Clock: replaytest.Clock(at, 20)})
			rec, err := record.Start(record.Options{
				Exchange: tc.id, Cassette: path,
				UpstreamREST: up.URL, UpstreamWS: up.WSURL,
				CassetteOptions: cassettes.Options{NoSync: true},
			}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			conn, _, err := websocket.DefaultDialer.Dial(rec.WSURL()+tc.streamPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.subscribe != "" {
				if err := conn.WriteMessage(websocket.TextMessage, []byte(tc.subscribe)); err != nil {
					t.Fatal(err)
				}
			}
			conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			dec := up.Plugin.(plugins.BookDecoder)
			var diffs []cc.BookDiff
			var restBody []byte
			snapSeq, after := int64(-1), 0
			for after < 40 {
				_, b, err := conn.ReadMessage()
				if err != nil {
					t.Fatalf("after %d diffs: %v", len(diffs), err)
				}
				sets, err := dec.DecodeBookFrame(tc.streamPath, b)
				if err != nil {
					continue // an ack
				}
				if sets[0].Diff != nil {
					diffs = append(diffs, *sets[0].Diff)
					if snapSeq >= 0 && sets[0].Diff.LastSeq > snapSeq {
						after++
					}
				}
				if len(diffs) == 2 && restBody == nil {
					restBody = fetch(t, rec.URL()+tc.rest)
					req, _ := http.NewRequest(http.MethodGet, tc.rest, nil)
					sets, err := dec.DecodeBook(req, restBody)
					if err != nil {
						t.Fatal(err)
					}
					snapSeq = sets[0].Book.Seq // OKX: 0
				}
			}
			conn.Close()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := rec.Close(cctx); err != nil {
				t.Fatal(err)
			}

			// The replay's books, at seed 7 with its clock at the last
			// recorded diff: at every recorded diff after the REST
			// snapshot the upstream's book.
			last := diffs[len(diffs)-1]
			pin := diffs[len(diffs)-5].Time + 50_000 // between two recorded diffs
			srv := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7,
				ClockMode: time.UnixMicro(pin).UTC().Format(time.RFC3339Nano), Speed: 1e-9})
			other, _ := up.Env.Books.Book(ctx, tc.symbol, last.Time, depth)
			mine, _ := synthBooks(t, tc.id).Book(ctx, tc.symbol, last.Time, depth)
			if mine.Bids[0].Price.Cmp(other.Bids[0].Price) == 0 && mine.Bids[0].Size.Cmp(other.Bids[0].Size) == 0 {
				t.Fatal("the two seeds' books agree: the test would not tell them apart")
			}
			checked := 0
			for _, d := range diffs {
				if d.LastSeq <= snapSeq { // before the REST snapshot (OKX: the WS one)
					continue
				}
				want, err := up.Env.Books.Book(ctx, tc.symbol, d.Time, depth)
				if err != nil {
					t.Fatal(err)
				}
				if want.Seq != d.LastSeq {
					t.Fatalf("upstream seq %d at %d, the stream's u %d", want.Seq, d.Time, d.LastSeq)
				}
				got, err := srv.Env.Books.Book(ctx, tc.symbol, d.Time, depth)
				if err != nil {
					t.Fatal(err)
				}
				sameBook(t, "book at "+strconv.FormatInt(d.Time, 10), got, want)
				checked++
			}
			if checked < 30 {
				t.Fatalf("%d books checked", checked)
			}
			// Diffs over the recorded stretch are the recorded diffs.
			tail := diffs[len(diffs)-20:]
			ds, err := srv.Env.Books.Diffs(ctx, tc.symbol, diffs[len(diffs)-21].Time, last.Time, 100_000, 0)
			if err != nil || len(ds) != len(tail) {
				t.Fatalf("diffs: %v, %d of %d", err, len(ds), len(tail))
			}
			for i, d := range ds {
				if d.FirstSeq != tail[i].FirstSeq || d.LastSeq != tail[i].LastSeq || d.Time != tail[i].Time {
					t.Fatalf("diff %d: %d-%d@%d, recorded %d-%d@%d", i, d.FirstSeq, d.LastSeq, d.Time, tail[i].FirstSeq, tail[i].LastSeq, tail[i].Time)
				}
			}

			// REST: another request is the book now (between two recorded
			// diffs), its id one the recorded stream reached; the
			// recorded request replays verbatim.
			body := fetch(t, srv.URL+tc.other)
			req, _ := http.NewRequest(http.MethodGet, tc.other, nil)
			sets, err := dec.DecodeBook(req, body)
			if err != nil {
				t.Fatalf("%v: %.300s", err, body)
			}
			got := sets[0].Book
			var want cc.Book
			for _, d := range diffs {
				if d.LastSeq == got.Seq || (tc.id == "okx_spot" && d.Time <= pin) {
					want, _ = up.Env.Books.Book(ctx, tc.symbol, d.Time, depth)
				}
			}
			if tc.id == "okx_spot" { // OKX's REST names no seqId
				got.Seq = want.Seq
			}
			if want.Seq == 0 || want.Seq < snapSeq {
				t.Fatalf("REST lastUpdateId %d: no recorded diff ends there (snapshot %d)", got.Seq, snapSeq)
			}
			sameBook(t, "REST", got, want)
			// The recorded request's own instant: by its id, else its time.
			req, _ = http.NewRequest(http.MethodGet, tc.rest, nil)
			rs, _ := dec.DecodeBook(req, restBody)
			own := rs[0].Book.Time
			for _, d := range diffs {
				if snapSeq > 0 && d.LastSeq <= snapSeq {
					own = d.Time
				}
			}
			// The recorded request too is the book now where a recorded
			// diff has moved the book on since (verbatim, its answer would
			// be older than the stream served now; one recorded ahead of
			// the stream, as a loaded machine records OKX's, timed by its
			// ts, may still be the book, and is served verbatim) ...
			moved := false
			for _, d := range diffs {
				moved = moved || (d.Time > own && d.Time <= pin)
			}
			if moved {
				body = fetch(t, srv.URL+tc.rest)
				req, _ = http.NewRequest(http.MethodGet, tc.rest, nil)
				if sets, err = dec.DecodeBook(req, body); err != nil {
					t.Fatalf("%v: %.300s", err, body)
				}
				now := sets[0].Book
				if tc.id == "okx_spot" {
					now.Seq = want.Seq
				}
				now.Bids, now.Asks = now.Bids[:min(len(now.Bids), len(got.Bids))], now.Asks[:min(len(now.Asks), len(got.Asks))]
				sameBook(t, "the recorded REST request at the clock", now, got)
			}
			// ... and verbatim at its own instant.
			then := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7,
				ClockMode: time.UnixMicro(own + 1).UTC().Format(time.RFC3339Nano), Speed: 1e-9})
			if again := fetch(t, then.URL+tc.rest); string(again) != string(restBody) {
				t.Fatalf("the recorded REST request at its own instant does not replay verbatim: %.200s", again)
			}
			t.Logf("%d books checked, snapshot %d, REST id %d", checked, snapSeq, got.Seq)
			if tc.id == "binance_spot" {
				binanceSync(t, path, up, snapSeq, diffs)
			}
		})
	}
}

// synthBooks is the replay seed's own synthetic books (seed 7).
func synthBooks(t *testing.T, id string) cc.Books {
	srv := replaytest.StartWith(t, replay.Options{Exchange: id, Seed: 7})
	return srv.Env.Books
}

// binanceSync keeps a local book the way Binance documents it against a
// replay of the recording at seed 7, its clock from an instant inside it
// at 1× (slow enough that a loaded machine stays inside the recording):
// open <s>@depth@100ms, take a REST snapshot (a limit no recorded
// request used), drop events with u <= lastUpdateId, start at the one
// with U <= lastUpdateId+1 <= u, then apply each whose U is the previous
// u+1. After every event the local book is the upstream's (the recorded
// book) at the recorded event's time.
func binanceSync(t *testing.T, path string, up *replaytest.Server, snapSeq int64, diffs []cc.BookDiff) {
	ctx := context.Background()
	// The recorded stream's ids and times: a replayed event is the
	// recorded one of its u (a recorded stream replays verbatim, its
	// times moved to the replay's clock).
	recorded := map[int64]int64{}
	for _, d := range diffs {
		recorded[d.LastSeq] = d.Time
	}
	// Start a third into the diffs after the recorded REST snapshot:
	// those before it are outside the recorded span (a loaded machine
	// records many of them before the REST answer comes).
	after := 0
	for after < len(diffs) && diffs[after].LastSeq <= snapSeq {
		after++
	}
	start := diffs[after+(len(diffs)-after)/3].Time
	srv := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7, Speed: 1,
		ClockMode: time.UnixMicro(start).UTC().Format(time.RFC3339Nano)})
	c, _, err := websocket.DefaultDialer.Dial(srv.WSURL+"/ws/btcusdt@depth@100ms", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	dec := up.Plugin.(plugins.BookDecoder)
	read := func() cc.BookDiff {
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		sets, err := dec.DecodeBookFrame("/ws/btcusdt@depth@100ms", b)
		if err != nil || sets[0].Diff == nil {
			t.Fatalf("%v: %.200s", err, b)
		}
		return *sets[0].Diff
	}
	buffered := []cc.BookDiff{read()}
	body := fetch(t, srv.URL+"/api/v3/depth?symbol=BTCUSDT&limit=500")
	req, _ := http.NewRequest(http.MethodGet, "/api/v3/depth?symbol=BTCUSDT&limit=500", nil)
	sets, err := dec.DecodeBook(req, body)
	if err != nil {
		t.Fatal(err)
	}
	bk := sets[0].Book
	const depth = 100
	synced, applied := false, 0
	for applied < 15 {
		var d cc.BookDiff
		if len(buffered) > 0 {
			d, buffered = buffered[0], buffered[1:]
		} else {
			d = read()
		}
		at, ok := recorded[d.LastSeq]
		if !ok && synced {
			break // past the recording
		}
		switch {
		case d.LastSeq <= bk.Seq:
			continue
		case !synced && (d.FirstSeq > bk.Seq+1):
			t.Fatalf("first event %d-%d does not cover lastUpdateId %d+1", d.FirstSeq, d.LastSeq, bk.Seq)
		case synced && d.FirstSeq != bk.Seq+1:
			t.Fatalf("event %d-%d after %d", d.FirstSeq, d.LastSeq, bk.Seq)
		}
		synced = true
		if err := bk.ApplyDiff(d, 0); err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Fatalf("event %d-%d: not a recorded one", d.FirstSeq, d.LastSeq)
		}
		want, _ := up.Env.Books.Book(ctx, "BTCUSDT", at, depth)
		got := bk
		got.Bids, got.Asks = got.Bids[:min(depth, len(got.Bids))], got.Asks[:min(depth, len(got.Asks))]
		sameBook(t, "synced book at "+strconv.FormatInt(d.Time, 10), got, want)
		applied++
	}
	t.Logf("%d events applied in sync", applied)
	if applied < 10 {
		t.Fatalf("%d events applied inside the recording (snapshot %d)", applied, snapSeq)
	}
}
