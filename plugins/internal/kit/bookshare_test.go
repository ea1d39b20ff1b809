package kit_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// countingBooks counts Diffs calls and can fail them.
type countingBooks struct {
	cc.Books
	calls atomic.Int64
	fail  atomic.Bool
}

func (c *countingBooks) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return nil, errors.New("books down")
	}
	return c.Books.Diffs(ctx, symbol, from, to, step, depth)
}

// Many streams asking for the same steps at once, in windows of one or
// several steps, windows of part of a step, two symbols and depths, and
// streams on a beat of their own (steps ending 37 ms past the multiples),
// get what the Books itself answers, and the shared steps are computed
// far fewer times than they are asked for.
func TestDiffShareAnswersAsTheBooks(t *testing.T) {
	f := fakeBooks()
	books := &countingBooks{Books: f}
	var share kit.DiffShare
	ctx := context.Background()
	const step = 100_000
	base := time.Date(2026, 2, 3, 4, 5, 0, 0, time.UTC).UnixMicro()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	asked := atomic.Int64{}
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			sym := []string{"X", "Y"}[g%2]
			depth := []int{0, 20}[g/2%2]
			at := base
			if g%4 == 0 {
				at += 37_000 // X at depth 0 on a beat of its own
			}
			for at < base+100*step {
				n := int64(1 + r.IntN(3))
				from, to := at, at+n*step
				if g%10 == 9 {
					to += 1234 // not whole steps: straight to the Books
				}
				got, err := share.Diffs(ctx, books, sym, from, to, step, depth)
				want, err2 := f.Diffs(ctx, sym, from, to, step, depth)
				asked.Add(1)
				if err != nil || err2 != nil || !reflect.DeepEqual(got, want) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s depth %d (%d, %d]: %d diffs, %v; Books: %d, %v", sym, depth, from, to, len(got), err, len(want), err2))
					mu.Unlock()
					return
				}
				at = to
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	// 4 series × 100 steps, each computed about once; the unaligned
	// windows (2 goroutines × ~50) always go through.
	if c := books.calls.Load(); c > asked.Load()/3 {
		t.Errorf("Books.Diffs called %d times for %d asks: not shared", c, asked.Load())
	}
}

// A failed computation is not shared: the next caller asks the Books
// again and gets its answer.
func TestDiffShareDoesNotKeepErrors(t *testing.T) {
	f := fakeBooks()
	books := &countingBooks{Books: f}
	var share kit.DiffShare
	ctx := context.Background()
	from := time.Date(2026, 2, 3, 4, 5, 0, 0, time.UTC).UnixMicro() / 100_000 * 100_000
	books.fail.Store(true)
	if _, err := share.Diffs(ctx, books, "X", from, from+200_000, 100_000, 0); err == nil {
		t.Fatal("no error from failing books")
	}
	books.fail.Store(false)
	got, err := share.Diffs(ctx, books, "X", from, from+200_000, 100_000, 0)
	want, _ := f.Diffs(ctx, "X", from, from+200_000, 100_000, 0)
	if err != nil || !reflect.DeepEqual(got, want) || len(want) == 0 {
		t.Fatalf("after a failure: %d diffs, %v; want %d", len(got), err, len(want))
	}
}

// mapBooks is an uncomparable Books, as the union of a shared socket is.
type mapBooks map[string]cc.Books

func (m mapBooks) Book(ctx context.Context, symbol string, at int64, depth int) (cc.Book, error) {
	return m[symbol].Book(ctx, symbol, at, depth)
}

func (m mapBooks) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	return m[symbol].Diffs(ctx, symbol, from, to, step, depth)
}

// A map of books is shared like any other, without the panic == gives on
// an uncomparable value, and a second map is a different Books.
func TestDiffShareTakesAnUncomparableBooks(t *testing.T) {
	f := fakeBooks()
	a, b := mapBooks{"X": f}, mapBooks{"X": f}
	var share kit.DiffShare
	const step = 100_000
	from := time.Date(2026, 2, 3, 4, 5, 0, 0, time.UTC).UnixMicro()
	want, err := f.Diffs(context.Background(), "X", from, from+3*step, step, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, books := range []cc.Books{a, a, b} {
		got, err := share.Diffs(context.Background(), books, "X", from, from+3*step, step, 0)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v %+v, want %+v", err, got, want)
		}
	}
}

// A step prefetched after the one a stream asked for is answered from
// the share at its boundary, as the Books answers it, without asking the
// Books again; a prefetch that cannot complete leaves the step to its
// callers; one of a series nobody asked for does nothing.
func TestDiffSharePrefetch(t *testing.T) {
	f := fakeBooks()
	books := &countingBooks{Books: f}
	var share kit.DiffShare
	ctx := context.Background()
	const step = 100_000
	from := time.Date(2026, 2, 3, 4, 5, 0, 0, time.UTC).UnixMicro() / step * step
	share.Prefetch(ctx, books, "X", from, step, 0, 0)
	if c := books.calls.Load(); c != 0 {
		t.Fatalf("a prefetch of a series nobody asked for called the Books %d times", c)
	}
	if _, err := share.Diffs(ctx, books, "X", from, from+step, step, 0); err != nil {
		t.Fatal(err)
	}
	share.Prefetch(ctx, books, "X", from+step, step, 0, time.Millisecond)
	share.Prefetch(ctx, books, "X", from+step, step, 0, 0) // already there
	if c := books.calls.Load(); c != 2 {
		t.Fatalf("Books.Diffs called %d times for one step and one prefetch", c)
	}
	got, err := share.Diffs(ctx, books, "X", from+step, from+2*step, step, 0)
	want, _ := f.Diffs(ctx, "X", from+step, from+2*step, step, 0)
	if err != nil || !reflect.DeepEqual(got, want) || len(want) == 0 {
		t.Fatalf("prefetched step: %+v, %v; want %+v", got, err, want)
	}
	if c := books.calls.Load(); c != 2 {
		t.Fatalf("the prefetched step asked the Books again (%d calls)", c)
	}

	// Cancelled while it waits, or failing: the callers compute the step.
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(time.Millisecond); cancel() }()
	share.Prefetch(cctx, books, "X", from+2*step, step, 0, time.Minute)
	books.fail.Store(true)
	share.Prefetch(ctx, books, "X", from+3*step, step, 0, 0)
	books.fail.Store(false)
	got, err = share.Diffs(ctx, books, "X", from+2*step, from+4*step, step, 0)
	want, _ = f.Diffs(ctx, "X", from+2*step, from+4*step, step, 0)
	if err != nil || !reflect.DeepEqual(got, want) || len(want) == 0 {
		t.Fatalf("after failed prefetches: %+v, %v; want %+v", got, err, want)
	}
}
