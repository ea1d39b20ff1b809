package replay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// A damaged cassette never serves wrong data: every corrupted copy of a
// real cassette, opened and asked a fixed set of recorded and index-only
// candle requests, answers each the way the intact file does, with the
// exchange's own server error (logged), or refuses to open — never with a
// different 200.

// answer is what a request got: status and body (headers such as the
// used-weight counters differ from server to server).
type answer struct {
	status int
	body   string
}

// damageCase is a cassette and the requests asked of it.
type damageCase struct {
	name     string
	file     []byte
	requests []string
	intact   []answer
}

// ask opens path with replay and asks it every request. It returns the
// error of a refused open, the answers, and what was logged.
func ask(t testing.TB, path string, requests []string) ([]answer, string, serve.Status, error) {
	t.Helper()
	var logs bytes.Buffer
	s, err := replay.New(replay.Options{
		Cassette: path,
		Serve:    serve.Options{NoRateLimit: true, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))},
	})
	if err != nil {
		return nil, "", serve.Status{}, err
	}
	defer s.Close(context.Background())
	out := make([]answer, len(requests))
	for i, u := range requests {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		b, _ := io.ReadAll(rec.Result().Body)
		out[i] = answer{rec.Code, string(b)}
	}
	return out, logs.String(), s.Status(), nil
}

// newDamageCase reads the intact answers of file.
func newDamageCase(t testing.TB, name string, file []byte, requests []string) *damageCase {
	t.Helper()
	path := filepath.Join(t.TempDir(), "intact.cassette")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	intact, logs, _, err := ask(t, path, requests)
	if err != nil {
		t.Fatalf("%s: intact cassette: %v", name, err)
	}
	for i, a := range intact {
		if a.status != http.StatusOK || len(a.body) < 50 {
			t.Fatalf("%s: intact answer to %s: %d %.200s", name, requests[i], a.status, a.body)
		}
	}
	if logs != "" {
		t.Fatalf("%s: intact cassette logged %s", name, logs)
	}
	return &damageCase{name: name, file: file, requests: requests, intact: intact}
}

// outcome tallies corrupted copies.
type outcome struct {
	same, cleanError, refused, wrong int
	// failed counts copies answered with at least one server error,
	// located those of them whose log names the bucket and key.
	failed, located int
}

// check replays a corrupted copy and fails t on any answer that is neither
// the intact one nor the exchange's server error.
func (dc *damageCase) check(t testing.TB, path, what string, o *outcome) {
	t.Helper()
	got, logs, st, err := ask(t, path, dc.requests)
	if err != nil {
		if !errors.Is(err, cassettes.ErrCorrupt) && !errors.Is(err, cassettes.ErrTruncated) &&
			!errors.Is(err, cassettes.ErrNotCassette) && !errors.Is(err, cassettes.ErrVersion) {
			t.Errorf("%s %s: refused with an error that is none of cassettes': %v", dc.name, what, err)
		}
		o.refused++
		return
	}
	serverError := answer{}
	if p, err := plugins.Lookup("binance_spot"); err == nil {
		r := p.ServerError()
		serverError = answer{r.Status, string(r.Body)}
	}
	errs := 0
	for i, a := range got {
		switch {
		case a == dc.intact[i]:
			o.same++
		case a == serverError:
			o.cleanError++
			errs++
		default:
			o.wrong++
			t.Errorf("%s %s: GET %s answered %d %.300s\nintact: %d %.300s\nlog: %s", dc.name, what, dc.requests[i],
				a.status, a.body, dc.intact[i].status, dc.intact[i].body, logs)
		}
	}
	if errs > 0 {
		o.failed++
		if testing.Verbose() && !strings.Contains(logs, "bucket=") {
			t.Logf("%s %s: unlocated: %s", dc.name, what, logs)
		}
		if !strings.Contains(logs, "cassette is damaged") || st.CorruptReads == 0 {
			t.Errorf("%s %s: %d server errors, but corrupt_reads %d and log %q", dc.name, what, errs, st.CorruptReads, logs)
		}
		if strings.Contains(logs, "bucket=") && strings.Contains(logs, "key=") {
			o.located++
		}
	}
}

// corrupt applies damage number i (seeded by rng) to a copy of file:
// single bit flips, truncations and zeroed 4 KiB pages, in turn.
func corrupt(file []byte, i int, rng *rand.Rand) ([]byte, string) {
	b := bytes.Clone(file)
	switch i % 4 {
	case 0, 1:
		off := rng.IntN(len(b))
		bit := rng.IntN(8)
		b[off] ^= 1 << bit
		return b, fmt.Sprintf("bit %d of byte %d flipped", bit, off)
	case 2:
		n := rng.IntN(len(b))
		return b[:n], fmt.Sprintf("truncated to %d bytes", n)
	default:
		pg := rng.IntN((len(b) + 4095) / 4096)
		clear(b[pg*4096 : min(len(b), (pg+1)*4096)])
		return b, fmt.Sprintf("4 KiB page %d zeroed", pg)
	}
}

// committedCase is the committed example cassette: its two recorded
// klines pages and exchangeInfo, and windows only its index answers.
func committedCase(t testing.TB) *damageCase {
	file, err := os.ReadFile(exampleCassette)
	if err != nil {
		t.Fatal(err)
	}
	k := func(start int64, q string) string {
		return fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d%s", start, q)
	}
	return newDamageCase(t, "committed", file, []string{
		"/api/v3/exchangeInfo?symbol=BTCUSDT",
		k(winStart, "&limit=100"),
		k(winStart+100*60_000, "&limit=100"),
		k(winStart+30*60_000, "&limit=50"),
		k(winStart+150*60_000, "&endTime="+fmt.Sprint(winStart+199*60_000)),
		"/api/v3/uiKlines?symbol=BTCUSDT&interval=1m&limit=20&startTime=" + fmt.Sprint(winStart+7*60_000),
	})
}

