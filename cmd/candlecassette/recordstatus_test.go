package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

func TestStatusLine(t *testing.T) {
	got := statusLine(recordProgress{Requests: 12, Frames: 3400, Bytes: 1536, Cassette: 5 << 20, Errors: 1}, 83*time.Second+400*time.Millisecond)
	want := "recording 1m23s: 12 requests, 3400 frames, 1.5 KiB sent, cassette 5.0 MiB, 1 errors"
	if got != want {
		t.Errorf("statusLine:\n got %q\nwant %q", got, want)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 30: "3.0 GiB", 1<<40 + 1<<39: "1.5 TiB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestShowStatusLogsWhenNotATerminal(t *testing.T) {
	var out output
	logger := slog.New(slog.NewTextHandler(&out, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		showStatus(ctx, &out, logger, false, 10*time.Millisecond, func() recordProgress {
			return recordProgress{Requests: n.Add(1), Frames: 7, Bytes: 100, Cassette: 4096, Errors: 0}
		})
	}()
	line := regexp.MustCompile(`level=INFO msg=recording requests=(\d+) frames=7 bytes=100 cassette_bytes=4096 errors=0 elapsed=`)
	for deadline := time.Now().Add(5 * time.Second); len(line.FindAllString(out.String(), -1)) < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("no periodic status lines:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if strings.Contains(out.String(), "\r") {
		t.Errorf("carriage returns in a log: %q", out.String())
	}
}

func TestShowStatusRedrawsOnTerminal(t *testing.T) {
	var out output
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		showStatus(ctx, &out, slog.New(slog.DiscardHandler), true, time.Hour, func() recordProgress { return recordProgress{Requests: 2} })
	}()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "\r"); {
		if time.Now().After(deadline) {
			t.Fatal("no status line drawn")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	s := out.String()
	if !strings.HasPrefix(s, "\r\x1b[Krecording ") || !strings.HasSuffix(s, "2 requests, 0 frames, 0 B sent, cassette 0 B, 0 errors\n") {
		t.Errorf("terminal output %q: want lines redrawn with \\r, the last one ended", s)
	}
	if isTerminal(&out) {
		t.Error("a buffer taken for a terminal")
	}
	if f, err := os.CreateTemp(t.TempDir(), "x"); err == nil {
		defer f.Close()
		if isTerminal(f) {
			t.Error("a file taken for a terminal")
		}
	}
}

// TestRecordLogsStatus: record's stderr (not a terminal here) gets the
// periodic status with the requests proxied and the cassette's size.
func TestRecordLogsStatus(t *testing.T) {
	p := recordExchange(t)
	up := synthUpstream(t, p)
	path := filepath.Join(t.TempDir(), "session.cassette")
	s := serveCmd(t, "record", p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit", "--status-every", "50ms")
	base := cc.Interval1h.Truncate(time.Now().UnixMilli()) - 6*3_600_000
	fetch(t, candlesURL(t, p, s.url, base, 60))
	line := regexp.MustCompile(`msg=recording requests=1 frames=0 bytes=[1-9]\d* cassette_bytes=[1-9]\d* errors=0`)
	for deadline := time.Now().Add(10 * time.Second); !line.MatchString(s.stderr.String()); {
		if time.Now().After(deadline) {
			t.Fatalf("no status line with the request in stderr:\n%s", s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestHealthCommand(t *testing.T) {
	s := startSynth(t, "binance_spot", "--listen", "127.0.0.1:0", "--admin-token", "tok")
	stdout, _, err := run(t, "health", "--url", s.url+"/__admin/health")
	if err != nil || stdout != "ok\n" {
		t.Fatalf("health of a running server: %q, %v", stdout, err)
	}
	t.Setenv("CANDLECASSETTE_HEALTH_URL", s.url+"/__admin/health")
	if _, _, err := run(t, "health"); err != nil {
		t.Errorf("health from CANDLECASSETTE_HEALTH_URL: %v", err)
	}
	if _, _, err := run(t, "health", "--url", s.url+"/__admin/nope"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("health of a path that is not healthy: %v", err)
	}
	if _, _, err := run(t, "health", "--url", "http://127.0.0.1:1/__admin/health", "--timeout", "2s"); err == nil {
		t.Error("health of nothing listening succeeded")
	}
}
