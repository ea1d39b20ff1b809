package main

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins"
)

// TestBinary builds the real binary and checks what only a process shows:
// exit codes, and clean shutdown on SIGTERM and SIGINT.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "candlecassette")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	exchange := "binance_spot"
	if _, err := plugins.Lookup(exchange); err != nil {
		names := plugins.Names()
		if len(names) == 0 {
			t.Skip("no exchange registered yet")
		}
		exchange = names[0]
	}

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run("synth shuts down cleanly on "+sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "synth", exchange, "--listen", "127.0.0.1:0", "--seed", "7")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 8)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var first string
			select {
			case first = <-lines:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no listening line within 20s; stderr:\n%s", &stderr)
			}
			m := listeningLine.FindStringSubmatch(first + "\n")
			if m == nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("first stdout line %q, want `listening on http://127.0.0.1:PORT`", first)
			}
			if m[2] == "0" {
				t.Errorf("listening line names port 0: %q", first)
			}
			resp, err := http.Get(m[1] + "/")
			if err != nil {
				t.Errorf("server does not answer: %v", err)
			} else {
				resp.Body.Close()
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("exit after %s: %v, want status 0; stderr:\n%s", sig, err, &stderr)
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("still running 15s after %s", sig)
			}
			var rest []string
			for l := range lines {
				rest = append(rest, l)
			}
			if len(rest) > 0 {
				t.Errorf("more stdout after the listening line: %q", rest)
			}
		})
	}

	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring, "" for none expected
		stderrRe string // substring of stderr
	}{
		{"--version exits 0", []string{"--version"}, 0, "candlecassette version", ""},
		{"--help exits 0", []string{"--help"}, 0, "synth", ""},
		{"an unknown exchange exits 1", []string{"synth", "nasdaq", "--listen", "127.0.0.1:0"}, 1, "", `candlecassette: plugins: unknown exchange "nasdaq"`},
		{"bad --pairs exits 1", []string{"synth", exchange, "--pairs", "BTC", "--listen", "127.0.0.1:0"}, 1, "", "--pairs"},
		{"an extra argument that is no exchange exits 1", []string{"synth", exchange, "more", "--listen", "127.0.0.1:0"}, 1, "", `candlecassette: plugins: unknown exchange "more"`},
		{"an unknown command exits 1", []string{"launch"}, 1, "", "launch"},
		{"diff of one API exits 0", []string{"diff", "../../cassettes/testdata/binance_spot-format2.cassette", "../../cassettes/testdata/binance_spot.cassette"}, 0, "0 change(s)", ""},
		{"diff of a file that is no cassette exits 2", []string{"diff", "../../cassettes/testdata/binance_spot.cassette", "binary_test.go"}, 2, "", "candlecassette: diff: cassettes: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("%v did not exit within 20s", tc.args)
			}
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("%v exited %d, want %d; stderr %q", tc.args, code, tc.code, &stderr)
			}
			if tc.stdout != "" && !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("%v: stdout %q lacks %q", tc.args, &stdout, tc.stdout)
			}
			if tc.stdout == "" && stdout.Len() > 0 {
				t.Errorf("%v: unexpected stdout %q", tc.args, &stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderrRe) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, &stderr, tc.stderrRe)
			}
		})
	}
}
