package kucoin

import (
	"context"
	"math/rand/v2"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
)

// prefix counts each step's messages in (lo, hi] once: brute(at) is
// then the sequence at at counted straight from the anchor a (whose
// sequence is s0).
func prefix(t *testing.T, books cc.Books, lo, hi int64) func(a, s0, at int64) int64 {
	t.Helper()
	ds, err := books.Diffs(context.Background(), "XBTUSDTM", lo, hi, seqStep, 0)
	if err != nil {
		t.Fatal(err)
	}
	cum := map[int64]int64{lo: 0} // messages in (lo, e]
	n := int64(0)
	for e := lo + seqStep; e <= hi; e += seqStep {
		for len(ds) > 0 && ds[0].Time <= e {
			n += messages(ds[0])
			ds = ds[1:]
		}
		cum[e] = n
	}
	return func(a, s0, at int64) int64 {
		ca, okA := cum[a]
		ct, okT := cum[at]
		if !okA || !okT {
			t.Fatalf("%d or %d outside (%d, %d]", a, at, lo, hi)
		}
		return s0 + ct - ca
	}
}

// The counter answers every instant as counting from its anchor does,
// whichever way it got there (forward, back, from a checkpoint, from the
// recent steps), in any order of questions, while a stream runs; Steps
// numbers the steps as At does; a stretch nobody asked about is
// skipped, upward, when no stream runs, and counted when one does.
func TestSeqCounterCountsFromItsAnchor(t *testing.T) {
	ctx := context.Background()
	f := &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.5"), SizeScale: 3, Levels: 60}
	const a = int64(1_709_294_400_000_000)
	c := &seqCounter{sym: "XBTUSDTM"}
	s0, err := c.At(ctx, f, a)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := f.Book(ctx, "XBTUSDTM", a, 1); s0 != b.Seq {
		t.Fatalf("anchor sequence %d, the market's id %d", s0, b.Seq)
	}
	brute := prefix(t, f, a-1000*seqStep, a+3000*seqStep)
	c.Streaming(1) // count everything, however far
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		at := a + (r.Int64N(4000)-1000)*seqStep
		got, err := c.At(ctx, f, at+r.Int64N(seqStep)) // any instant of the step
		if err != nil {
			t.Fatal(err)
		}
		if want := brute(a, s0, at); got != want {
			t.Fatalf("At(%d): %d, counted %d", at, got, want)
		}
	}
	for range 20 {
		from := a + (r.Int64N(3000)-900)*seqStep
		to := from + r.Int64N(300)*seqStep
		steps, err := c.Steps(ctx, f, from, to)
		if err != nil {
			t.Fatal(err)
		}
		prev := brute(a, s0, from)
		for _, st := range steps {
			if st.end <= from || st.end > to || st.n <= 0 || st.seq-st.n != prev || st.seq != brute(a, s0, st.end) {
				t.Fatalf("step at %d: %d messages to %d, after %d", st.end, st.n, st.seq, prev)
			}
			prev = st.seq
		}
		if prev != brute(a, s0, to) {
			t.Fatalf("steps (%d, %d] end at %d", from, to, prev)
		}
	}
	// A REST book far ahead of a running stream is the stream's newest.
	if at, seq, err := c.Snapshot(ctx, f, c.hi+2*seqGap*seqStep); err != nil || at != c.hi || seq != c.hiSeq {
		t.Fatalf("a snapshot far ahead of the stream: at %d seq %d (%v), the counter at %d seq %d", at, seq, err, c.hi, c.hiSeq)
	}
	next := c.hi + seqStep
	if at, _, _ := c.Snapshot(ctx, f, next); at != next {
		t.Fatalf("a snapshot a step ahead of the stream: at %d, not %d", at, next)
	}
	// Two steps ahead, the stream is behind: the snapshot is its newest.
	if at, seq, _ := c.Snapshot(ctx, f, c.hi+2*seqStep); at != c.hi || seq != c.hiSeq {
		t.Fatalf("a snapshot two steps ahead of the stream: at %d seq %d, the counter at %d seq %d", at, seq, c.hi, c.hiSeq)
	}
	// Ten minutes later, nobody having asked: skipped, upward.
	c.Streaming(-1)
	hi := c.hi
	before, _ := c.At(ctx, f, hi)
	far := hi + 6000*seqStep
	got, _ := c.At(ctx, f, far)
	if got != before+6000*seqJump {
		t.Fatalf("a skipped stretch: %d after %d", got, before)
	}
	// With a stream running, counted.
	c.Streaming(1)
	defer c.Streaming(-1)
	farther := far + 1500*seqStep
	got, _ = c.At(ctx, f, farther)
	if want := prefix(t, f, far, farther)(far, before+6000*seqJump, farther); got != want {
		t.Fatalf("counted while streaming: %d, want %d", got, want)
	}
}

