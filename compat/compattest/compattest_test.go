package compattest_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

// recorder is a testing.TB that records failures instead of failing, so
// the checks can be shown to catch what they are for.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

func bar(open int64, iv cc.Interval) compattest.Bar {
	return compattest.Bar{Open: open, Close: iv.CloseTime(open), O: 10, H: 12, L: 9, C: 11, V: 1}
}

func TestCheckSeriesCatchesGapsOverlapsAndMisalignment(t *testing.T) {
	const m = 60_000
	iv := cc.Interval1m
	cases := []struct {
		name string
		bars []compattest.Bar
		want string // "" means no failure
	}{
		{"contiguous aligned bars", []compattest.Bar{bar(m, iv), bar(2*m, iv), bar(3*m, iv)}, ""},
		{"a gap", []compattest.Bar{bar(m, iv), bar(3*m, iv)}, "gap"},
		{"an overlap", []compattest.Bar{bar(2*m, iv), bar(2*m, iv)}, "overlap"},
		{"a misaligned bar", []compattest.Bar{bar(m+1, iv)}, "not aligned"},
		{"a wrong close time", []compattest.Bar{{Open: m, Close: 2 * m, O: 1, H: 1, L: 1, C: 1}}, "closes at"},
		{"a high below the close", []compattest.Bar{{Open: m, O: 10, H: 10, L: 9, C: 11}}, "inconsistent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			compattest.CheckSeries(r, tc.bars, iv)
			got := r.failures()
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("failures %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckSeriesKnowsMonthsAndWeeks(t *testing.T) {
	r := &recorder{TB: t}
	jan := int64(1735689600000) // 2025-01-01
	feb := cc.Interval1M.Next(jan)
	compattest.CheckSeries(r, []compattest.Bar{bar(jan, cc.Interval1M), bar(feb, cc.Interval1M)}, cc.Interval1M)
	compattest.CheckSeries(r, []compattest.Bar{bar(jan+30*86_400_000, cc.Interval1M)}, cc.Interval1M)
	if got := r.failures(); strings.Count(got, "not aligned") != 1 {
		t.Errorf("want exactly the mid-month bar flagged, got %q", got)
	}
}

func TestCheckJoin(t *testing.T) {
	iv := cc.Interval1h
	h := iv.Millis()
	r := &recorder{TB: t}
	compattest.CheckJoin(r, []compattest.Bar{bar(h, iv)}, []compattest.Bar{bar(2*h, iv)}, iv)
	if got := r.failures(); got != "" {
		t.Fatalf("joined pages flagged: %s", got)
	}
	compattest.CheckJoin(r, []compattest.Bar{bar(h, iv)}, []compattest.Bar{bar(3*h, iv)}, iv)
	compattest.CheckJoin(r, []compattest.Bar{bar(2*h, iv)}, []compattest.Bar{bar(2*h, iv)}, iv)
	if got := r.failures(); !strings.Contains(got, "gap") || !strings.Contains(got, "overlap") {
		t.Errorf("want a gap and an overlap, got %q", got)
	}
}

func TestHTTPClientReachesOnlyLoopback(t *testing.T) {
	if !compattest.IsLoopback("127.0.0.1:80") || !compattest.IsLoopback("[::1]:80") || compattest.IsLoopback("localhost:80") || compattest.IsLoopback("10.1.2.3:80") {
		t.Fatal("IsLoopback is wrong")
	}
	r := &recorder{TB: t}
	dialed := ""
	dial := compattest.GuardDialContext(r, func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = addr
		return nil, fmt.Errorf("test dialer")
	})
	if _, err := dial(context.Background(), "tcp", "203.0.113.9:443"); err == nil || dialed != "" {
		t.Errorf("a non-loopback address was dialed (%q) or not refused (%v)", dialed, err)
	}
	if !strings.Contains(r.failures(), "203.0.113.9:443") {
		t.Errorf("the refusal did not fail the test: %q", r.failures())
	}
	dial(context.Background(), "tcp", "127.0.0.1:1")
	if dialed != "127.0.0.1:1" {
		t.Errorf("loopback dial not passed through: %q", dialed)
	}
}

func TestSetVarRestoresTheValue(t *testing.T) {
	v := "old"
	t.Run("inner", func(t *testing.T) {
		compattest.SetVar(t, &v, "new")
		if v != "new" {
			t.Errorf("v = %q during the test", v)
		}
	})
	if v != "old" {
		t.Errorf("v = %q after the test, want it restored", v)
	}
}

func TestTapWritesDownEveryConnectionAndRelaysIt(t *testing.T) {
	srv := compattest.Start(t, "binance_spot", compattest.Options{})
	tap := compattest.NewTap(t, srv)
	addr := strings.TrimPrefix(tap.URL, "http://")
	send := func(req string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q through the tap: %v", req, err)
		}
		resp.Body.Close()
		return resp.Status
	}
	if got := send("GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); got != "200 OK" {
		t.Errorf("a direct ping through the tap: %s, want 200 OK", got)
	}
	if got := send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"); got != "403 Forbidden" {
		t.Errorf("CONNECT to a host not served, through the tap: %s, want the server's 403", got)
	}
	targets, others := tap.Connects()
	if !slices.Equal(targets, []string{"example.com:443"}) || !slices.Equal(others, []string{"GET /api/v3/ping HTTP/1.1"}) {
		t.Errorf("the tap wrote down CONNECT targets %q and other lines %q", targets, others)
	}
}

func TestProxyEnvLeavesOnlyTheTestsProxyAndCertificate(t *testing.T) {
	t.Setenv("http_proxy", "http://elsewhere:1")
	t.Setenv("NO_PROXY", "*")
	t.Setenv("SSL_CERT_DIR", "/etc/ssl/certs")
	t.Setenv("COMPATTEST_KEEP", "1")
	env := compattest.ProxyEnv(t, "http://127.0.0.1:9", "/tmp/ca.pem")
	got := map[string][]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[strings.ToUpper(k)] = append(got[strings.ToUpper(k)], v)
	}
	for k, want := range map[string]string{"HTTPS_PROXY": "http://127.0.0.1:9", "SSL_CERT_FILE": "/tmp/ca.pem", "COMPATTEST_KEEP": "1"} {
		if !slices.Equal(got[k], []string{want}) {
			t.Errorf("%s = %q, want only %q", k, got[k], want)
		}
	}
	for _, k := range []string{"HTTP_PROXY", "NO_PROXY"} {
		if len(got[k]) > 0 {
			t.Errorf("%s = %q is left for the client", k, got[k])
		}
	}
	if dirs := got["SSL_CERT_DIR"]; len(dirs) != 1 || dirs[0] == "/etc/ssl/certs" {
		t.Errorf("SSL_CERT_DIR = %q, want one empty directory of the test", dirs)
	} else if ents, err := os.ReadDir(dirs[0]); err != nil || len(ents) != 0 {
		t.Errorf("SSL_CERT_DIR %s: %d entries, %v", dirs[0], len(ents), err)
	}
}
