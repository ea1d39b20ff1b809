package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/drift"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// quotedTime is an upstream change: Binance's server time sent as a
// string.
var quotedTime = replaytest.Alter{REST: func(r *http.Request, status int, v any) (int, any) {
	if m, ok := v.(map[string]any); ok && r.URL.Path == "/api/v3/time" {
		m["serverTime"] = string(m["serverTime"].(json.Number))
	}
	return status, v
}}

// binanceUpstream is the synthetic Binance spot (seed), altered by alter.
func binanceUpstream(t *testing.T, seed uint64, alter replaytest.Alter) *replaytest.Server {
	requireExchange(t, "binance_spot")
	return replaytest.StartAltered(t, replay.Options{Exchange: "binance_spot", Seed: seed, Serve: serve.Options{NoRateLimit: true}}, alter)
}

// recordSession runs `record binance_spot` (with extra args) from up into
// path, asks for a candle window and the server time, stops it and
// returns what it printed and returned.
func recordSession(t *testing.T, up *replaytest.Server, path string, extra ...string) (string, error) {
	t.Helper()
	s := startServing(t, append([]string{"record", "binance_spot", "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL, "--upstream-ws", up.WSURL, "--no-rate-limit"}, extra...)...)
	p := recordExchange(t)
	fetch(t, candlesURL(t, p, s.url, cc.Interval1h.Truncate(time.Now().UnixMilli())-3*3_600_000, 30))
	fetch(t, s.url+"/api/v3/time")
	err := s.stop()
	return s.stdout.String(), err
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var st interface{ ExitStatus() int }
	if errors.As(err, &st) {
		return st.ExitStatus()
	}
	return -1
}

func TestDiffExitsZeroOneOrTwo(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.cassette"), filepath.Join(dir, "b.cassette"), filepath.Join(dir, "c.cassette")
	for _, rec := range []struct {
		path  string
		seed  uint64
		alter replaytest.Alter
	}{{a, 1, replaytest.Alter{}}, {b, 2, replaytest.Alter{}}, {c, 3, quotedTime}} {
		if _, err := recordSession(t, binanceUpstream(t, rec.seed, rec.alter), rec.path); err != nil {
			t.Fatalf("record: %v", err)
		}
	}

	stdout, _, err := run(t, "diff", a, b)
	if exitCode(err) != 0 || !strings.Contains(stdout, "0 change(s)") {
		t.Errorf("diff of two recordings of one API: %v (exit %d)\n%s", err, exitCode(err), stdout)
	}

	stdout, _, err = run(t, "diff", a, c)
	if exitCode(err) != 1 {
		t.Errorf("diff across a change exits %d (%v), want 1", exitCode(err), err)
	}
	want := `binance_spot GET /api/v3/time $.serverTime: number format: `
	if !strings.Contains(stdout, want) || !strings.Contains(stdout, "(number, integer) → \"") {
		t.Errorf("report lacks %q:\n%s", want, stdout)
	}

	stdout, _, err = run(t, "diff", "--json", a, c)
	if exitCode(err) != 1 {
		t.Errorf("diff --json across a change exits %d, want 1", exitCode(err))
	}
	var r drift.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("diff --json is not JSON: %v\n%s", err, stdout)
	}
	if !r.Drift || len(r.Changes) != 1 || r.Changes[0].Kind != drift.KindNumberFormat || r.Changes[0].Path != "$.serverTime" ||
		r.Changes[0].Where != "GET /api/v3/time" || r.A != a || r.B != c {
		t.Errorf("diff --json = %+v", r)
	}

	junk := filepath.Join(dir, "junk.cassette")
	os.WriteFile(junk, []byte(strings.Repeat("not a cassette ", 2000)), 0o644)
	for name, args := range map[string][]string{
		"a file that is no cassette": {"diff", a, junk},
		"a missing file":             {"diff", filepath.Join(dir, "none.cassette"), a},
		"one argument":               {"diff", a},
		"an unknown flag":            {"diff", "--frobnicate", a, b},
	} {
		if _, _, err := run(t, args...); exitCode(err) != 2 {
			t.Errorf("%s: exit %d (%v), want 2", name, exitCode(err), err)
		}
	}
}

func TestRecordAgainstReportsDriftAndKeepsTheRecording(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.cassette")
	if _, err := recordSession(t, binanceUpstream(t, 1, replaytest.Alter{}), old); err != nil {
		t.Fatalf("record: %v", err)
	}

	same := filepath.Join(dir, "same.cassette")
	stdout, err := recordSession(t, binanceUpstream(t, 2, replaytest.Alter{}), same, "--against", old)
	if err != nil || !strings.Contains(stdout, "0 change(s)") {
		t.Errorf("record --against an unchanged API: %v\n%s", err, stdout)
	}

	changed := filepath.Join(dir, "changed.cassette")
	stdout, err = recordSession(t, binanceUpstream(t, 3, quotedTime), changed, "--against", old)
	if exitCode(err) != 1 {
		t.Errorf("record --against a changed API: exit %d (%v), want 1", exitCode(err), err)
	}
	if !strings.Contains(stdout, "GET /api/v3/time $.serverTime: number format") {
		t.Errorf("record --against printed no drift line:\n%s", stdout)
	}
	f, err := cassettes.OpenFile(changed, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the recording was not kept: %v", err)
	}
	if n := f.Meta().Interactions; n != 2 {
		t.Errorf("the kept recording holds %d interactions, want 2", n)
	}
	f.Close()

	_, _, err = run(t, "record", "binance_spot", "--cassette", filepath.Join(dir, "x.cassette"), "--listen", "127.0.0.1:0",
		"--against", filepath.Join(dir, "missing.cassette"))
	if exitCode(err) != 2 {
		t.Errorf("record --against a missing file: exit %d (%v), want 2 before recording", exitCode(err), err)
	}
}
