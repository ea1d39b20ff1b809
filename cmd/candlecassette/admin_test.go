package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// anyListeningLine is the listening line on any address.
var anyListeningLine = regexp.MustCompile(`^listening on (http://(\S+):(\d+))\n$`)

// served is a serving command running in this process, with its output.
type served struct {
	url            string // on 127.0.0.1, whatever the listen address
	stdout, stderr *output
	stop           func() error // cancels the command and returns Run's error
}

// serveCmd runs a serving command until the test ends and waits for its
// listening line, on whatever address it listens.
func serveCmd(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stdout: &output{}, stderr: &output{}}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, append([]string{"candlecassette"}, args...), s.stdout, s.stderr) }()
	var runErr error
	stopped := false
	s.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(15 * time.Second):
				runErr = fmt.Errorf("%s did not return within 15s of cancellation", args[0])
			}
		}
		return runErr
	}
	t.Cleanup(func() { s.stop() })
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if m := anyListeningLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = "http://127.0.0.1:" + m[3]
			return s
		}
		select {
		case err := <-done:
			t.Fatalf("%v returned before listening: %v\nstderr: %s", args, err, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("%v: no listening line within 15s; stdout %q, stderr %s", args, s.stdout, s.stderr)
	return nil
}

func TestListeningBeyondLoopbackWithoutATokenWarnsOnStderr(t *testing.T) {
	requireExchange(t, "binance_spot")
	for _, tc := range []struct {
		name   string
		args   []string
		warned bool
	}{
		{"all interfaces and no token warn", []string{"--listen", "0.0.0.0:0"}, true},
		{"all interfaces with a token do not", []string{"--listen", "0.0.0.0:0", "--admin-token", "tok"}, false},
		{"loopback does not", []string{"--listen", "127.0.0.1:0"}, false},
		{"localhost does not", []string{"--listen", "localhost:0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serveCmd(t, append([]string{"synth", "binance_spot"}, tc.args...)...)
			resp, err := http.Get(s.url + "/api/v3/ping")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("ping: %v %v", resp, err)
			}
			resp.Body.Close() // else its connection outlives the test
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			stderr := s.stderr.String()
			if got := strings.Contains(stderr, "warning:") && strings.Contains(stderr, "--admin-token"); got != tc.warned {
				t.Errorf("warned %v, want %v; stderr:\n%s", got, tc.warned, stderr)
			}
			if n := strings.Count(stderr, "warning:"); n > 1 {
				t.Errorf("%d warnings, want at most one:\n%s", n, stderr)
			}
			if !anyListeningLine.MatchString(s.stdout.String()) {
				t.Errorf("stdout is not exactly the listening line: %q", s.stdout)
			}
		})
	}
}

func TestAdminAllowHostFlagAddsNames(t *testing.T) {
	requireExchange(t, "binance_spot")
	s := serveCmd(t, "synth", "binance_spot", "--listen", "127.0.0.1:0",
		"--admin-allow-host", "mock.internal", "--admin-allow-host", "exchange-mock,other.test")
	for host, want := range map[string]int{
		"mock.internal:8080":   200,
		"exchange-mock":        200,
		"OTHER.test:1":         200,
		"localhost:5":          200,
		"rebind.evil.example":  403,
		"mock.internal.evil.x": 403,
	} {
		req, _ := http.NewRequest("GET", s.url+"/__admin/status", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	// The README's curl lines, as curl sends them.
	for _, tc := range []struct {
		method, path, ctype, body string
		want                      int
	}{
		{"POST", "/__admin/reset", "", "", 200},
		{"POST", "/__admin/disconnect", "application/json", `{"code":1006}`, 200},
		{"PUT", "/__admin/conditions", "application/json", `{"error_rate":0}`, 200},
		{"PUT", "/__admin/conditions", "application/x-www-form-urlencoded", `{"error_rate":0}`, 415}, // curl -d without -H
	} {
		req, _ := http.NewRequest(tc.method, s.url+tc.path, strings.NewReader(tc.body))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s (%s): %d, want %d", tc.method, tc.path, tc.ctype, resp.StatusCode, tc.want)
		}
	}
}
