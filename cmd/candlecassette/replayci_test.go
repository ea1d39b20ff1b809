package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay"
)

// readReport reads a --report file.
func readReport(t *testing.T, path string) replay.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the report was not written: %v", err)
	}
	var rep replay.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report %s: %v", b, err)
	}
	return rep
}

func status(t *testing.T, u string) (int, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestReplayInCIFailsExactlyWhenTheClientsRequestsChange is a CI job: a
// fixture recorded from a client's requests is replayed by the real
// binary with --on-miss error --fail-on-unused --report, stopped with
// SIGTERM as a CI runner stops it. With --fail-on-miss too: the same
// requests pass (exit 0, nothing missed or unused); a changed request
// fails (exit 3, the report names the miss); a dropped one fails (exit
// 3, the report lists it unused). Without it, the job (client and
// replay) passes on the same requests in any order and fails on a
// changed, dropped or added one. The report is written every time.
func TestReplayInCIFailsExactlyWhenTheClientsRequestsChange(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := recordExchange(t)
	up := synthUpstream(t, p)
	dir := t.TempDir()
	fixture := filepath.Join(dir, "fixture.cassette")
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	client := []string{
		candlesURL(t, p, "", start, 100),
		candlesURL(t, p, "", start+100*60_000, 50),
	}
	recURL, stopRec := startRecord(t, p.Name(), "--cassette", fixture, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit")
	for _, path := range client {
		fetch(t, recURL+path)
	}
	if err := stopRec(); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(dir, "candlecassette")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	changed := candlesURL(t, p, "", start+3*86_400_000, 50)
	for _, tt := range []struct {
		name     string
		sig      syscall.Signal
		requests []string
		code     int
		stderr   string
		check    func(t *testing.T, rep replay.Report)
	}{
		{"the same requests pass (stopped by SIGINT)", syscall.SIGINT, client, 0, "", func(t *testing.T, rep replay.Report) {
			if rep.MissesTotal != 0 || len(rep.Unused) != 0 || rep.Served.Exact != 2 {
				t.Errorf("report %+v, want 2 exact answers, nothing missed or unused", rep)
			}
		}},
		{"a changed request fails and is named", syscall.SIGTERM, []string{client[0], changed}, exitFixtureMismatch, "missed the cassette", func(t *testing.T, rep replay.Report) {
			if rep.MissesTotal != 1 || len(rep.Misses) != 1 || !strings.Contains(rep.Misses[0].Key, "startTime=1709510400000") {
				t.Errorf("misses %+v, want the changed window", rep.Misses)
			}
		}},
		{"a dropped request fails and is listed unused", syscall.SIGTERM, client[:1], exitFixtureMismatch, "never used", func(t *testing.T, rep replay.Report) {
			if rep.MissesTotal != 0 || len(rep.Unused) != 1 || !strings.Contains(rep.Unused[0].Key, "startTime=1709257200000") {
				t.Errorf("unused %+v, want the dropped window", rep.Unused)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			job := runReplayJob(t, bin, fixture, tt.sig, tt.requests, "--fail-on-miss")
			if job.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", job.code, tt.code, job.stderr)
			}
			if tt.stderr != "" {
				var last string
				for _, l := range strings.Split(strings.TrimSpace(job.stderr), "\n") {
					if strings.HasPrefix(l, "candlecassette: ") {
						last = l
					}
				}
				if !strings.Contains(last, tt.stderr) {
					t.Errorf("the failure line %q does not say %q; stderr:\n%s", last, tt.stderr, job.stderr)
				}
			}
			tt.check(t, job.report)
		})
	}

	// The CI job of the issue: replay with --on-miss error
	// --fail-on-unused (no --fail-on-miss) while the client's suite runs; the job fails if the client got anything but its
	// recorded answers or replay exits non-zero. It passes on the
	// recorded requests in any order, and fails on every change: a
	// request changed, dropped or added.
	added := candlesURL(t, p, "", start+200*60_000, 10)
	for _, tt := range []struct {
		name       string
		requests   []string
		changed    bool // the job must fail
		clientFail bool // some request got the miss answer
		code       int  // replay's exit status
	}{
		{"the same requests", client, false, false, 0},
		{"the same requests in another order", []string{client[1], client[0]}, false, false, 0},
		{"a changed request", []string{client[0], changed}, true, true, exitFixtureMismatch},
		{"a dropped request", client[:1], true, false, exitFixtureMismatch},
		{"an added request", append(slices.Clone(client), added), true, true, 0},
	} {
		t.Run("job: "+tt.name, func(t *testing.T) {
			job := runReplayJob(t, bin, fixture, syscall.SIGTERM, tt.requests)
			if job.clientFailed != tt.clientFail || job.code != tt.code {
				t.Fatalf("the client failed: %v, replay exited %d; want %v and %d; stderr:\n%s", job.clientFailed, job.code, tt.clientFail, tt.code, job.stderr)
			}
			if jobFails := job.clientFailed || job.code != 0; jobFails != tt.changed {
				t.Fatalf("the job fails: %v, want %v", jobFails, tt.changed)
			}
			if tt.clientFail && job.report.MissesTotal == 0 {
				t.Errorf("the client got the miss answer but the report counts no miss: %+v", job.report)
			}
		})
	}
}

// replayJob is one CI run of the binary's replay: what the client saw,
// replay's exit status, its stderr and its --report.
type replayJob struct {
	clientFailed bool
	code         int
	stderr       string
	report       replay.Report
}

// runReplayJob starts bin replay on fixture with --on-miss error
// --fail-on-unused --report --report-text and the extra flags, sends the
// requests (a client that fails on any answer but 200), stops replay
// with sig as a CI runner stops it, and checks what every run must do:
// a miss answered with replay's status and header, the text report on
// stderr, the JSON report written atomically with keys unescaped.
func runReplayJob(t *testing.T, bin, fixture string, sig syscall.Signal, requests []string, extra ...string) replayJob {
	t.Helper()
	reportPath := filepath.Join(t.TempDir(), "r.json")
	args := append([]string{"replay", "--cassette", fixture, "--listen", "127.0.0.1:0", "--no-rate-limit",
		"--on-miss", "error", "--fail-on-unused", "--report", reportPath, "--report-text"}, extra...)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := listeningLine.FindStringSubmatch(line)
	if err != nil || m == nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("listening line %q: %v\n%s", line, err, &stderr)
	}
	var job replayJob
	for _, path := range requests {
		code, h := status(t, m[1]+path)
		if miss := h.Get(replay.MissHeader); (code == 200) == (miss != "") || (code != 200 && code != replay.MissStatus) {
			t.Errorf("%s: %d with miss header %q", path, code, miss)
		}
		job.clientFailed = job.clientFailed || code != 200
	}
	cmd.Process.Signal(sig)
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		job.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	job.stderr = stderr.String()
	if !strings.Contains(job.stderr, "replay report: "+fixture) {
		t.Errorf("--report-text printed no report:\n%s", job.stderr)
	}
	job.report = readReport(t, reportPath)
	if raw, _ := os.ReadFile(reportPath); bytes.Contains(raw, []byte(`\u0026`)) {
		t.Errorf("the report escapes the keys' & for HTML:\n%s", raw)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(reportPath), ".*tmp")); len(leftovers) > 0 {
		t.Errorf("temporary files left beside the report: %v", leftovers)
	}
	return job
}