// writtenCase records a larger cassette in the test, through the
// cassettes API with bodies from the synthetic binance_spot: 60 klines
// pages over five days of 1m candles (eight index blocks), exchangeInfo
// and a WS connection, and asks it recorded pages and index windows that
// span blocks.
func writtenCase(t testing.TB) *damageCase {
	t.Helper()
	const t0 = int64(1_704_067_200_000) // 2024-01-01
	dir := t.TempDir()
	path := filepath.Join(dir, "written.cassette")
	syn, err := replay.New(replay.Options{Exchange: "binance_spot", Seed: 7,
		Clock: &cc.Clock{Base: time.UnixMilli(t0 + 6*86_400_000), Start: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	defer syn.Close(context.Background())
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(t0 + 6*86_400_000)
	record := func(u string) {
		req := httptest.NewRequest(http.MethodGet, u, nil)
		rec := httptest.NewRecorder()
		syn.Handler().ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		var series []cassettes.Series
		if set, err := syn.Plugin().DecodeCandles(req, body); err == nil {
			series = append(series, cassettes.Series{Symbol: set.Symbol, Interval: set.Interval, Candles: set.Candles})
		}
		ix := &cassettes.Interaction{Method: http.MethodGet, Path: req.URL.Path, Query: req.URL.RawQuery, Status: rec.Code,
			ResponseHeader: rec.Header(), Body: bytes.Clone(body), Start: at, Duration: time.Millisecond}
		if err := c.AddInteraction(ix, series...); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Second)
	}
	record("/api/v3/exchangeInfo?symbol=BTCUSDT")
	page := func(i int) string {
		return fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=120", t0+int64(i)*120*60_000)
	}
	for i := range 60 {
		record(page(i))
	}
	id, err := c.BeginConn("/ws/btcusdt@kline_1m", at)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromServer, Opcode: 1, Offset: time.Duration(i) * time.Second,
			Payload: []byte(fmt.Sprintf(`{"e":"ping","n":%d}`, i))})
	}
	c.EndConn(id, at.Add(30*time.Second), 1000)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w := func(start int64, limit int) string {
		return fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=%d", start, limit)
	}
	return newDamageCase(t, "written", file, []string{
		"/api/v3/exchangeInfo?symbol=BTCUSDT",
		page(0), page(17), page(33), page(59),
		w(t0+900*60_000, 1000),  // across the first block boundary
		w(t0+2500*60_000, 1000), // blocks 2 and 3
		w(t0+6100*60_000, 1000), // blocks 6 and 7
		w(t0+7100*60_000, 99),
		fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d", t0+4000*60_000, t0+4999*60_000),
	})
}

// TestDamagedCassetteNeverServesWrongData corrupts 240 copies of each of
// the two cassettes (a seeded mix of bit flips, truncations and zeroed
// pages) and replays the fixed requests against each.
func TestDamagedCassetteNeverServesWrongData(t *testing.T) {
	for _, dc := range []*damageCase{committedCase(t), writtenCase(t)} {
		t.Run(dc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(12, 4))
			path := filepath.Join(t.TempDir(), "damaged.cassette")
			var o outcome
			const copies = 240
			for i := range copies {
				b, what := corrupt(dc.file, i, rng)
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				dc.check(t, path, what, &o)
			}
			t.Logf("%s (%d bytes): %d corrupted copies x %d requests: %d answers same as intact, %d exchange server errors (in %d copies, %d of which logged bucket and key), %d copies refused at open, %d wrong",
				dc.name, len(dc.file), copies, len(dc.requests), o.same, o.cleanError, o.failed, o.located, o.refused, o.wrong)
			if o.cleanError+o.refused == 0 {
				t.Error("no corrupted copy was caught: the damage tests nothing")
			}
		})
	}
}

var fuzzCase struct {
	once sync.Once
	dc   *damageCase
}

// FuzzDamagedCassette: one bit flip, truncation or zeroed run anywhere in
// the committed cassette never changes a 200.
//
//	go test ./replay -run x -fuzz FuzzDamagedCassette -fuzztime 1m
func FuzzDamagedCassette(f *testing.F) {
	fuzzCase.once.Do(func() { fuzzCase.dc = committedCase(f) })
	dc := fuzzCase.dc
	for _, seed := range []struct {
		off  uint32
		mode uint8
		x    uint8
	}{{100, 0, 1}, {5000, 0, 0x80}, {9000, 1, 0}, {4096, 2, 0}, {12288, 2, 0}, {17000, 0, 4}} {
		f.Add(seed.off, seed.mode, seed.x)
	}
	f.Fuzz(func(t *testing.T, off uint32, mode uint8, x uint8) {
		b := bytes.Clone(dc.file)
		at := int(off) % len(b)
		var what string
		switch mode % 3 {
		case 0:
			if x == 0 {
				x = 1
			}
			b[at] ^= x
			what = fmt.Sprintf("byte %d xor %#x", at, x)
		case 1:
			b = b[:at]
			what = fmt.Sprintf("truncated to %d", at)
		default:
			n := 1 + int(x)*16
			clear(b[at:min(len(b), at+n)])
			what = fmt.Sprintf("%d bytes zeroed at %d", n, at)
		}
		path := filepath.Join(t.TempDir(), "damaged.cassette")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var o outcome
		dc.check(t, path, what, &o)
	})
}
