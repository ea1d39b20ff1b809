package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/plugins"
)

// output is a goroutine-safe stdout/stderr for Run.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// run runs the CLI to completion and returns its stdout, stderr and error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr output
	err := Run(ctx, append([]string{"candlecassette"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

var listeningLine = regexp.MustCompile(`^listening on (http://127\.0\.0\.1:(\d+))\n$`)

// serving is a `synth` command running in this process.
type serving struct {
	url    string
	stdout *output
	stderr *output
	stop   func() error // cancels the command's context and returns Run's error
}

// startSynth runs `synth args...` until the test ends and waits for the
// listening line.
func startSynth(t *testing.T, args ...string) *serving {
	t.Helper()
	return startServing(t, append([]string{"synth"}, args...)...)
}

// startServing runs a serving command (synth, replay, record) until the
// test ends and waits for the listening line.
func startServing(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &output{}, &output{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"candlecassette"}, args...), stdout, stderr)
	}()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(15 * time.Second):
				runErr = fmt.Errorf("%s did not return within 15s of cancellation", args[0])
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningLine.FindStringSubmatch(stdout.String()); m != nil {
			return &serving{url: m[1], stdout: stdout, stderr: stderr, stop: stop}
		}
		select {
		case err := <-done:
			t.Fatalf("%v returned before listening: %v\nstdout: %q\nstderr: %s", args, err, stdout, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("%v: no `listening on http://127.0.0.1:PORT` line within 15s; stdout %q, stderr %s", args, stdout, stderr)
	return nil
}

func requireExchange(t *testing.T, name string) {
	t.Helper()
	if _, err := plugins.Lookup(name); err != nil {
		t.Skipf("%s is not registered yet: %v", name, err)
	}
}

func TestHelpListsTheCommandsAndEveryExchange(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {}} {
		stdout, _, err := run(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range append([]string{"candlecassette", "synth", "exchanges", "--version"}, plugins.Names()...) {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, stdout)
			}
		}
	}
	stdout, _, err := run(t, "synth", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EXCHANGE", "--listen", "--pairs", "--seed", "127.0.0.1:8080"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("synth --help lacks %q:\n%s", want, stdout)
		}
	}
}

func TestVersionPrintsTheBuildVersion(t *testing.T) {
	old := Version
	Version = "9.8.7-test"
	t.Cleanup(func() { Version = old })
	for _, flag := range []string{"--version", "-v"} {
		stdout, _, err := run(t, flag)
		if err != nil {
			t.Fatalf("%s: %v", flag, err)
		}
		if stdout != "candlecassette version 9.8.7-test\n" {
			t.Errorf("%s printed %q", flag, stdout)
		}
	}
}

func TestExchangesListsTheRegisteredIDsOneALine(t *testing.T) {
	stdout, _, err := run(t, "exchanges")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(stdout)
	if !slices.Equal(got, plugins.Names()) || (len(got) > 0 && !strings.HasSuffix(stdout, "\n")) {
		t.Errorf("exchanges printed %q, want %v one a line", stdout, plugins.Names())
	}
	if _, _, err := run(t, "exchanges", "extra"); err == nil {
		t.Error("exchanges with an argument succeeded")
	}
}

