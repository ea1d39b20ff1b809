package replaytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// Keys says how ShapeDiff compares the keys of JSON objects.
type Keys int

const (
	// KeysInOrder: the same keys in the same order (clients that parse a
	// stream, and golden files copied from a spec, notice the order).
	KeysInOrder Keys = iota
	// KeysAnyOrder: the same keys, in any order.
	KeysAnyOrder
	// KeysAtLeast: every key of the documented payload, in any order;
	// extra keys are allowed (an exchange that documents a subset). An
	// empty documented list then allows any list.
	KeysAtLeast
)

// node is a JSON value's shape: its kind, and for objects the keys in
// their order with their values, for arrays the elements.
type node struct {
	kind string // object, array, string, number, bool, null
	keys []string
	vals []*node
}

func parseShape(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("replaytest: trailing data after JSON value")
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &node{kind: "object"}
		if t == '[' {
			n.kind = "array"
		}
		for dec.More() {
			if n.kind == "object" {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			v, err := parseNode(dec)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		_, err := dec.Token() // closing delimiter
		return n, err
	case string:
		return &node{kind: "string"}, nil
	case json.Number:
		return &node{kind: "number"}, nil
	case bool:
		return &node{kind: "bool"}, nil
	case nil:
		return &node{kind: "null"}, nil
	}
	return nil, fmt.Errorf("replaytest: unexpected JSON token %v", tok)
}

// ShapeDiff is the JSON-shape comparer: it reports, one line per place,
// where got differs in shape from want (typically a payload copied from
// the exchange's documentation): an object's keys (as keys says), a
// value of another kind (string, number, bool, null, object, array), an
// array's elements. An array whose documented elements are all objects,
// or all arrays, of one shape, or that has a single element, is a list
// (a page of candles, of symbols, of currencies):
// every element of got must have that shape, however many there are. Any
// other array is a tuple (a candle row, a channel frame): got must have
// the same number of elements, each of the shape at its position.
// Lines are in document order; nil means the same shape.
func ShapeDiff(want, got []byte, keys Keys) ([]string, error) {
	w, err := parseShape(want)
	if err != nil {
		return nil, fmt.Errorf("replaytest: want: %w", err)
	}
	g, err := parseShape(got)
	if err != nil {
		return nil, fmt.Errorf("replaytest: got: %w (%.300s)", err, got)
	}
	var out []string
	diffShape(w, g, "$", keys, &out)
	return out, nil
}

func diffShape(w, g *node, path string, keys Keys, out *[]string) {
	if w.kind != g.kind {
		*out = append(*out, fmt.Sprintf("%s: want %s, got %s", path, w.kind, g.kind))
		return
	}
	switch w.kind {
	case "object":
		if keys == KeysInOrder && !slices.Equal(w.keys, g.keys) && sameSet(w.keys, g.keys) {
			*out = append(*out, fmt.Sprintf("%s: keys in order %v, got %v", path, w.keys, g.keys))
		}
		for i, k := range w.keys {
			j := slices.Index(g.keys, k)
			if j < 0 {
				*out = append(*out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffShape(w.vals[i], g.vals[j], path+"."+k, keys, out)
		}
		if keys != KeysAtLeast {
			for _, k := range g.keys {
				if !slices.Contains(w.keys, k) {
					*out = append(*out, fmt.Sprintf("%s.%s: unexpected key", path, k))
				}
			}
		}
	case "array":
		if isList(w, keys) {
			for i, gv := range g.vals {
				diffShape(w.vals[0], gv, fmt.Sprintf("%s[%d]", path, i), keys, out)
			}
			return
		}
		if len(w.vals) == 0 && keys == KeysAtLeast {
			return
		}
		if len(g.vals) != len(w.vals) {
			*out = append(*out, fmt.Sprintf("%s: want %d elements, got %d", path, len(w.vals), len(g.vals)))
			return
		}
		for i := range w.vals {
			diffShape(w.vals[i], g.vals[i], fmt.Sprintf("%s[%d]", path, i), keys, out)
		}
	}
}

// isList reports whether the documented array w is a list: one element
// (the documentation's example item), or objects, or arrays, all of one
// shape.
func isList(w *node, keys Keys) bool {
	if len(w.vals) == 1 {
		return true
	}
	if len(w.vals) == 0 || (w.vals[0].kind != "object" && w.vals[0].kind != "array") {
		return false
	}
	for _, v := range w.vals[1:] {
		var d []string
		if diffShape(w.vals[0], v, "", keys, &d); len(d) > 0 {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, k := range a {
		if !slices.Contains(b, k) {
			return false
		}
	}
	return true
}

// SameShape is ShapeDiff of got against the golden file testdata/golden
// of the test's package, as an error naming every difference.
func SameShape(golden string, got []byte, keys Keys) error {
	want, err := readGolden(golden)
	if err != nil {
		return err
	}
	d, err := ShapeDiff(want, got, keys)
	if err != nil {
		return fmt.Errorf("%s: %w", golden, err)
	}
	if len(d) > 0 {
		return fmt.Errorf("replaytest: shape differs from %s:\n%s\nbody: %.1000s", golden, strings.Join(d, "\n"), got)
	}
	return nil
}

// CheckShape fails the test (and goes on) where body's shape differs
// from the golden file testdata/golden's.
func CheckShape(t testing.TB, golden string, body []byte, keys Keys) {
	t.Helper()
	if err := SameShape(golden, body, keys); err != nil {
		t.Error(err)
	}
}

// ShapesMatch fetches base+path for every golden file → path of goldens
// and reports each payload whose shape differs from its golden file's.
func ShapesMatch(t testing.TB, base string, keys Keys, goldens map[string]string) {
	t.Helper()
	for golden, path := range goldens {
		_, body := Get(t, base, path)
		CheckShape(t, golden, body, keys)
	}
}

// SameValueShape is ShapeDiff of two decoded JSON values (encoding/json
// sorts their keys, so keys are compared in any order), as an error.
func SameValueShape(want, got any) error {
	w, err := json.Marshal(want)
	if err != nil {
		return err
	}
	g, err := json.Marshal(got)
	if err != nil {
		return err
	}
	d, err := ShapeDiff(w, g, KeysAnyOrder)
	if err != nil {
		return err
	}
	if len(d) > 0 {
		return fmt.Errorf("replaytest: shape differs:\n%s\ngot: %.1000s", strings.Join(d, "\n"), g)
	}
	return nil
}
