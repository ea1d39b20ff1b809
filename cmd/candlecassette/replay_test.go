package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReplayServesARecordedCassetteOffline(t *testing.T) {
	p := recordExchange(t)
	up := synthUpstream(t, p)
	path := filepath.Join(t.TempDir(), "session.cassette")
	recURL, stopRec := startRecord(t, p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL())
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	recorded := fetch(t, candlesURL(t, p, recURL, start, 100))
	if err := stopRec(); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"--cassette", path},
		{"--cassette", path, "--clock", "2024-03-01T01:00:00Z", "--speed", "10"},
		{"--cassette", path, "--exchange", p.Name(), "--speed", "max"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			s := startServing(t, append([]string{"replay", "--listen", "127.0.0.1:0"}, args...)...)
			if got := fetch(t, candlesURL(t, p, s.url, start, 100)); string(got) != string(recorded) {
				t.Fatalf("replayed body differs from the recorded one:\n%s\nvs\n%s", got, recorded)
			}
			if err := s.stop(); err != nil {
				t.Fatalf("replay exited with %v", err)
			}
		})
	}
}

func TestReplayWithoutCassetteIsSynth(t *testing.T) {
	requireExchange(t, "binance_spot")
	s := startServing(t, "replay", "--exchange", "binance_spot", "--listen", "127.0.0.1:0", "--seed", "3")
	syn := startSynth(t, "binance_spot", "--listen", "127.0.0.1:0", "--seed", "3")
	path := "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1709251200000&limit=5"
	if a, b := fetch(t, s.url+path), fetch(t, syn.url+path); string(a) != string(b) {
		t.Fatalf("replay --exchange and synth disagree:\n%s\n%s", a, b)
	}
}

func TestReplayRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("not a cassette ", 500)), 0o644)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no cassette and no exchange", nil, "--cassette"},
		{"a missing file", []string{"--cassette", filepath.Join(dir, "nope.db")}, "nope.db"},
		{"a file that is not a cassette", []string{"--cassette", garbage}, "cassette"},
		{"an unknown exchange", []string{"--exchange", "nasdaq"}, "nasdaq"},
		{"a bad speed", []string{"--exchange", "binance_spot", "--speed", "-2"}, "--speed"},
		{"a positional argument", []string{"binance_spot"}, "unexpected argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, append([]string{"replay", "--listen", "127.0.0.1:0"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans several lines: %q", err)
			}
		})
	}
}
