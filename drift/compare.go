package drift

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Change kinds (Change.Kind).
const (
	KindExchangeAdded   = "exchange added"
	KindExchangeRemoved = "exchange removed"
	KindEndpointAdded   = "endpoint added"
	KindEndpointRemoved = "endpoint removed"
	KindStreamAdded     = "stream added"
	KindStreamRemoved   = "stream removed"
	KindStatus          = "status"
	KindContentType     = "content type"
	KindKeyAdded        = "key added"
	KindKeyRemoved      = "key removed"
	KindKeyRenamed      = "key renamed"
	KindType            = "type"
	KindNumberFormat    = "number format"
	KindArrayLength     = "array length"
	KindOrder           = "order"
	KindMessageAdded    = "message kind added"
	KindMessageRemoved  = "message kind removed"
	KindMessageRenamed  = "message kind renamed"
)

// compareNodes lists what differs between the schemas a (old) and b
// (new) at path, deepest last.
func compareNodes(a, b *Node, path string) []Change {
	var out []Change
	if d := compareKinds(a, b, path); d != nil {
		out = append(out, *d)
	}
	for _, k := range []string{kindNumStr, kindNumber} {
		fa, fb := a.fmtOf(k), b.fmtOf(k)
		if a.has(k) && b.has(k) && !compatible(fa, fb) {
			out = append(out, Change{Kind: KindNumberFormat, Path: path, Old: a.describe(k), New: b.describe(k)})
		}
	}
	if a.has(kindObject) && b.has(kindObject) {
		out = append(out, compareObjects(a, b, path)...)
	}
	if a.has(kindArray) && b.has(kindArray) {
		out = append(out, compareArrays(a, b, path)...)
	}
	return out
}

func (n *Node) fmtOf(kind string) *numFmt {
	if kind == kindNumStr {
		return &n.str
	}
	return &n.num
}

// describe spells a numeric kind with an example and its format:
// `"0.01000000" (string, 8 dp)`.
func (n *Node) describe(kind string) string {
	what := "number"
	if kind == kindNumStr {
		what = "string"
	}
	return fmt.Sprintf("%s (%s, %s)", n.ex[kind], what, n.fmtOf(kind))
}

// compareKinds reports a change of the kinds the values took. Numbers
// that became quoted (or bare) are a number format change.
func compareKinds(a, b *Node, path string) *Change {
	ka, kb := a.kindSet(), b.kindSet()
	if slices.Equal(ka, kb) {
		return nil
	}
	if a.idLike() && b.idLike() && slices.Equal(foldIDs(ka), foldIDs(kb)) {
		return nil // hex tokens, all digits on one side by chance
	}
	numA := a.has(kindNumStr) || a.has(kindNumber)
	numB := b.has(kindNumStr) || b.has(kindNumber)
	if numA && numB && slices.Equal(dropNumeric(ka), dropNumeric(kb)) {
		return &Change{Kind: KindNumberFormat, Path: path, Old: a.numericDescription(), New: b.numericDescription()}
	}
	return &Change{Kind: KindType, Path: path, Old: strings.Join(ka, "|"), New: strings.Join(kb, "|")}
}

