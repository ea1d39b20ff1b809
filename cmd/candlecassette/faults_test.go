package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProtocolFaultFlagsAndAScenarioFileConfigureTheServer(t *testing.T) {
	requireExchange(t, "binance_spot")
	scenario := filepath.Join(t.TempDir(), "protocol.yaml")
	os.WriteFile(scenario, []byte(`
book_gap: {every: 100}
stale_snapshot: 2s
routes:
  - prefix: /ws
    book_reorder: 0.05
    resync: {at: 10m, repeat: 30m}
`), 0o644)
	s := startSynth(t, "binance_spot", "--listen", "127.0.0.1:0", "--scenario", scenario,
		"--book-duplicate", "every:7", "--book-corrupt", "at:1h", "--book-gap", "0.01", "--clock-skew", "-2s")
	var cond struct {
		BookGap       map[string]any `json:"book_gap"`
		BookDuplicate map[string]any `json:"book_duplicate"`
		BookCorrupt   map[string]any `json:"book_corrupt"`
		StaleSnapshot map[string]any `json:"stale_snapshot"`
		ClockSkew     string         `json:"clock_skew"`
		Routes        []map[string]any
	}
	adminGet(t, s.url+"/__admin/conditions", "", &cond)
	if cond.BookGap["rate"] != 0.01 || cond.BookDuplicate["every"] != 7.0 || cond.BookCorrupt["at"] != "1h0m0s" ||
		cond.StaleSnapshot["age"] != "2s" || cond.ClockSkew != "-2s" {
		t.Errorf("conditions %+v: want the flags over the file", cond)
	}
	if len(cond.Routes) != 1 || cond.Routes[0]["book_reorder"].(map[string]any)["rate"] != 0.05 ||
		cond.Routes[0]["resync"].(map[string]any)["repeat"] != "30m" {
		t.Errorf("routes %+v", cond.Routes)
	}
	var tm struct{ ServerTime int64 }
	resp, err := http.Get(s.url + "/api/v3/time")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&tm)
	resp.Body.Close()
	if d := time.Until(time.UnixMilli(tm.ServerTime)); d > -time.Second || d < -3*time.Second {
		t.Errorf("--clock-skew -2s: server time %v off", d)
	}
}

func TestProtocolFaultFlagsRejectBadValues(t *testing.T) {
	requireExchange(t, "binance_spot")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("book_gap: {every: 3, rate: 0.5}\n"), 0o644)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--book-gap", "often"}, "--book-gap"},
		{[]string{"--book-duplicate", "2"}, "book_duplicate: rate must be between 0 and 1"},
		{[]string{"--resync", "every:-1"}, "resync: every must be a positive count"},
		{[]string{"--stale-snapshot", "age:x"}, "--stale-snapshot"},
		{[]string{"--clock-skew", "48h"}, "clock_skew must be within"},
		{[]string{"--scenario", bad}, "book_gap: set only one of rate, every and at"},
	} {
		_, _, err := run(t, append([]string{"synth", "binance_spot", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.says)
		}
	}
}
