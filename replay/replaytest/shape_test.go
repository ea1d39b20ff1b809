package replaytest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestShapeDiffNamesEachDifference(t *testing.T) {
	const want = `{"a":1,"b":"x","c":[{"d":true}],"e":null,"row":["1",2]}`
	for _, tc := range []struct {
		name, got string
		keys      replaytest.Keys
		diffs     []string
	}{
		{"the same shape passes", `{"a":2,"b":"y","c":[{"d":false},{"d":true}],"e":null,"row":["3",4]}`, replaytest.KeysInOrder, nil},
		{"a list may have any length", `{"a":2,"b":"y","c":[],"e":null,"row":["3",4]}`, replaytest.KeysInOrder, nil},
		{"every element of a list is checked", `{"a":2,"b":"y","c":[{"d":true},{"d":1}],"e":null,"row":["3",4]}`, replaytest.KeysInOrder, []string{"$.c[1].d: want bool, got number"}},
		{"a missing key is named", `{"b":"y","c":[],"e":null,"row":["3",4]}`, replaytest.KeysAnyOrder, []string{"$.a: missing"}},
		{"a value of another kind is named", `{"a":"2","b":"y","c":[{"d":1}],"e":null,"row":["3",4]}`, replaytest.KeysInOrder, []string{"$.a: want number, got string", "$.c[0].d: want bool, got number"}},
		{"an extra key fails", `{"a":2,"b":"y","c":[],"e":null,"row":["3",4],"f":0}`, replaytest.KeysAnyOrder, []string{"$.f: unexpected key"}},
		{"an extra key passes when allowed", `{"a":2,"b":"y","c":[],"e":null,"f":0,"row":["3",4]}`, replaytest.KeysAtLeast, nil},
		{"null where a value is due fails", `{"a":2,"b":"y","c":[],"e":3,"row":["3",4]}`, replaytest.KeysInOrder, []string{"$.e: want null, got number"}},
		{"an object where an array is due fails", `{"a":2,"b":"y","c":{},"e":null,"row":["3",4]}`, replaytest.KeysInOrder, []string{"$.c: want array, got object"}},
		{"another key order fails in order", `{"b":"y","a":2,"c":[],"e":null,"row":["3",4]}`, replaytest.KeysInOrder, []string{"$: keys in order [a b c e row], got [b a c e row]"}},
		{"another key order passes in any order", `{"b":"y","a":2,"c":[],"e":null,"row":["3",4]}`, replaytest.KeysAnyOrder, nil},
		{"a row is checked column by column", `{"a":2,"b":"y","c":[],"e":null,"row":[3,"4"]}`, replaytest.KeysInOrder, []string{"$.row[0]: want string, got number", "$.row[1]: want number, got string"}},
		{"a row with a column missing fails", `{"a":2,"b":"y","c":[],"e":null,"row":["3"]}`, replaytest.KeysAtLeast, []string{"$.row: want 2 elements, got 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := replaytest.ShapeDiff([]byte(want), []byte(tc.got), tc.keys)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d, tc.diffs) {
				t.Errorf("got %q, want %q", d, tc.diffs)
			}
		})
	}
}

func TestShapeDiffTellsListsFromTuples(t *testing.T) {
	// A documented array of objects of different shapes is a tuple
	// (Hyperliquid's [meta, contexts]); one of a single shape is a list.
	const tuple = `[{"universe":[]},[{"funding":"0"}]]`
	if d, _ := replaytest.ShapeDiff([]byte(tuple), []byte(`[{"universe":[]},[{"funding":"1"},{"funding":"2"}]]`), replaytest.KeysInOrder); d != nil {
		t.Errorf("same tuple: %q", d)
	}
	if d, _ := replaytest.ShapeDiff([]byte(tuple), []byte(`[{"universe":[]}]`), replaytest.KeysInOrder); !slices.Equal(d, []string{"$: want 2 elements, got 1"}) {
		t.Errorf("short tuple: %q", d)
	}
	// One documented element is an example item: a list of any length.
	if d, _ := replaytest.ShapeDiff([]byte(`{"l":["x"]}`), []byte(`{"l":[]}`), replaytest.KeysInOrder); d != nil {
		t.Errorf("empty list: %q", d)
	}
	if d, _ := replaytest.ShapeDiff([]byte(`{"l":["x"]}`), []byte(`{"l":["y",1]}`), replaytest.KeysInOrder); !slices.Equal(d, []string{"$.l[1]: want string, got number"}) {
		t.Errorf("list with a number: %q", d)
	}
	if d, _ := replaytest.ShapeDiff([]byte(`[]`), []byte(`[1]`), replaytest.KeysAnyOrder); !slices.Equal(d, []string{"$: want 0 elements, got 1"}) {
		t.Errorf("documented empty array, got one element: %q", d)
	}
	if _, err := replaytest.ShapeDiff([]byte(`{}`), []byte(`{"a":1} x`), replaytest.KeysInOrder); err == nil {
		t.Error("trailing data accepted")
	}
}

func TestClockIsStoppedAtSpeedZeroAndRunsOtherwise(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stopped := replaytest.Clock(at, 0)
	time.Sleep(2 * time.Millisecond)
	if !stopped.Now().Equal(at) {
		t.Errorf("stopped clock reads %v", stopped.Now())
	}
	fast := replaytest.Clock(at, 1000)
	time.Sleep(5 * time.Millisecond)
	if got := fast.Now().Sub(at); got < 5*time.Second {
		t.Errorf("a clock at 1000× moved %v in 5ms", got)
	}
}

func TestManualNowMovesOnlyWhenTold(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := replaytest.NewManualNow(at)
	if !m.Now().Equal(at) {
		t.Fatalf("reads %v", m.Now())
	}
	m.Add(90 * time.Second)
	if got := m.Now(); !got.Equal(at.Add(90 * time.Second)) {
		t.Errorf("after Add reads %v", got)
	}
}