// foldIDs counts numeric strings as strings.
func foldIDs(ks []string) []string {
	out := slices.Clone(ks)
	for i, k := range out {
		if k == kindNumStr {
			out[i] = kindString
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func dropNumeric(ks []string) []string {
	return slices.DeleteFunc(slices.Clone(ks), func(k string) bool { return k == kindNumStr || k == kindNumber })
}

func (n *Node) numericDescription() string {
	var parts []string
	for _, k := range []string{kindNumStr, kindNumber} {
		if n.has(k) {
			parts = append(parts, n.describe(k))
		}
	}
	return strings.Join(parts, " | ")
}

func compareObjects(a, b *Node, path string) []Change {
	var out []Change
	var removed, added []string
	for _, k := range sortedKeys(a.keys) {
		if _, ok := b.keys[k]; ok {
			out = append(out, compareNodes(a.keys[k], b.keys[k], path+member(k))...)
		} else {
			removed = append(removed, k)
		}
	}
	for _, k := range sortedKeys(b.keys) {
		if _, ok := a.keys[k]; !ok {
			added = append(added, k)
		}
	}
	// A key gone and a key new with the very same schema: a rename.
	for _, r := range removed {
		for i, ad := range added {
			if ad != "" && same(a.keys[r], b.keys[ad]) {
				out = append(out, Change{Kind: KindKeyRenamed, Path: path + member(r), Old: r, New: ad})
				added[i], r = "", ""
				break
			}
		}
		if r != "" {
			out = append(out, Change{Kind: KindKeyRemoved, Path: path + member(r), Old: a.keys[r].summary()})
		}
	}
	for _, ad := range added {
		if ad != "" {
			out = append(out, Change{Kind: KindKeyAdded, Path: path + member(ad), New: b.keys[ad].summary()})
		}
	}
	return out
}

func compareArrays(a, b *Node, path string) []Change {
	ta, tb := a.tuple(), b.tuple()
	if ta || tb {
		if len(a.pos) > 0 && len(b.pos) > 0 && len(a.pos) != len(b.pos) {
			return []Change{{Kind: KindArrayLength, Path: path, Old: strconv.Itoa(len(a.pos)), New: strconv.Itoa(len(b.pos))}}
		}
		if len(a.pos) == len(b.pos) {
			return comparePositions(a.pos, b.pos, path)
		}
		// One side's rows stopped having one length.
		return []Change{{Kind: KindArrayLength, Path: path, Old: a.lengths(), New: b.lengths()}}
	}
	var out []Change
	// A list of rows by time that ran one way and now runs the other
	// (klines newest first).
	if oa, ob := a.order(), b.order(); oa != orderNone && ob != orderNone && oa != ob {
		out = append(out, Change{Kind: KindOrder, Path: path, Old: "rows " + oa + " by [0]", New: "rows " + ob + " by [0]",
			Detail: "its rows run the other way by their first field, a time"})
	}
	return append(out, compareNodes(a.elem, b.elem, path+"[*]")...)
}

// comparePositions compares rows position by position. When the
// positions that differ are the same columns in another order (each
// matched by kind and number format), that is one order change.
func comparePositions(a, b []*Node, path string) []Change {
	diffs := make([][]Change, len(a))
	var bad []int
	for i := range a {
		diffs[i] = compareNodes(a[i], b[i], fmt.Sprintf("%s[%d]", path, i))
		if len(diffs[i]) > 0 {
			bad = append(bad, i)
		}
	}
	if len(bad) >= 2 && len(bad) <= 12 {
		if perm := permutation(a, b, bad); perm != nil {
			var moves []string
			for k, i := range bad {
				if perm[k] != i {
					moves = append(moves, fmt.Sprintf("[%d]→[%d]", i, perm[k]))
				}
			}
			return []Change{{Kind: KindOrder, Path: path, Old: signatures(a, bad), New: signatures(b, bad),
				Detail: "elements moved " + strings.Join(moves, ", ")}}
		}
	}
	var out []Change
	for _, i := range bad {
		out = append(out, diffs[i]...)
	}
	return out
}

// permutation finds where each old position of bad went among the new
// positions bad: perm[k] is the new position of old position bad[k]; nil
// if no one-to-one matching of same schemas exists.
func permutation(a, b []*Node, bad []int) []int {
	ok := make([][]bool, len(bad))
	for k, i := range bad {
		ok[k] = make([]bool, len(bad))
		for m, j := range bad {
			ok[k][m] = i != j && same(a[i], b[j])
		}
	}
	perm := make([]int, len(bad))
	used := make([]bool, len(bad))
	var try func(k int) bool
	try = func(k int) bool {
		if k == len(bad) {
			return true
		}
		for m := range bad {
			if !used[m] && ok[k][m] {
				used[m], perm[k] = true, bad[m]
				if try(k + 1) {
					return true
				}
				used[m] = false
			}
		}
		return false
	}
	if !try(0) {
		return nil
	}
	return perm
}

func signatures(ns []*Node, at []int) string {
	parts := make([]string, len(at))
	for k, i := range at {
		parts[k] = fmt.Sprintf("[%d] %s", i, ns[i].summary())
	}
	return strings.Join(parts, "; ")
}

// same reports whether two schemas show no change.
func same(a, b *Node) bool { return len(compareNodes(a, b, "")) == 0 }

// summary is a short description of a schema: its kinds, with the number
// format of numeric ones.
func (n *Node) summary() string {
	var parts []string
	for _, k := range n.kindSet() {
		switch k {
		case kindNumStr, kindNumber:
			parts = append(parts, n.describe(k))
		case kindArray:
			parts = append(parts, "array "+n.lengths())
		case kindObject:
			parts = append(parts, fmt.Sprintf("object of %d keys", len(n.keys)))
		default:
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, " | ")
}

func (n *Node) lengths() string {
	if n.minL == n.maxL {
		return fmt.Sprintf("of %d", n.minL)
	}
	return fmt.Sprintf("of %d..%d", n.minL, n.maxL)
}

// member is the path step to object member k: .k, or ["k"] when k is not
// a plain name.
func member(k string) string {
	for _, r := range k {
		if !(r == '_' || r == '-' || r == '{' || r == '}' || r == '#' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "[" + strconv.Quote(k) + "]"
		}
	}
	return "." + k
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
