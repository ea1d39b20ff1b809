package netsim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
)

func newProtoSim(t *testing.T, seed uint64, cfg netsim.Config, opts ...func(*netsim.Options)) *netsim.Sim {
	t.Helper()
	o := netsim.Options{Seed: seed, Config: cfg}
	for _, f := range opts {
		f(&o)
	}
	sim, err := netsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func parse(t *testing.T, js string) netsim.Config {
	t.Helper()
	c, err := netsim.ParseConfig([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return c
}

// diffs asks link for the faults of n book diffs and spells each as a
// letter: g(ap), d(uplicate), r(eorder), c(orrupt), or '.'.
func diffs(link *netsim.Link, n int) string {
	var b strings.Builder
	for range n {
		gap, dup, re, cor := link.BookDiff(true, true)
		switch {
		case gap:
			b.WriteByte('g')
		case dup && !re && !cor:
			b.WriteByte('d')
		case re && !dup && !cor:
			b.WriteByte('r')
		case cor && !dup && !re:
			b.WriteByte('c')
		case dup || re || cor:
			b.WriteByte('+')
		default:
			b.WriteByte('.')
		}
	}
	return b.String()
}

func TestEveryNFiresOnEachNthDiffOfEachConnection(t *testing.T) {
	sim := newProtoSim(t, 1, parse(t, `{"book_gap":{"every":3},"book_duplicate":{"every":5}}`))
	a, b := sim.Link("/ws"), sim.Link("/ws")
	// The 15th diff is due both: the gap wins.
	if got := diffs(a, 15); got != "..g.dg..gd.g..g" {
		t.Errorf("first connection: %s, want ..g.dg..gd.g..g", got)
	}
	if got := diffs(b, 3); got != "..g" {
		t.Errorf("second connection counts its own diffs: %s", got)
	}
	p := sim.Stats().Protocol
	if p[netsim.FaultBookGap]["default"] != 6 || p[netsim.FaultBookDuplicate]["default"] != 2 {
		t.Errorf("counts %v: want 6 gaps and 2 duplicates", p)
	}
}

func TestAGapExcludesTheOtherFaultsOfItsDiff(t *testing.T) {
	sim := newProtoSim(t, 1, parse(t, `{"book_gap":{"every":2},"book_duplicate":{"every":2},"book_corrupt":{"every":2}}`))
	link := sim.Link("/ws")
	if got := diffs(link, 4); got != ".g.g" {
		t.Errorf("faults %s, want .g.g", got)
	}
	if tot := sim.Stats().ProtocolTotals(); tot[netsim.FaultBookDuplicate] != 0 || tot[netsim.FaultBookCorrupt] != 0 || tot[netsim.FaultBookGap] != 2 {
		t.Errorf("totals %v: only the gaps count", tot)
	}
}

func TestFaultsThatCannotApplyAreNeitherDrawnNorCounted(t *testing.T) {
	sim := newProtoSim(t, 1, parse(t, `{"book_corrupt":1,"book_reorder":1}`))
	link := sim.Link("/ws")
	for range 5 {
		if _, _, re, cor := link.BookDiff(false, false); re || cor {
			t.Fatal("a diff without a checksum was corrupted, or one reordered while another is held")
		}
	}
	if _, _, re, cor := link.BookDiff(true, true); !re || !cor {
		t.Fatal("rate 1 did not fire where it applies")
	}
	if tot := sim.Stats().ProtocolTotals(); tot[netsim.FaultBookCorrupt] != 1 || tot[netsim.FaultBookReorder] != 1 {
		t.Errorf("totals %v", tot)
	}
}

func TestTheSameSeedGivesTheSameProtocolFaultsAtTheSameDiffs(t *testing.T) {
	cfg := `{"book_gap":0.1,"book_duplicate":0.1,"book_reorder":0.1,"book_corrupt":0.1,"loss":0.2}`
	run := func(seed uint64) string {
		sim := newProtoSim(t, seed, parse(t, cfg))
		link := sim.Link("/ws")
		var b strings.Builder
		for range 300 {
			// Interleave the network's own draws: the protocol faults
			// have a stream of their own.
			link.Schedule(10, time.Now())
			b.WriteString(diffs(link, 1))
		}
		return b.String()
	}
	a, b, other := run(7), run(7), run(8)
	if a != b {
		t.Fatalf("seed 7 gave two sequences:\n%s\n%s", a, b)
	}
	if a == other {
		t.Fatal("seeds 7 and 8 gave the same sequence")
	}
	for _, f := range "gdrc" {
		if n := strings.Count(a, string(f)); n < 10 || n > 60 {
			t.Errorf("%c fired %d times in 300 diffs at rate 0.1: %s", f, n, a)
		}
	}
}

func TestResetRestartsTheProtocolFaultSequence(t *testing.T) {
	sim := newProtoSim(t, 3, parse(t, `{"book_gap":0.3}`))
	first := diffs(sim.Link("/ws"), 50)
	sim.Reset()
	if got := sim.Stats().ProtocolTotals()[netsim.FaultBookGap]; got != 0 {
		t.Errorf("reset left %d gaps counted", got)
	}
	if again := diffs(sim.Link("/ws"), 50); again != first {
		t.Errorf("after reset:\n%s\nwant\n%s", again, first)
	}
}

func TestProtocolFaultsApplyPerRouteAndAreCountedByRoute(t *testing.T) {
	sim := newProtoSim(t, 1, parse(t, `{"routes":[{"prefix":"/ws/","book_gap":{"every":1}},{"path":"/stream","error_rate":0}]}`))
	if got := diffs(sim.Link("/ws/btcusdt@depth"), 3); got != "ggg" {
		t.Errorf("on the route: %s", got)
	}
	if got := diffs(sim.Link("/stream"), 3); got != "..." {
		t.Errorf("off the route (a route naming no protocol fault keeps the defaults): %s", got)
	}
	if got := sim.Stats().Protocol[netsim.FaultBookGap]; len(got) != 1 || got["/ws/*"] != 3 {
		t.Errorf("gaps by route %v, want /ws/*: 3", got)
	}
}

func TestAtFiresOnceAfterItsMomentAndAgainEveryRepeat(t *testing.T) {
	sim := newProtoSim(t, 1, netsim.Config{})
	link := sim.Link("/ws")
	if err := sim.SetConfig(parse(t, `{"resync":{"at":"40ms"}}`)); err != nil {
		t.Fatal(err)
	}
	if link.Resync() {
		t.Fatal("fired before its moment")
	}
	time.Sleep(50 * time.Millisecond)
	if !link.Resync() {
		t.Fatal("did not fire after its moment")
	}
	if link.Resync() || link.Resync() {
		t.Fatal("fired twice for one moment")
	}
	if late := sim.Link("/ws"); late.Resync() {
		t.Fatal("a connection opened after the moment met it")
	}
	if err := sim.SetConfig(parse(t, `{"resync":{"at":"0s","repeat":"40ms"}}`)); err != nil {
		t.Fatal(err)
	}
	if !link.Resync() {
		t.Fatal("at 0s: did not fire at once")
	}
	time.Sleep(50 * time.Millisecond)
	if !link.Resync() || link.Resync() {
		t.Fatal("repeat: want one firing per period")
	}
	if got := sim.Stats().ProtocolTotals()[netsim.FaultResync]; got != 3 {
		t.Errorf("resyncs counted %d, want 3", got)
	}
}

func TestStaleSnapshotsAreOlderByTheAgeWhenTheyFire(t *testing.T) {
	var told []string
	sim := newProtoSim(t, 1, parse(t, `{"stale_snapshot":{"age":"5s","every":2}}`), func(o *netsim.Options) {
		o.Fault = func(_ *http.Request, kind string) { told = append(told, kind) }
	})
	r := httptest.NewRequest("GET", "/api/v3/depth?symbol=BTCUSDT", nil)
	var ages []time.Duration
	for range 4 {
		ages = append(ages, sim.SnapshotAge(r))
	}
	if want := []time.Duration{0, 5 * time.Second, 0, 5 * time.Second}; !slicesEqual(ages, want) {
		t.Errorf("ages %v, want %v", ages, want)
	}
	if len(told) != 2 || told[0] != netsim.FaultStaleSnapshot {
		t.Errorf("Options.Fault told %v", told)
	}
	if got := sim.Stats().Protocol[netsim.FaultStaleSnapshot]["default"]; got != 2 {
		t.Errorf("counted %d", got)
	}
	// An age alone makes every snapshot stale.
	sim.SetConfig(parse(t, `{"stale_snapshot":"2s"}`))
	if a, b := sim.SnapshotAge(r), sim.SnapshotAge(r); a != 2*time.Second || b != a {
		t.Errorf("age-only: %v %v", a, b)
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClockSkewIsReadAsSetEitherWay(t *testing.T) {
	sim := newProtoSim(t, 1, parse(t, `{"clock_skew":"5s"}`))
	if got := sim.ClockSkew(); got != 5*time.Second {
		t.Errorf("skew %v", got)
	}
	c := sim.Config()
	if err := netsim.Patch(&c, []byte(`{"clock_skew":"-1.5s"}`)); err != nil {
		t.Fatal(err)
	}
	sim.SetConfig(c)
	if got := sim.ClockSkew(); got != -1500*time.Millisecond {
		t.Errorf("skew %v", got)
	}
}

func TestProtocolFaultSettingsParseInEveryForm(t *testing.T) {
	c := parse(t, `{"book_gap":0.01,"book_duplicate":{"every":100},"book_reorder":{"at":"30s","repeat":"1m"},
		"book_corrupt":{"rate":0.5},"stale_snapshot":"3s","resync":{"at":"2026-12-06T12:00:00Z"},"clock_skew":"-2s"}`)
	if c.BookGap.Rate != 0.01 || c.BookDuplicate.Every != 100 || c.BookReorder.At.Offset != 30*time.Second ||
		c.BookReorder.Repeat != netsim.Duration(time.Minute) || c.BookCorrupt.Rate != 0.5 ||
		c.StaleSnapshot.Age != netsim.Duration(3*time.Second) || c.Resync.At.Time.IsZero() || c.ClockSkew != netsim.Duration(-2*time.Second) {
		t.Errorf("parsed %+v", c)
	}
	// What GET /__admin/conditions writes reads back the same.
	b, _ := json.Marshal(c)
	if again := parse(t, string(b)); !jsonEqual(t, again, c) {
		t.Errorf("round trip: %s", b)
	}
	// The flag forms.
	for _, tc := range []struct {
		text string
		want netsim.Trigger
	}{
		{"0.25", netsim.Trigger{Rate: 0.25}},
		{"every:7", netsim.Trigger{Every: 7}},
		{"rate:0.5", netsim.Trigger{Rate: 0.5}},
	} {
		var tr netsim.Trigger
		if err := tr.UnmarshalText([]byte(tc.text)); err != nil || tr != tc.want {
			t.Errorf("%q: %+v %v", tc.text, tr, err)
		}
	}
	var tr netsim.Trigger
	if err := tr.UnmarshalText([]byte("at:30s,repeat:1m")); err != nil || tr.At.Offset != 30*time.Second || tr.Repeat != netsim.Duration(time.Minute) {
		t.Errorf("at form: %+v %v", tr, err)
	}
	var st netsim.Stale
	if err := st.UnmarshalText([]byte("age:5s,every:3")); err != nil || st.Age != netsim.Duration(5*time.Second) || st.Every != 3 {
		t.Errorf("stale form: %+v %v", st, err)
	}
	for _, bad := range []string{"often", "every:x", "at:yesterday", "when:1"} {
		if err := tr.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestBadProtocolFaultSettingsAreRefusedWithTheFieldNamed(t *testing.T) {
	for _, tc := range []struct{ js, says string }{
		{`{"book_gap":2}`, "book_gap: rate must be between 0 and 1"},
		{`{"book_duplicate":{"every":-1}}`, "book_duplicate: every must be a positive count"},
		{`{"book_reorder":{"every":3,"rate":0.1}}`, "book_reorder: set only one of rate, every and at"},
		{`{"book_corrupt":{"repeat":"1m"}}`, "book_corrupt: repeat needs an at"},
		{`{"resync":{"evry":3}}`, `unknown field "evry"`},
		{`{"resync":"often"}`, "a fault trigger is a rate"},
		{`{"resync":{"at":"-5s"}}`, "negative"},
		{`{"stale_snapshot":{"rate":0.5}}`, "stale_snapshot: age must be positive"},
		{`{"stale_snapshot":"-1s"}`, "stale_snapshot: age must be positive"},
		{`{"clock_skew":"48h"}`, "clock_skew must be within"},
		{`{"clock_skew":"-25h"}`, "clock_skew must be within"},
		{`{"routes":[{"path":"/ws","book_gap":1.5}]}`, "routes[0]: book_gap: rate must be between 0 and 1"},
	} {
		_, err := netsim.ParseConfig([]byte(tc.js))
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", tc.js, err, tc.says)
		}
	}
}

func TestWithoutProtocolFaultsNothingIsDrawnOrCounted(t *testing.T) {
	sim := newProtoSim(t, 1, parse(t, `{"loss":0.5}`))
	link := sim.Link("/ws")
	if got := diffs(link, 20); got != strings.Repeat(".", 20) || link.Resync() {
		t.Errorf("faults without settings: %s", got)
	}
	if p := sim.Stats().Protocol; len(p) != 0 {
		t.Errorf("counted %v", p)
	}
}
