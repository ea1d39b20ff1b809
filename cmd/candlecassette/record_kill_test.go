package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

var committedLine = regexp.MustCompile(`batch committed.*interactions_total=(\d+)`)

// TestRecorderSurvivesKill9 records through the real binary with small,
// frequent batches, kills it with SIGKILL mid-run, and checks the file
// opens and holds at least every batch the recorder reported committed.
func TestRecorderSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := recordExchange(t)
	up := synthUpstream(t, p)
	bin := filepath.Join(t.TempDir(), "candlecassette")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path := filepath.Join(t.TempDir(), "killed.cassette")
	cmd := exec.Command(bin, "record", p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit",
		"--flush-interval", "20ms", "--batch-items", "3", "--log-level", "info")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var committed atomic.Int64
	var logTail bytes.Buffer
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := committedLine.FindStringSubmatch(sc.Text()); m != nil {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				committed.Store(n)
			} else {
				logTail.WriteString(sc.Text() + "\n")
			}
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := listeningLine.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("listening line %q: %v", line, err)
	}
	base := cc.Interval1h.Truncate(time.Now().UnixMilli()) - 48*3_600_000
	sent := 0
	deadline := time.Now().Add(20 * time.Second)
	for committed.Load() < 30 && time.Now().Before(deadline) {
		resp, err := http.Get(candlesURL(t, p, m[1], base+int64(sent)*60_000, 50))
		if err != nil {
			t.Fatalf("request %d: %v", sent, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		sent++
	}
	// Keep traffic flowing while the kill lands, so a batch is in memory.
	go func() {
		for i := 0; i < 50; i++ {
			resp, err := http.Get(candlesURL(t, p, m[1], base+int64(sent+i)*60_000, 50))
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	time.Sleep(15 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("recorder did not die of SIGKILL: %v", err)
	}
	<-stderrDone
	confirmed := committed.Load()
	if confirmed < 30 {
		t.Fatalf("only %d interactions confirmed committed before the kill (sent %d)\n%s", confirmed, sent, &logTail)
	}

	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("cassette after kill -9 does not open: %v", err)
	}
	defer c.Close()
	n := int64(0)
	if err := c.Interactions(func(*cassettes.Interaction) error { n++; return nil }); err != nil {
		t.Fatalf("reading interactions after kill -9: %v", err)
	}
	if n < confirmed || c.Meta().Interactions != n {
		t.Errorf("after kill -9: %d interactions readable, meta says %d, %d were confirmed committed", n, c.Meta().Interactions, confirmed)
	}
	cv, err := c.Coverage(p.Symbol(cc.DefaultPairs[0]), cc.Interval1m)
	if err != nil || cv.Total() < int(confirmed) {
		t.Errorf("candle index after kill -9: %d candles, %v", cv.Total(), err)
	}
	t.Logf("killed after %d requests; %d confirmed, %d in the file", sent, confirmed, n)

	// inspect from the binary: fine on the survivor, one line and exit 1
	// on junk.
	c.Close()
	if out, err := exec.Command(bin, "inspect", path).CombinedOutput(); err != nil {
		t.Errorf("inspect after kill -9: %v\n%s", err, out)
	}
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, bytes.Repeat([]byte{0xff, 0x00, 0x13}, 5000), 0o644)
	ins := exec.Command(bin, "inspect", junk)
	var eout bytes.Buffer
	ins.Stderr = &eout
	err = ins.Run()
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("inspect of junk: %v, want a non-zero exit", err)
	}
	if lines := bytes.Count(eout.Bytes(), []byte("\n")); lines != 1 {
		t.Errorf("inspect of junk printed %d lines: %q", lines, eout.String())
	}
}

// TestRecorderFlushesOnSIGTERM: a SIGTERM (or SIGINT) ends the recorder
// cleanly with everything it answered in the cassette, even with a flush
// interval longer than the session.
func TestRecorderFlushesOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := recordExchange(t)
	up := synthUpstream(t, p)
	bin := filepath.Join(t.TempDir(), "candlecassette")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		path := filepath.Join(t.TempDir(), "term.cassette")
		cmd := exec.Command(bin, "record", p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
			"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit", "--flush-interval", "1h")
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		m := listeningLine.FindStringSubmatch(line)
		if err != nil || m == nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("listening line %q: %v", line, err)
		}
		base := cc.Interval1h.Truncate(time.Now().UnixMilli()) - 24*3_600_000
		const n = 7
		for i := 0; i < n; i++ {
			resp, err := http.Get(candlesURL(t, p, m[1], base+int64(i)*60*60_000, 60))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		cmd.Process.Signal(sig)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: recorder exited with %v\n%s", sig, err, &stderr)
		}
		c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		cv, _ := c.Coverage(p.Symbol(cc.DefaultPairs[0]), cc.Interval1m)
		if got := c.Meta().Interactions; got != n || cv.Total() != n*60 {
			t.Errorf("%v: %d interactions and %d candles in the cassette, want %d and %d", sig, got, cv.Total(), n, n*60)
		}
		c.Close()
	}
}
