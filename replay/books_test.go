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
			for len(diffs) < 60 {
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
				}
				if len(diffs) == 5 && restBody == nil {
					restBody = fetch(t, rec.URL()+tc.rest)
				}
			}
			conn.Close()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := rec.Close(cctx); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, tc.rest, nil)
			sets, err := dec.DecodeBook(req, restBody)
			if err != nil {
				t.Fatal(err)
			}
			snapSeq := sets[0].Book.Seq

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
			if checked < 20 {
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
			req, _ = http.NewRequest(http.MethodGet, tc.other, nil)
			sets, err = dec.DecodeBook(req, body)
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
			if again := fetch(t, srv.URL+tc.rest); string(again) != string(restBody) {
				t.Fatalf("the recorded REST request does not replay verbatim: %.200s", again)
			}
			t.Logf("%d books checked, snapshot %d, REST id %d", checked, snapSeq, got.Seq)
		})
	}
}

// synthBooks is the replay seed's own synthetic books (seed 7).
func synthBooks(t *testing.T, id string) cc.Books {
	srv := replaytest.StartWith(t, replay.Options{Exchange: id, Seed: 7})
	return srv.Env.Books
}
