package netsim

import (
	"testing"
	"time"
)

func TestTheLatenessCorrectionIsBounded(t *testing.T) {
	var l lateness
	if e := l.early(time.Second); e != 0 {
		t.Fatalf("nothing learnt, yet %v early", e)
	}
	// Timers an hour late: the estimate climbs but stays at maxEarly.
	for range 100 {
		l.learn(time.Hour)
	}
	if e := l.early(time.Second); e != maxEarly {
		t.Fatalf("after very late timers: %v early, want the bound %v", e, maxEarly)
	}
	// Never earlier than the wait itself.
	if e := l.early(3 * time.Millisecond); e != 3*time.Millisecond {
		t.Fatalf("a 3ms wait set %v early", e)
	}
	// Timers early: the estimate falls, never below zero.
	for range 100 {
		l.learn(-time.Hour)
	}
	if e := l.early(time.Second); e != 0 {
		t.Fatalf("after early timers: %v early, want 0", e)
	}
	// One step moves an eighth of the error.
	l.learn(8 * time.Millisecond)
	if e := l.early(time.Second); e != time.Millisecond {
		t.Fatalf("one 8ms-late timer: %v early, want 1ms", e)
	}
}
