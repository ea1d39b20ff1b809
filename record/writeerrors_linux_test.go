//go:build linux

package record_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// logBuffer is a goroutine-safe log destination.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAFailingDiskKeepsProxyingAndIsReportedOnce(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "full.cassette")
	var logs logBuffer
	srv, err := record.Start(record.Options{
		Exchange: fakeName, Cassette: path,
		UpstreamREST: up.URL, UpstreamWS: "ws" + strings.TrimPrefix(up.URL, "http"),
		Serve: serve.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		// Batches commit only on Flush, so the test says when a commit
		// meets the full disk.
		CassetteOptions: cassettes.Options{FlushInterval: time.Hour},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	klines := func(i int) {
		t.Helper()
		resp, body := get(t, http.DefaultClient, srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2&startTime="+
			strconv.FormatInt(t0+int64(i)*120_000, 10), nil)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("[[")) {
			t.Fatalf("request %d through the proxy: %d %.80s", i, resp.StatusCode, body)
		}
	}
	klines(0)
	if err := srv.Flush(); err != nil {
		t.Fatalf("flush before the disk failed: %v", err)
	}
	if we := srv.WriteErrors(); we.Count != 0 || len(we.Errors) != 0 {
		t.Fatalf("write errors before the disk failed: %+v", we)
	}

	replaytest.RefuseWrites(t, path)
	klines(1) // queued; its batch's commit fails
	ferr := srv.Flush()
	if ferr == nil || !strings.Contains(ferr.Error(), "bad file descriptor") {
		t.Fatalf("flush onto a failed disk: %v, want the write's EBADF", ferr)
	}
	const later = 5
	for i := 2; i < 2+later; i++ {
		klines(i) // the proxy still answers; the cassette refuses each
	}
	srv.Flush()

	we := srv.WriteErrors()
	if want := int64(1 + later + 1); we.Count != want { // flush, items, flush
		t.Errorf("write errors counted %d, want %d: %+v", we.Count, want, we)
	}
	if len(we.Errors) != 1 || we.Errors[0].Count != we.Count || we.Errors[0].Error != ferr.Error() {
		t.Errorf("distinct errors %+v, want %q counted %d times", we.Errors, ferr, we.Count)
	}
	if we.LastError != we.Errors[0].Error || we.LastErrorAt.IsZero() || we.Errors[0].FirstAt.After(we.Errors[0].LastAt) {
		t.Errorf("last error %q at %v; distinct %+v", we.LastError, we.LastErrorAt, we.Errors)
	}
	if n := strings.Count(logs.String(), "recording failed"); n != 1 {
		t.Errorf("%d log lines for %d identical failures, want 1:\n%s", n, we.Count, logs.String())
	}

	err = srv.Close(context.Background())
	if err == nil || err.Error() != ferr.Error() {
		t.Errorf("Close after failed writes: %v, want %q", err, ferr)
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the cassette is unreadable after the disk failed: %v", err)
	}
	defer c.Close()
	if n := c.Meta().Interactions; n != 1 {
		t.Errorf("the cassette holds %d interactions, want the 1 committed before the disk failed", n)
	}
}