// TestReplayRecordMissingThenReplaysItOffline runs the command in process:
// --on-miss upstream --record-missing fetches an unrecorded window from
// the upstream and appends it; the next run, with --on-miss error and no
// upstream, answers it from the cassette.
func TestReplayRecordMissingThenReplaysItOffline(t *testing.T) {
	p := recordExchange(t)
	up := synthUpstream(t, p)
	fixture := filepath.Join(t.TempDir(), "fixture.cassette")
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	recURL, stopRec := startRecord(t, p.Name(), "--cassette", fixture, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit")
	fetch(t, candlesURL(t, p, recURL, start, 60))
	if err := stopRec(); err != nil {
		t.Fatal(err)
	}
	later := candlesURL(t, p, "", start+86_400_000, 60)
	want := fetch(t, up.URL()+later)

	s := startServing(t, "replay", "--cassette", fixture, "--listen", "127.0.0.1:0", "--no-rate-limit",
		"--on-miss", "upstream", "--record-missing", "--upstream-rest", up.URL())
	// One writer at a time.
	_, _, err := run(t, "replay", "--cassette", fixture, "--listen", "127.0.0.1:0", "--on-miss", "upstream", "--record-missing")
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("a second --record-missing got %v, want a lock error", err)
	}
	if got := fetch(t, s.url+later); string(got) != string(want) {
		t.Fatalf("forwarded %s\nwant %s", got, want)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	reportPath := filepath.Join(t.TempDir(), "r.json")
	s = startServing(t, "replay", "--cassette", fixture, "--listen", "127.0.0.1:0", "--no-rate-limit",
		"--on-miss", "error", "--fail-on-miss", "--report", reportPath)
	if got := fetch(t, s.url+later); string(got) != string(want) {
		t.Fatalf("appended answer replays as %s\nwant %s", got, want)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("replay of the appended cassette: %v", err)
	}
	if rep := readReport(t, reportPath); rep.MissesTotal != 0 || rep.Served.Exact != 1 {
		t.Fatalf("report %+v, want the appended request answered exactly", rep)
	}
}

func TestReplayMissFlagsAreChecked(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown on-miss", []string{"--exchange", "binance_spot", "--on-miss", "ignore"}, "--on-miss"},
		{"error without a cassette", []string{"--exchange", "binance_spot", "--on-miss", "error"}, "needs a cassette"},
		{"a report without a cassette", []string{"--exchange", "binance_spot", "--report", "r.json"}, "--cassette"},
		{"an upstream without on-miss upstream", []string{"--exchange", "binance_spot", "--upstream-rest", "http://127.0.0.1:1"}, "--on-miss upstream"},
		{"a bad --upstream", []string{"--exchange", "binance_spot", "--on-miss", "upstream", "--upstream", "binance_spot"}, "ID=URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, append([]string{"replay", "--listen", "127.0.0.1:0"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestReplayReportCountsSourcesMissesUnusedAndFaults: one replay with
// faults injected (a --scenario route: error_rate 1 on the ping) answers
// a recorded request exactly, a window inside the recorded candles from
// the index, a miss synthetically, and fails three pings with the
// exchange's 5xx; the JSON report and the text
// on stderr give each count, the miss by key and the recording never
// used.
func TestReplayReportCountsSourcesMissesUnusedAndFaults(t *testing.T) {
	p := recordExchange(t)
	up := synthUpstream(t, p)
	dir := t.TempDir()
	fixture := filepath.Join(dir, "fixture.cassette")
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	recorded := candlesURL(t, p, "", start, 100)
	unused := candlesURL(t, p, "", start+100*60_000, 50)
	recURL, stopRec := startRecord(t, p.Name(), "--cassette", fixture, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit")
	fetch(t, recURL+recorded)
	fetch(t, recURL+unused)
	if err := stopRec(); err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(dir, "faults.json")
	os.WriteFile(scenario, []byte(`{"routes":[{"path":"/api/v3/ping","error_rate":1}]}`), 0o644)
	reportPath := filepath.Join(dir, "r.json")
	s := startServing(t, "replay", "--cassette", fixture, "--listen", "127.0.0.1:0", "--no-rate-limit",
		"--scenario", scenario, "--report", reportPath, "--report-text")
	inside := candlesURL(t, p, "", start+10*60_000, 20)
	miss := candlesURL(t, p, "", start+86_400_000, 20)
	for _, path := range []string{recorded, inside, miss} {
		if code, _ := status(t, s.url+path); code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
	}
	for range 3 {
		if code, _ := status(t, s.url+"/api/v3/ping"); code < 500 {
			t.Fatalf("a ping with error_rate 1 got %d", code)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, reportPath)
	if rep.Served != (replay.Counts{Exact: 1, Index: 1, Synthetic: 1}) {
		t.Errorf("served %+v, want 1 exact, 1 index, 1 synthetic", rep.Served)
	}
	if rep.MissesTotal != 1 || len(rep.Misses) != 1 || !strings.Contains(rep.Misses[0].Key, "startTime=1709337600000") {
		t.Errorf("misses %+v, want the day-later window", rep.Misses)
	}
	if len(rep.Unused) != 1 || !strings.Contains(rep.Unused[0].Key, "startTime=1709257200000") || rep.Unused[0].Recorded != 1 {
		t.Errorf("unused %+v, want the second recorded window", rep.Unused)
	}
	if len(rep.Faults) != 1 || rep.Faults[0].Exchange != p.Name() || rep.Faults[0].Network.Errors != 3 {
		t.Errorf("faults %+v, want 3 errors injected on %s", rep.Faults, p.Name())
	}
	text := s.stderr.String()
	for _, want := range []string{
		"replay report: " + fixture + " (on-miss synth)",
		"  served:  1 exact, 1 index, 1 synthetic, 0 upstream\n",
		"  misses:  1 (1 distinct)\n",
		"       1x  " + p.Name() + "  " + rep.Misses[0].Key + "\n",
		"  unused:  1\n",
		"       1   " + p.Name() + "  " + rep.Unused[0].Key + "\n",
		"  faults " + p.Name() + ": 0 delayed, 0 dropped, 0 hung, 3 errors",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text report lacks %q:\n%s", want, text)
		}
	}
}
