package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// serverTime is binance_spot's /api/v3/time at url, in Unix ms.
func serverTime(t *testing.T, url string) int64 {
	t.Helper()
	var v struct {
		ServerTime int64 `json:"serverTime"`
	}
	if err := json.Unmarshal(fetch(t, url+"/api/v3/time"), &v); err != nil {
		t.Fatal(err)
	}
	return v.ServerTime
}

// `synth --speed N` (and replay without a cassette) runs the virtual clock
// N times as fast as real time, from the real now; without it the clock is
// real time.
func TestSynthSpeedRunsTheClockFaster(t *testing.T) {
	requireExchange(t, "binance_spot")
	for _, tt := range []struct {
		args  []string
		speed float64
	}{
		{[]string{"synth", "binance_spot"}, 1},
		{[]string{"synth", "binance_spot", "--speed", "20"}, 20},
		{[]string{"replay", "--exchange", "binance_spot", "--speed", "20"}, 20},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			s := startServing(t, append(tt.args, "--listen", "127.0.0.1:0")...)
			real0 := time.Now()
			v0 := serverTime(t, s.url)
			if d := time.UnixMilli(v0).Sub(real0); d < -2*time.Second || d > 2*time.Second {
				t.Fatalf("virtual clock starts %v from the real now", d)
			}
			time.Sleep(500 * time.Millisecond)
			v1 := serverTime(t, s.url)
			real := time.Since(real0)
			got := float64(v1-v0) / float64(real.Milliseconds())
			// The two readings are taken inside the real interval: the
			// ratio is at most the speed (plus rounding) and near it.
			if got > tt.speed*1.1 || got < tt.speed*0.7 {
				t.Fatalf("virtual %d ms over real %v: speed %.2f, want %v", v1-v0, real, got, tt.speed)
			}
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSynthSpeedRefusesBadValues(t *testing.T) {
	requireExchange(t, "binance_spot")
	for _, speed := range []string{"0", "-3", "fast", "max"} {
		_, _, err := run(t, "synth", "binance_spot", "--listen", "127.0.0.1:0", "--speed", speed)
		if err == nil || !strings.Contains(err.Error(), "--speed") {
			t.Errorf("--speed %s: err %v, want one naming --speed", speed, err)
		}
	}
}
