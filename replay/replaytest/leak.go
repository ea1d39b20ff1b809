package replaytest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Main runs a package's tests and then fails the run if any goroutine
// outlived them (goleak.VerifyTestMain). Idle connections of the shared
// HTTP client are closed first: they belong to the test client, not to
// the servers under test.
func Main(m *testing.M, opts ...goleak.Option) {
	goleak.VerifyTestMain(clientsClosed{m}, opts...)
}

type clientsClosed struct{ m *testing.M }

func (c clientsClosed) Run() int {
	code := c.m.Run()
	http.DefaultClient.CloseIdleConnections()
	return code
}

// Goroutines are the goroutines started, directly or through others,
// while Track runs: they carry a pprof label of their own, so a test can
// tell its servers' goroutines from those of tests running in parallel,
// which goleak.Find (every goroutine of the process) cannot. Goroutines
// the runtime starts for time.AfterFunc carry no label and escape it;
// Main still sees them at the end of the package.
type Goroutines struct{ label string }

var scopes atomic.Int64

// NewGoroutines is an empty set named for name (a test's name).
func NewGoroutines(name string) *Goroutines {
	return &Goroutines{label: fmt.Sprintf("%s#%d", name, scopes.Add(1))}
}

// Track runs f on the calling goroutine with g's label, which every
// goroutine started meanwhile inherits.
func (g *Goroutines) Track(f func()) {
	pprof.Do(context.Background(), pprof.Labels("replaytest", g.label), func(context.Context) { f() })
}

// Leaked waits up to wait for g's goroutines to end (closed sessions and
// connections take a moment to unwind) and returns an error with the
// stacks of those still running, or nil. Call it outside Track.
func (g *Goroutines) Leaked(wait time.Duration) error {
	want := fmt.Sprintf("# labels: {%q:%q}", "replaytest", g.label)
	deadline := time.Now().Add(wait)
	for {
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 1)
		var left []string
		for _, rec := range strings.Split(buf.String(), "\n\n") {
			if strings.Contains(rec, want) {
				left = append(left, rec)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replaytest: %d goroutine stacks of %s still running:\n%s", len(left), g.label, strings.Join(left, "\n\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
