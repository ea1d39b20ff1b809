package drift

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// maxTuple is the longest array compared position by position: a
// fixed-size row (Binance's kline of 12, OKX's candle of 9, a price
// level of 2) rather than a list.
const maxTuple = 32

// Node is the schema of the values seen at one place in a JSON document,
// summed over every sample: the kinds they took, the number formats, an
// object's keys, an array's lengths and elements. Values themselves are
// not kept (but for one example per kind), so prices that move never make
// two schemas differ.
type Node struct {
	kinds map[string]int    // kindObject, kindNumber, ...
	ex    map[string]string // one example per scalar kind
	str   numFmt            // numeric strings
	num   numFmt            // bare numbers
	keys  map[string]*Node  // object members, names normalized
	elem  *Node             // every array element
	pos   []*Node           // array elements by position, while every array had one length ≤ maxTuple
	arrN  int               // arrays seen
	// nonHex counts plain strings with other than hex digits: ids such as
	// OKX's connId are hex, and all digits now and then.
	nonHex int
	minL   int
	maxL   int
	// asc and desc count lists of 3 or more rows whose first fields, all
	// time-like integers, only rose or only fell; mixed those that did
	// both (see rowOrder).
	asc, desc, mixed int
}

// Kinds of value, as they are named in a Change.
const (
	kindObject = "object"
	kindArray  = "array"
	kindString = "string"
	kindNumStr = "numeric string"
	kindNumber = "number"
	kindBool   = "bool"
	kindNull   = "null"
	// Kinds of a body or frame that is not JSON.
	kindEmpty  = "empty"
	kindText   = "text"
	kindBinary = "binary"
	kindBytes  = "bytes" // a protobuf bytes field that is neither text nor a message
)

// rawKind is a value observed only by its kind (a non-JSON body).
type rawKind string

func newNode() *Node { return &Node{kinds: map[string]int{}, ex: map[string]string{}} }

var numericRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// observe adds one value (as encoding/json decodes with UseNumber) to n;
// key normalizes object member names (symbols as map keys).
func (n *Node) observe(v any, key func(string) string) {
	switch x := v.(type) {
	case nil:
		n.kinds[kindNull]++
	case bool:
		n.kinds[kindBool]++
	case json.Number:
		n.scalar(kindNumber, string(x))
		n.num.add(string(x))
	case string:
		// A hex token such as OKX's connId may read as scientific
		// notation ("1e345678"): hex digits alone are a token, never a
		// number in e-notation.
		if numericRe.MatchString(x) && !(isHex(x) && strings.ContainsAny(x, "eE")) {
			n.scalar(kindNumStr, `"`+x+`"`)
			n.str.add(x)
		} else {
			n.scalar(kindString, "")
			if !isHex(x) {
				n.nonHex++
			}
		}
	case rawKind:
		n.kinds[string(x)]++
	case protoMsg:
		n.observe(map[string]any(x), key)
	case map[string]any:
		n.kinds[kindObject]++
		if n.keys == nil {
			n.keys = map[string]*Node{}
		}
		for k, e := range x {
			k = key(k)
			c := n.keys[k]
			if c == nil {
				c = newNode()
				n.keys[k] = c
			}
			c.observe(e, key)
		}
	case []any:
		n.kinds[kindArray]++
		if n.elem == nil {
			n.elem = newNode()
		}
		l := len(x)
		if n.arrN == 0 {
			n.minL, n.maxL = l, l
			if l > 0 && l <= maxTuple {
				n.pos = make([]*Node, l)
				for i := range n.pos {
					n.pos[i] = newNode()
				}
			}
		} else {
			n.minL, n.maxL = min(n.minL, l), max(n.maxL, l)
			if l != len(n.pos) {
				n.pos = nil
			}
		}
		n.arrN++
		switch rowOrder(x) {
		case orderAsc:
			n.asc++
		case orderDesc:
			n.desc++
		case orderMixed:
			n.mixed++
		}
		for i, e := range x {
			n.elem.observe(e, key)
			if n.pos != nil {
				n.pos[i].observe(e, key)
			}
		}
	default:
		n.scalar(fmt.Sprintf("%T", v), "")
	}
}

// Orders of a list of rows.
const (
	orderNone  = "" // not a list of 3 or more rows keyed by a time-like integer
	orderAsc   = "ascending"
	orderDesc  = "descending"
	orderMixed = "mixed"
)

// minTimeKey is the least first field that keys a row as a time: 1e9 is
// 2001 in Unix seconds (ms and µs are larger still). Prices and small
// counts stay below it or have a fraction, so a list of book levels or
// of trades by price is never read as ordered.
const minTimeKey = 1_000_000_000