// recordedFake is a Fake whose books are those of a recording from from
// on (cc.RecordedBooks), its diffs timed inside their steps, at the last
// change, as a recording's are (not at the step's end).
type recordedFake struct {
	*booktest.Fake
	from int64
}

func (r recordedFake) RecordedFrom(context.Context, string) (int64, bool) { return r.from, true }

func (r recordedFake) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	ds, err := r.Fake.Diffs(ctx, symbol, from, to, step, depth)
	for i := range ds {
		ds[i].Time -= step / 3
	}
	return ds, err
}

// Books replaying a recording anchor the count at the recording's first
// grid instant, however early the first question (within seqGap steps):
// the recording keeps its ids there (KuCoin's, message numbers, as the
// count's), and the instants before it are counted back from them. A
// count anchored at the question, before the recording, reached it
// thousands of messages off its ids (the way in from the synthetic
// books), and a recorded REST snapshot, replayed verbatim, did not chain
// with the stream. Further back than seqGap, the anchor is the question.
func TestSeqCounterAnchorsAtTheRecording(t *testing.T) {
	ctx := context.Background()
	f := &booktest.Fake{Mid: cc.MustDecimal("50000.0"), Tick: cc.MustDecimal("0.5"), SizeScale: 3, Levels: 60}
	from := int64(1_709_294_400_000_000) + 37_000 // between two grid instants
	rec := recordedFake{f, from}
	anchor := floorStep(from + seqStep - 1)
	early := anchor - 40*seqStep
	c := &seqCounter{sym: "XBTUSDTM"}
	got, err := c.At(ctx, rec, early)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.Book(ctx, "XBTUSDTM", anchor, 1)
	brute := prefix(t, rec, early-10*seqStep, anchor+100*seqStep)
	if want := brute(anchor, b.Seq, early); got != want {
		t.Fatalf("At(%d) before the recording: %d, counted back from its ids %d", early, got, want)
	}
	for _, at := range []int64{anchor, anchor + 37*seqStep} {
		if got, _ := c.At(ctx, rec, at); got != brute(anchor, b.Seq, at) {
			t.Fatalf("At(%d): %d, the recording's ids from %d give %d", at, got, b.Seq, brute(anchor, b.Seq, at))
		}
	}
	if got, _ := c.At(ctx, rec, anchor); got != b.Seq {
		t.Fatalf("At the recording's first grid instant: %d, its id %d", got, b.Seq)
	}
	far := anchor - (seqGap+10)*seqStep
	c2 := &seqCounter{sym: "XBTUSDTM"}
	if got, _ := c2.At(ctx, rec, far); got != mustSeq(t, f, far) {
		t.Fatalf("At(%d), over seqGap before the recording: %d, the market's id there %d", far, got, mustSeq(t, f, far))
	}
}

func mustSeq(t *testing.T, books cc.Books, at int64) int64 {
	t.Helper()
	b, err := books.Book(context.Background(), "XBTUSDTM", at, 1)
	if err != nil {
		t.Fatal(err)
	}
	return b.Seq
}
