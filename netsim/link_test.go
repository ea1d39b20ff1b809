package netsim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
)

func newSim(t *testing.T, seed uint64, c netsim.Conditions) *netsim.Sim {
	t.Helper()
	sim, err := netsim.New(netsim.Options{Seed: seed, Config: netsim.Config{Conditions: c}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func TestALinkKeepsOrderUnderJitterWithoutAddingUpDelays(t *testing.T) {
	sim := newSim(t, 3, netsim.Conditions{Latency: ms(50 * time.Millisecond), Jitter: ms(45 * time.Millisecond)})
	link := sim.Link("/ws")
	t0 := time.Now()
	var dues []time.Time
	clamped := 0
	for i := range 200 {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		due, drop, abort := link.Schedule(10, at)
		if drop || abort {
			t.Fatalf("message %d dropped or aborted on a lossless link", i)
		}
		if d := due.Sub(at); d < 0 || d > 95*time.Millisecond+time.Duration(i)*time.Millisecond {
			t.Fatalf("message %d due %v after it was queued", i, d)
		}
		if i > 0 && due.Equal(dues[i-1]) {
			clamped++
		}
		dues = append(dues, due)
	}
	if !slices.IsSortedFunc(dues, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Fatal("a message is due before the one sent ahead of it")
	}
	// ±45 ms of jitter on messages 1 ms apart: many would overtake their
	// predecessor, and wait for it instead.
	if clamped < 20 {
		t.Errorf("only %d of 200 messages waited for an earlier one: is jitter drawn?", clamped)
	}
	// The last one, queued 199 ms in, is out within its own latency, not
	// 200 latencies.
	if end := dues[len(dues)-1].Sub(t0); end > 199*time.Millisecond+95*time.Millisecond {
		t.Errorf("the last message is due %v after the first was queued: delays added up", end)
	}
}

func TestALinkAddsUpBandwidthHolds(t *testing.T) {
	sim := newSim(t, 1, netsim.Conditions{Latency: ms(20 * time.Millisecond), Bandwidth: 1000})
	link := sim.Link("/ws")
	at := time.Now()
	for i := 1; i <= 3; i++ {
		due, _, _ := link.Schedule(100, at)
		// 100 bytes at 1000 B/s hold the link 100 ms each, after the 20 ms
		// latency they share.
		if want := 20*time.Millisecond + time.Duration(i)*100*time.Millisecond; due.Sub(at) != want {
			t.Fatalf("message %d due after %v, want %v", i, due.Sub(at), want)
		}
	}
	// A message queued after the link went idle starts afresh.
	later := at.Add(time.Second)
	if due, _, _ := link.Schedule(100, later); due.Sub(later) != 120*time.Millisecond {
		t.Errorf("after an idle second: due after %v, want 120ms", due.Sub(later))
	}
}

// fates draws n messages' fates on a fresh link: '.' delivered, 'd'
// dropped, 'a' aborted.
func fates(sim *netsim.Sim, n int) string {
	link := sim.Link("/ws")
	b := make([]byte, n)
	for i := range b {
		switch _, drop, abort := link.Schedule(10, time.Now()); {
		case drop:
			b[i] = 'd'
		case abort:
			b[i] = 'a'
		default:
			b[i] = '.'
		}
	}
	return string(b)
}

func TestALinksDropsAndAbortsArePerSeed(t *testing.T) {
	c := netsim.Conditions{Loss: 0.3, ErrorRate: 0.1}
	a := fates(newSim(t, 7, c), 100)
	if b := fates(newSim(t, 7, c), 100); a != b {
		t.Fatalf("seed 7 twice:\n%s\n%s", a, b)
	}
	if b := fates(newSim(t, 8, c), 100); a == b {
		t.Fatalf("seeds 7 and 8 drew the same faults: %s", a)
	}
	for _, f := range "da" {
		if !slices.Contains([]byte(a), byte(f)) {
			t.Fatalf("no %q in 100 messages at 30%% loss and 10%% errors: %s", f, a)
		}
	}
	// The sequence is the Sim's, not the link's: a second connection
	// continues it, and Reset starts it over.
	sim := newSim(t, 7, c)
	first, second := fates(sim, 50), fates(sim, 50)
	if first+second != a {
		t.Errorf("two links of one Sim drew %s%s, want the Sim's sequence %s", first, second, a)
	}
	sim.Reset()
	if again := fates(sim, 100); again != a {
		t.Errorf("after Reset: %s, want %s", again, a)
	}
	if st := sim.Stats(); st.WSMessages != 100 {
		t.Errorf("stats after Reset count %d messages, want 100", st.WSMessages)
	}
}

func TestALinkWaitsUntilDueAndNeverMuchEarlier(t *testing.T) {
	sim := newSim(t, 1, netsim.Conditions{Latency: ms(5 * time.Millisecond)})
	link := sim.Link("/ws")
	for i := range 40 {
		due, _, _ := link.Schedule(10, time.Now())
		if !link.Wait(context.Background(), due) {
			t.Fatal("Wait refused without a cancelled context")
		}
		// The timer is set early by the lateness learnt, at most 10 ms.
		if early := time.Until(due); early > 10*time.Millisecond {
			t.Fatalf("wait %d returned %v before its due time", i, early)
		}
	}
	// A due time already past returns at once, even with ctx over: the
	// message in hand still goes.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if !link.Wait(ctx, time.Now().Add(-time.Second)) {
		t.Error("Wait for a past due time reported false")
	}
}

func TestALinksWaitReturnsFalseWhenItsContextEnds(t *testing.T) {
	link := newSim(t, 1, netsim.Conditions{}).Link("/ws")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if link.Wait(ctx, start.Add(time.Hour)) {
		t.Fatal("Wait for an hour reported true")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("Wait returned %v after its context ended", el)
	}
	// The link's timer is reusable after a cancelled wait.
	if !link.Wait(context.Background(), time.Now().Add(5*time.Millisecond)) {
		t.Fatal("Wait after a cancelled one failed")
	}
}

// Immediate says whether a message scheduled now is due at once: on a
// perfect network (loss and errors drop or cut at once, they hold
// nothing), not with a latency, jitter or bandwidth cap by default or on
// a route, nor with a slowdown, nor while a message before is held.
func TestALinkIsImmediateOnlyWhenItHoldsNothing(t *testing.T) {
	lat := ms(30 * time.Millisecond)
	var bw int64 = 1000
	for _, tc := range []struct {
		name string
		cfg  netsim.Config
		want bool
	}{
		{"a perfect network", netsim.Config{}, true},
		{"loss and errors", netsim.Config{Conditions: netsim.Conditions{Loss: 0.5, ErrorRate: 0.1}}, true},
		{"a latency", netsim.Config{Conditions: netsim.Conditions{Latency: lat}}, false},
		{"a jitter", netsim.Config{Conditions: netsim.Conditions{Jitter: lat}}, false},
		{"a bandwidth cap", netsim.Config{Conditions: netsim.Conditions{Bandwidth: bw}}, false},
		{"a route's latency", netsim.Config{Routes: []netsim.Route{{Prefix: "/other", Latency: &lat}}}, false},
		{"a route's bandwidth cap", netsim.Config{Routes: []netsim.Route{{Path: "/ws", Bandwidth: &bw}}}, false},
		{"a slowdown", netsim.Config{Slowdowns: []netsim.Slowdown{{Duration: ms(time.Second), Every: ms(time.Hour), Latency: lat}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, 1, netsim.Conditions{})
			if err := sim.SetConfig(tc.cfg); err != nil {
				t.Fatal(err)
			}
			link := sim.Link("/ws")
			if got := link.Immediate(); got != tc.want {
				t.Fatalf("Immediate() = %v, want %v", got, tc.want)
			}
			if !tc.want {
				return
			}
			// What Immediate promised: due when queued, or dropped or cut.
			for i := range 50 {
				at := time.Now()
				if due, drop, abort := link.Schedule(100, at); !drop && !abort && due.After(at) {
					t.Fatalf("message %d due %v after it was queued on an immediate link", i, due.Sub(at))
				}
			}
		})
	}
	// A message held by a latency keeps the link from being immediate
	// after the latency is gone, until it is due.
	sim := newSim(t, 1, netsim.Conditions{Latency: ms(200 * time.Millisecond)})
	link := sim.Link("/ws")
	due, _, _ := link.Schedule(10, time.Now())
	sim.SetConfig(netsim.Config{})
	if time.Now().Before(due) && link.Immediate() {
		t.Fatal("immediate while a message is held")
	}
	time.Sleep(time.Until(due) + time.Millisecond)
	if !link.Immediate() {
		t.Fatal("not immediate once the held message was due")
	}
}
