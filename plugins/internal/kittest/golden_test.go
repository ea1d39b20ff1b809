package kittest_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kittest"
)

func TestShapeDiffNamesEachDifference(t *testing.T) {
	const want = `{"a":1,"b":"x","c":[{"d":true}],"e":null}`
	for _, tc := range []struct {
		name, got string
		extra     bool
		diffs     []string
	}{
		{"the same shape passes", `{"a":2,"b":"y","c":[{"d":false},{"d":true}],"e":null}`, false, nil},
		{"a missing key is named", `{"b":"y","c":[],"e":null}`, false, []string{"$.a: missing"}},
		{"a value of another type is named", `{"a":"2","b":"y","c":[{"d":1}],"e":null}`, false, []string{"$.a: want float64, got string", "$.c[0].d: want bool, got float64"}},
		{"an extra key fails unless allowed", `{"a":2,"b":"y","c":[],"e":null,"f":0}`, false, []string{"$.f: unexpected key"}},
		{"an allowed extra key passes", `{"a":2,"b":"y","c":[],"e":null,"f":0}`, true, nil},
		{"null where a value is due fails", `{"a":2,"b":"y","c":[],"e":3}`, false, []string{"$.e: want null, got float64"}},
		{"an object where an array is due fails", `{"a":2,"b":"y","c":{},"e":null}`, false, []string{"$.c: want array, got map[string]interface {}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w, g any
			if err := json.Unmarshal([]byte(want), &w); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.got), &g); err != nil {
				t.Fatal(err)
			}
			if d := kittest.ShapeDiff(w, g, "$", tc.extra); !slices.Equal(d, tc.diffs) {
				t.Errorf("got %q, want %q", d, tc.diffs)
			}
		})
	}
}

func TestManualNowMovesOnlyWhenTold(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := kittest.NewManualNow(at)
	if !m.Now().Equal(at) {
		t.Fatalf("reads %v", m.Now())
	}
	m.Add(90 * time.Second)
	if got := m.Now(); !got.Equal(at.Add(90 * time.Second)) {
		t.Errorf("after Add reads %v", got)
	}
	if c := kittest.Frozen(at); c.Now().UnixMilli() != at.UnixMilli() {
		t.Errorf("frozen clock reads %v", c.Now())
	}
}