// rowOrder is how a list of rows such as Binance's klines ([[open time,
// ...], ...]) or OKX's candles (newest first) runs by the first field of
// each row, when every row starts with a time-like integer (a number or
// a numeric string): ascending, descending, mixed, or orderNone.
func rowOrder(x []any) string {
	if len(x) < 3 {
		return orderNone
	}
	var prev int64
	dir := orderNone
	for i, e := range x {
		r, ok := e.([]any)
		if !ok || len(r) == 0 {
			return orderNone
		}
		var digits string
		switch f := r[0].(type) {
		case json.Number:
			digits = string(f)
		case string:
			digits = f
		default:
			return orderNone
		}
		k, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || k < minTimeKey {
			return orderNone
		}
		if i > 0 {
			switch {
			case k > prev && dir != orderDesc:
				dir = orderAsc
			case k < prev && dir != orderAsc:
				dir = orderDesc
			case k != prev:
				return orderMixed
			}
		}
		prev = k
	}
	return dir
}

// order is the one way every list of rows seen here ran, or orderNone.
func (n *Node) order() string {
	switch {
	case n.mixed > 0:
		return orderNone
	case n.asc > 0 && n.desc == 0:
		return orderAsc
	case n.desc > 0 && n.asc == 0:
		return orderDesc
	}
	return orderNone
}

func (n *Node) scalar(kind, example string) {
	n.kinds[kind]++
	if _, ok := n.ex[kind]; !ok && example != "" {
		if len(example) > 40 {
			example = example[:37] + "..."
		}
		n.ex[kind] = example
	}
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// idLike: n's strings could all be tokens of hex digits (some all
// digits, so numeric strings): plain ones are hex, numeric ones integers.
func (n *Node) idLike() bool {
	return (n.has(kindString) || n.has(kindNumStr)) && n.nonHex == 0 &&
		n.str.noDot == n.str.n && n.str.exp == 0
}

// kindSet is the sorted list of kinds n holds.
func (n *Node) kindSet() []string {
	out := make([]string, 0, len(n.kinds))
	for k := range n.kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (n *Node) has(kind string) bool { return n.kinds[kind] > 0 }

// tuple reports whether n's arrays are rows of fixed positions: one
// length, at most maxTuple, and not every position alike (a list of two
// prices of one format is a list; a kline row is a tuple).
func (n *Node) tuple() bool {
	if len(n.pos) < 2 {
		return false
	}
	for _, p := range n.pos[1:] {
		if !same(n.pos[0], p) {
			return true
		}
	}
	return false
}

// numFmt sums up how numbers were written: decimal places, exponents,
// whether a fraction was ever padded with a trailing zero.
type numFmt struct {
	n      int
	noDot  int
	exp    int
	dps    map[int]int
	padded bool // a fraction of 2 or more places ending in 0: a fixed number of places is proven
}

func (f *numFmt) add(s string) {
	f.n++
	mant := s
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		f.exp++
		mant = s[:i]
	}
	dot := strings.IndexByte(mant, '.')
	if dot < 0 {
		f.noDot++
		return
	}
	if f.dps == nil {
		f.dps = map[int]int{}
	}
	frac := mant[dot+1:]
	f.dps[len(frac)]++
	// "0.10" proves two places; "0.0" does not prove one: a float's
	// shortest spelling (Hyperliquid's, Python's repr) keeps one zero.
	if len(frac) >= 2 && strings.HasSuffix(frac, "0") {
		f.padded = true
	}
}

// Format classes.
const (
	fmtScientific = "scientific"
	fmtInteger    = "integer"
	fmtFixed      = "fixed"
	fmtVariable   = "variable"
)

// class is the format the samples show: scientific notation, integers
// only, a fixed number of places (proven by padding) or trimmed places.
func (f *numFmt) class() (string, int) {
	switch {
	case f.exp > 0:
		return fmtScientific, 0
	case f.noDot == f.n:
		return fmtInteger, 0
	case f.noDot == 0 && len(f.dps) == 1 && f.padded:
		for dp := range f.dps {
			return fmtFixed, dp
		}
	}
	m := 0
	for dp := range f.dps {
		m = max(m, dp)
	}
	return fmtVariable, m
}

func (f *numFmt) String() string {
	c, dp := f.class()
	switch c {
	case fmtFixed:
		return fmt.Sprintf("%d dp", dp)
	case fmtVariable:
		return fmt.Sprintf("up to %d dp", dp)
	}
	return c
}

// compatible reports whether two sets of samples may come from one
// format, the values aside: trimmed places are compatible with integers
// and with a fixed width they never contradict.
func compatible(a, b *numFmt) bool {
	ca, da := a.class()
	cb, db := b.class()
	if ca == cb {
		return ca != fmtFixed || da == db
	}
	if ca == fmtScientific || cb == fmtScientific {
		return false
	}
	if ca == fmtFixed {
		return fitsFixed(b, da)
	}
	if cb == fmtFixed {
		return fitsFixed(a, db)
	}
	return true // integer and variable
}

// fitsFixed: every sample of f has dp places.
func fitsFixed(f *numFmt, dp int) bool {
	if f.noDot > 0 {
		return false
	}
	for d := range f.dps {
		if d != dp {
			return false
		}
	}
	return true
}