func TestSynthBinanceSpotPrintsOneListeningLineAndServesPing(t *testing.T) {
	requireExchange(t, "binance_spot")
	s := startSynth(t, "binance_spot", "--listen", "127.0.0.1:0", "--seed", "7", "--pairs", "BTC-USDT:50000,ETH-USDT:3000")
	resp, err := http.Get(s.url + "/api/v3/ping")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "{}" {
		t.Errorf("GET /api/v3/ping: %d %q, want 200 {}", resp.StatusCode, body)
	}
	if err := s.stop(); err != nil {
		t.Errorf("synth returned %v after cancellation, want nil (clean shutdown)", err)
	}
	if out := s.stdout.String(); !listeningLine.MatchString(out) {
		t.Errorf("stdout is %q, want exactly one listening line", out)
	}
	if _, err := http.Get(s.url + "/api/v3/ping"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestSynthServesEveryRegisteredExchange(t *testing.T) {
	for _, name := range plugins.Names() {
		t.Run(name, func(t *testing.T) {
			s := startSynth(t, name, "--listen", "127.0.0.1:0")
			resp, err := http.Get(s.url + "/no/such/path")
			if err != nil {
				t.Fatalf("server does not answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Errorf("GET /no/such/path: %d, want the exchange's error status", resp.StatusCode)
			}
			if err := s.stop(); err != nil {
				t.Errorf("synth returned %v after cancellation", err)
			}
			if out := s.stdout.String(); !listeningLine.MatchString(out) {
				t.Errorf("stdout is %q, want exactly one listening line", out)
			}
		})
	}
}

func TestPortZeroPicksAFreePort(t *testing.T) {
	names := plugins.Names()
	if len(names) == 0 {
		t.Skip("no exchange registered yet")
	}
	a := startSynth(t, names[0], "--listen", "127.0.0.1:0")
	b := startSynth(t, names[0], "--listen", "127.0.0.1:0")
	if a.url == b.url || strings.HasSuffix(a.url, ":0") {
		t.Errorf("two servers on port 0 got %s and %s", a.url, b.url)
	}
	// The port a server holds is not free: a third one asking for it fails.
	_, _, err := run(t, "synth", names[0], "--listen", strings.TrimPrefix(a.url, "http://"))
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("synth on a port in use: err %v, want a listen error", err)
	}
}

func TestBadInvocationsFailWithAClearMessage(t *testing.T) {
	names := plugins.Names()
	known := "binance_spot"
	if len(names) > 0 {
		known = names[0]
	}
	cases := []struct {
		name string
		args []string
		want string
		// needsKnown: the case reaches flag checks only with a registered id.
		needsKnown bool
	}{
		{"an unknown exchange", []string{"synth", "nasdaq"}, `unknown exchange "nasdaq"`, false},
		{"no exchange", []string{"synth"}, "want an EXCHANGE argument (or several, or --all)", false},
		{"an extra argument that is no exchange", []string{"synth", known, "extra"}, `unknown exchange "extra"`, true},
		{"an exchange twice", []string{"synth", known, known}, known + " given twice", true},
		{"--all beside a named exchange", []string{"synth", "--all", known}, "not both", false},
		{"pairs without a quote", []string{"synth", known, "--pairs", "BTCUSDT"}, "--pairs", true},
		{"a pair with a bad price", []string{"synth", known, "--pairs", "BTC-USDT:cheap"}, "--pairs", true},
		{"a bad log level", []string{"synth", known, "--log-level", "loud", "--listen", "127.0.0.1:0"}, "--log-level", true},
		{"an unknown flag", []string{"synth", known, "--speed-of-light", "3"}, "flag provided but not defined", false},
		{"an unknown command", []string{"launch"}, "launch", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needsKnown {
				requireExchange(t, known)
			}
			stdout, _, err := run(t, tc.args...)
			if err == nil {
				t.Fatalf("%v succeeded; stdout %q", tc.args, stdout)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: error %q does not mention %q", tc.args, err, tc.want)
			}
			if strings.Contains(stdout, "listening on") {
				t.Errorf("%v printed a listening line", tc.args)
			}
		})
	}
}

func TestFlagsMayFollowTheExchangeArgument(t *testing.T) {
	app := &cli.App{Commands: []*cli.Command{synthCommand(), exchangesCommand()}}
	cases := []struct{ in, want []string }{
		{[]string{"cc", "synth", "binance_spot", "--listen", "127.0.0.1:0", "--seed=3"},
			[]string{"cc", "synth", "--listen", "127.0.0.1:0", "--seed=3", "binance_spot"}},
		{[]string{"cc", "synth", "--listen", ":0", "x", "-h"},
			[]string{"cc", "synth", "--listen", ":0", "-h", "x"}},
		{[]string{"cc", "synth", "x", "--", "--listen"},
			[]string{"cc", "synth", "x", "--", "--listen"}},
		{[]string{"cc", "--version"}, []string{"cc", "--version"}},
		{[]string{"cc", "nope", "a", "--b"}, []string{"cc", "nope", "a", "--b"}},
	}
	for _, tc := range cases {
		if got := flagsFirst(app, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
