//go:build linux

package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestRecordOntoAFailingDiskKeepsProxyingReportsAndExitsNonZero(t *testing.T) {
	p := recordExchange(t)
	up := synthUpstream(t, p)
	path := filepath.Join(t.TempDir(), "failing.cassette")
	s := serveCmd(t, "record", p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit", "--batch-items", "1")
	var st struct {
		Recorder *record.WriteErrors `json:"recorder"`
	}
	if adminGet(t, s.url+"/__admin/status", "", &st); st.Recorder == nil || st.Recorder.Count != 0 || st.Recorder.Errors == nil {
		t.Fatalf("status of a healthy recording: %+v, want a recorder section with 0 errors", st.Recorder)
	}

	replaytest.RefuseWrites(t, path)
	base := cc.Interval1h.Truncate(time.Now().UnixMilli()) - 6*3_600_000
	// Each answer is queued and committed alone; the first commit fails
	// and every later write reports the same failure.
	requests := 0
	for ; requests < 100 && st.Recorder.Count < 3; requests++ {
		fetch(t, candlesURL(t, p, s.url, base+int64(requests)*60_000, 5)) // 200, or fetch fails the test
		time.Sleep(5 * time.Millisecond)
		adminGet(t, s.url+"/__admin/status", "", &st)
	}
	we := st.Recorder
	if we.Count < 3 {
		t.Fatalf("after %d proxied requests onto a failing disk, status shows %+v", requests, we)
	}
	if len(we.Errors) != 1 || we.Errors[0].Count != we.Count || we.LastError != we.Errors[0].Error ||
		!strings.Contains(we.LastError, "bad file descriptor") {
		t.Errorf("status recorder section %+v, want one distinct write error counted %d times", we, we.Count)
	}

	err := s.stop()
	t.Logf("stderr:\n%sRun: %v", s.stderr, err)
	if err == nil || !strings.Contains(err.Error(), "writes to "+path+" failed (1 distinct errors") ||
		!strings.Contains(err.Error(), "bad file descriptor") || strings.Contains(err.Error(), "\n") {
		t.Errorf("record's error (main prints it on stderr and exits 1): %v, want a one-line summary", err)
	}
	if n := strings.Count(s.stderr.String(), "recording failed"); n != 1 {
		t.Errorf("%d log lines for %d identical failures, want 1:\n%s", n, we.Count, s.stderr)
	}
	if out := s.stdout.String(); !anyListeningLine.MatchString(out) {
		t.Errorf("stdout is not exactly the listening line: %q", out)
	}
}
