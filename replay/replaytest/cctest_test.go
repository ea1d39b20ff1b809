package replaytest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestShapesMatchReportsEachDifferingPayload(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"a":2,"b":"y"}`) })
	mux.HandleFunc("/reordered", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"b":"y","a":2}`) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	t.Chdir(t.TempDir()) // golden files are read from testdata/
	if err := os.Mkdir("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	const golden = "golden.json"
	if err := os.WriteFile(filepath.Join("testdata", golden), []byte(`{"a":1,"b":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		keys   replaytest.Keys
		path   string
		failed bool
	}{
		{"the same shape passes", replaytest.KeysInOrder, "/same", false},
		{"another key order fails in order", replaytest.KeysInOrder, "/reordered", true},
		{"another key order passes in any order", replaytest.KeysAnyOrder, "/reordered", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingT{TB: t}
			replaytest.ShapesMatch(rec, ts.URL, tc.keys, map[string]string{golden: tc.path})
			if rec.failed != tc.failed {
				t.Errorf("failed = %v, want %v", rec.failed, tc.failed)
			}
		})
	}
	var v struct{ A int }
	if body := replaytest.GetJSON(t, ts.URL, "/same", &v); v.A != 2 || len(body) == 0 {
		t.Errorf("GetJSON decoded %+v from %s", v, body)
	}
}

// recordingT notes Error calls instead of failing the test.
type recordingT struct {
	testing.TB
	failed bool
}

func (r *recordingT) Error(args ...any) { r.failed = true }

func TestExhaustSendsNThenOneMore(t *testing.T) {
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if calls.Add(1) > 3 {
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, "slow down")
			return
		}
		io.WriteString(w, "ok")
	}))
	defer ts.Close()
	st, body := replaytest.Exhaust(t, 3, replaytest.Req(http.MethodPost, ts.URL, ""), nil)
	if st != http.StatusTooManyRequests || string(body) != "slow down" || calls.Load() != 4 {
		t.Errorf("after 3: %d %s, %d calls", st, body, calls.Load())
	}
	var seen []string
	replaytest.Exhaust(t, 0, replaytest.Req(http.MethodPost, ts.URL, ""), func(int, []byte) bool { seen = append(seen, "x"); return true })
	if len(seen) != 0 || calls.Load() != 5 {
		t.Errorf("n = 0 checked %d answers and made %d calls in all", len(seen), calls.Load())
	}
}

func TestGoroutinesTellTrackedOnesFromOthers(t *testing.T) {
	stop := make(chan struct{})
	var other sync.WaitGroup
	other.Add(1)
	go func() { defer other.Done(); <-stop }() // not tracked: never reported
	g := replaytest.NewGoroutines(t.Name())
	var mine sync.WaitGroup
	g.Track(func() {
		mine.Add(1)
		go func() {
			defer mine.Done()
			go func() { <-stop }() // started by a tracked one: tracked too
			<-stop
		}()
	})
	err := g.Leaked(100 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "2 goroutine stacks") {
		t.Errorf("two tracked goroutines running, got %v", err)
	}
	close(stop)
	mine.Wait()
	other.Wait()
	if err := g.Leaked(5 * time.Second); err != nil {
		t.Errorf("after they ended: %v", err)
	}
}
