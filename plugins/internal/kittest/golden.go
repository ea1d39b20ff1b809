package kittest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Golden returns the bytes of testdata/name in the test's package.
func Golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// GoldenJSON decodes testdata/name (numbers as float64).
func GoldenJSON(t testing.TB, name string) any {
	t.Helper()
	b := Golden(t, name)
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// ShapeDiff reports where got differs in shape from want: a key of want
// missing in got, or a value of another JSON type. Extra keys in got are
// allowed only if extra is true. Arrays are compared element by element
// against want's first element. path names the root in the report ("$").
func ShapeDiff(want, got any, path string, extra bool) []string {
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %T", path, got)}
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffs = append(diffs, ShapeDiff(wv, gv, path+"."+k, extra)...)
		}
		if !extra {
			for k := range g {
				if _, ok := w[k]; !ok {
					diffs = append(diffs, fmt.Sprintf("%s.%s: unexpected key", path, k))
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want array, got %T", path, got)}
		}
		if len(w) > 0 {
			for i, gv := range g {
				diffs = append(diffs, ShapeDiff(w[0], gv, fmt.Sprintf("%s[%d]", path, i), extra)...)
			}
		}
	case nil:
		if got != nil {
			diffs = append(diffs, fmt.Sprintf("%s: want null, got %T", path, got))
		}
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			diffs = append(diffs, fmt.Sprintf("%s: want %T, got %T", path, want, got))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// CheckShape fails the test where body's shape differs from the golden
// file testdata/goldenName, as ShapeDiff judges it.
func CheckShape(t testing.TB, goldenName string, body []byte, extra bool) {
	t.Helper()
	var got any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if d := ShapeDiff(GoldenJSON(t, goldenName), got, "$", extra); len(d) > 0 {
		t.Errorf("shape differs from %s:\n%s\nbody: %s", goldenName, strings.Join(d, "\n"), body)
	}
}

// GoldenShape is the Shape of testdata/name.
func GoldenShape(t testing.TB, name string) string {
	t.Helper()
	return ShapeOf(t, Golden(t, name))
}
