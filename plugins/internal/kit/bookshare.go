package kit

import (
	"context"
	"reflect"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// DiffShare computes each step's book diff once for every stream of one
// symbol at one cadence and depth: at speed 1 the diff streams of all the
// connections on a symbol ask a Books for the same step at the same step
// boundary, and generating the book (thousands of levels a side) for each
// of them would cost a core long before a thousand clients. Diffs of
// windows of whole steps are answered per step from what an earlier
// caller on the same beat (the steps' ends modulo step) computed (callers
// arriving while it computes wait for it); other windows go to the Books
// as they are. The zero value is ready to use.
//
// The diffs handed out share their level slices with every other caller:
// they are read-only.
type DiffShare struct {
	mu     sync.Mutex
	books  cc.Books
	series map[shareKey]*shareSeries
}

// shareKeep is how many steps behind the newest a series keeps: enough
// for a stream that fell behind by seconds at 100 ms to catch up from the
// shared steps.
const shareKeep = 256

// shareMax bounds the steps of a window answered from shared steps; a
// longer one (a stream far behind) goes to the Books directly.
const shareMax = 64

type shareKey struct {
	symbol string
	step   int64
	phase  int64 // the steps' ends modulo step
	depth  int
}

func keyOf(symbol string, from, step int64, depth int) shareKey {
	return shareKey{symbol, step, (from%step + step) % step, depth}
}

type shareSeries struct {
	steps  map[int64]*shareStep // by the step's end (Unix µs)
	newest int64
}

// shareStep is one step's diff, valid once done is closed: changed
// reports whether the step moved the book (d is its diff); err is set
// when the computation failed (the step is then no longer shared).
type shareStep struct {
	done    chan struct{}
	changed bool
	d       cc.BookDiff
	err     error
}

// Diffs is books.Diffs(ctx, symbol, from, to, step, depth), shared with
// the other callers of the same steps.
func (s *DiffShare) Diffs(ctx context.Context, books cc.Books, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	if step <= 0 || (to-from)%step != 0 || to <= from || (to-from)/step > shareMax {
		return books.Diffs(ctx, symbol, from, to, step, depth)
	}
	s.mu.Lock()
	if !sameBooks(s.books, books) {
		s.books, s.series = books, nil
	}
	if s.series == nil {
		s.series = map[shareKey]*shareSeries{}
	}
	k := keyOf(symbol, from, step, depth)
	ser := s.series[k]
	if ser == nil {
		ser = &shareSeries{steps: map[int64]*shareStep{}}
		s.series[k] = ser
	}
	n := int((to - from) / step)
	got := make([]*shareStep, n)
	own := make([]bool, n) // the steps this call computes
	mine := 0
	for i := range n {
		e := from + int64(i+1)*step
		st := ser.steps[e]
		if st == nil {
			st = &shareStep{done: make(chan struct{})}
			ser.steps[e] = st
			own[i] = true
			mine++
		}
		got[i] = st
	}
	if to > ser.newest {
		ser.newest = to
		if len(ser.steps) > 2*shareKeep {
			for e := range ser.steps {
				if e <= ser.newest-shareKeep*step {
					delete(ser.steps, e)
				}
			}
		}
	}
	s.mu.Unlock()

	if mine > 0 {
		ds, err := books.Diffs(ctx, symbol, from, to, step, depth)
		s.fill(ser, got, own, ds, err, from, step)
		if err != nil {
			return nil, err
		}
		if mine == n {
			return ds, nil
		}
	}
	var out []cc.BookDiff
	for _, st := range got {
		select {
		case <-st.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if st.err != nil {
			// Whoever computed it failed (its connection went away,
			// say): compute the window here.
			return books.Diffs(ctx, symbol, from, to, step, depth)
		}
		if st.changed {
			out = append(out, st.d)
		}
	}
	return out, nil
}

// Prefetch computes the step (from, from+step] of the series ahead of
// its boundary, unless a caller already did or is doing it, so that the
// streams asking for it there find it done instead of waiting for its
// generation (Books are deterministic): a stream that has just sent the
// step ending at from calls it for the next. The first caller claims the
// step, waits for after (real time: half a step, say, so that the
// computation does not compete with the writes of the step just sent),
// computes it and returns; the others return at once. A failure (ctx
// done while it waits, say) leaves no trace: the callers of the step
// compute it then. Windows Diffs does not share are ignored.
func (s *DiffShare) Prefetch(ctx context.Context, books cc.Books, symbol string, from, step int64, depth int, after time.Duration) {
	if step <= 0 {
		return
	}
	e := from + step
	s.mu.Lock()
	if !sameBooks(s.books, books) || s.series == nil {
		s.mu.Unlock()
		return
	}
	ser := s.series[keyOf(symbol, from, step, depth)]
	if ser == nil || ser.steps[e] != nil || from < ser.newest-shareKeep*step {
		s.mu.Unlock()
		return
	}
	st := &shareStep{done: make(chan struct{})}
	ser.steps[e] = st
	s.mu.Unlock()
	var ds []cc.BookDiff
	err := ctx.Err()
	if after > 0 && err == nil {
		t := time.NewTimer(after)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			err = ctx.Err()
		}
	}
	if err == nil {
		ds, err = books.Diffs(ctx, symbol, from, e, step, depth)
	}
	s.fill(ser, []*shareStep{st}, []bool{true}, ds, err, from, step)
}

// sameBooks reports whether a and b are the same Books, without the
// panic == gives on an uncomparable one (a map of books per symbol: the
// union of a shared socket).
func sameBooks(a, b cc.Books) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb {
		return false
	}
	if !ta.Comparable() {
		switch ta.Kind() {
		case reflect.Map, reflect.Slice, reflect.Func:
			return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
		}
		return false // not shared: each call starts afresh
	}
	return a == b
}

// fill completes the steps of got this call created (own) from ds, the diffs of (from, from+len(got)*step], or with err, in
// which case they leave the series so that a later caller computes them.
func (s *DiffShare) fill(ser *shareSeries, got []*shareStep, own []bool, ds []cc.BookDiff, err error, from, step int64) {
	var failed []int64
	var failedSteps []*shareStep
	j := 0
	for i, st := range got {
		if !own[i] {
			continue
		}
		e := from + int64(i+1)*step
		if err != nil {
			st.err = err
			failed = append(failed, e)
			failedSteps = append(failedSteps, st)
		} else {
			// Diffs' steps end at from + k·step: a diff belongs to the
			// step whose end is the first of those at or after its time.
			for j < len(ds) && ds[j].Time < e-step+1 {
				j++
			}
			if j < len(ds) && ds[j].Time <= e {
				st.changed, st.d = true, ds[j]
			}
		}
	}
	if len(failed) > 0 {
		s.mu.Lock()
		for i, e := range failed {
			if ser.steps[e] == failedSteps[i] {
				delete(ser.steps, e)
			}
		}
		s.mu.Unlock()
	}
	for i, st := range got {
		if own[i] {
			close(st.done)
		}
	}
}
