package drift

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/candlecassette/candlecassette/cassettes"
)

// Options configure Diff; the zero value compares everything.
type Options struct {
	// OnlyShared leaves out exchanges, endpoints, streams and message
	// kinds that only one side recorded: for a fresh session that
	// exercised less than the old one.
	OnlyShared bool
}

// Report is what Diff found: the two files and every change from A (the
// old recording) to B (the new one). Its JSON form is the schema
// `candlecassette diff --json` prints.
type Report struct {
	A       string   `json:"a"`
	B       string   `json:"b"`
	Drift   bool     `json:"drift"`
	Changes []Change `json:"changes"`
}

// Change is one difference between the schemas of A and B.
type Change struct {
	// Exchange is the exchange id.
	Exchange string `json:"exchange"`
	// Where is the endpoint ("GET /api/v3/klines?interval&limit&symbol",
	// "(error)" appended for non-2xx bodies) or the WS stream and message
	// kind ("WS /ws/{symbol}@kline_1m e=kline"); empty for a whole exchange.
	Where string `json:"where,omitempty"`
	// Kind is one of the Kind constants ("number format", "key renamed", ...).
	Kind string `json:"kind"`
	// Path is the place in the JSON value: $ the root, .name a member,
	// [*] any element of a list, [4] a position of a fixed-size row;
	// protobuf fields are members #N.
	Path string `json:"path,omitempty"`
	// Old and New describe the two sides (absent for a side that lacks it).
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// Detail says more where a change needs it (the moves of an order change).
	Detail string `json:"detail,omitempty"`
}

// Diff opens the cassettes at a and b read-only and compares them.
func Diff(a, b string, opts *Options) (*Report, error) {
	fa, err := cassettes.OpenFile(a, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer fa.Close()
	fb, err := cassettes.OpenFile(b, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer fb.Close()
	return Compare(fa, fb, opts)
}

// Compare compares two open cassette files exchange by exchange.
func Compare(a, b *cassettes.File, opts *Options) (*Report, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	r := &Report{A: a.Path(), B: b.Path(), Changes: []Change{}}
	ids := slices.Concat(a.Exchanges(), b.Exchanges())
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		inA, inB := slices.Contains(a.Exchanges(), id), slices.Contains(b.Exchanges(), id)
		if !inA || !inB {
			if !o.OnlyShared {
				k := KindExchangeAdded
				if inA {
					k = KindExchangeRemoved
				}
				r.Changes = append(r.Changes, Change{Exchange: id, Kind: k})
			}
			continue
		}
		ca, err := a.Exchange(id, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Path(), err)
		}
		cb, err := b.Exchange(id, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Path(), err)
		}
		nm, err := namesOf(ca, cb)
		if err != nil {
			return nil, err
		}
		pa, err := profileOf(ca, nm)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", a.Path(), id, err)
		}
		pb, err := profileOf(cb, nm)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", b.Path(), id, err)
		}
		for _, c := range compareProfiles(pa, pb, o) {
			c.Exchange = id
			r.Changes = append(r.Changes, c)
		}
	}
	r.Drift = len(r.Changes) > 0
	return r, nil
}

// namesOf gathers the symbols both recordings hold: their candle series
// and their WS stream labels.
func namesOf(cs ...*cassettes.Cassette) (*names, error) {
	syms := map[string]bool{}
	for _, c := range cs {
		series, err := c.Series()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Path(), err)
		}
		for _, s := range series {
			syms[s.Symbol] = true
		}
		conns, err := c.Conns()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Path(), err)
		}
		for _, conn := range conns {
			for label := range conn.Streams {
				if sym, _, ok := cassettes.ParseStreamLabel(label); ok {
					syms[sym] = true
				}
			}
		}
	}
	return newNames(syms), nil
}

func compareProfiles(a, b *profile, o Options) []Change {
	var out []Change
	for _, name := range union(a.endpoints, b.endpoints) {
		ea, eb := a.endpoints[name], b.endpoints[name]
		switch {
		case eb == nil:
			if !o.OnlyShared {
				out = append(out, Change{Where: name, Kind: KindEndpointRemoved, Old: fmt.Sprintf("%d interactions", ea.n)})
			}
		case ea == nil:
			if !o.OnlyShared {
				out = append(out, Change{Where: name, Kind: KindEndpointAdded, New: fmt.Sprintf("%d interactions", eb.n)})
			}
		default:
			out = append(out, compareEndpoints(name, ea, eb)...)
		}
	}
	for _, name := range union(a.streams, b.streams) {
		sa, sb := a.streams[name], b.streams[name]
		switch {
		case sb == nil:
			if !o.OnlyShared {
				out = append(out, Change{Where: name, Kind: KindStreamRemoved, Old: fmt.Sprintf("%d connections", sa.conns)})
			}
		case sa == nil:
			if !o.OnlyShared {
				out = append(out, Change{Where: name, Kind: KindStreamAdded, New: fmt.Sprintf("%d connections", sb.conns)})
			}
		default:
			out = append(out, compareStreams(name, sa, sb, o)...)
		}
	}
	return out
}

func compareEndpoints(name string, a, b *endpoint) []Change {
	var out []Change
	if sa, sb := statusList(a.statuses), statusList(b.statuses); sa != sb {
		out = append(out, Change{Where: name, Kind: KindStatus, Old: sa, New: sb})
	}
	if ta, tb := strings.Join(sortedKeys(a.types), ", "), strings.Join(sortedKeys(b.types), ", "); ta != tb {
		out = append(out, Change{Where: name, Kind: KindContentType, Old: ta, New: tb})
	}
	for _, part := range []struct {
		where  string
		na, nb *Node
	}{{name, a.ok, b.ok}, {name + " (error)", a.errs, b.errs}} {
		if len(part.na.kinds) == 0 || len(part.nb.kinds) == 0 {
			continue // no such answers on one side: the status change says it
		}
		for _, c := range compareNodes(part.na, part.nb, "$") {
			c.Where = part.where
			out = append(out, c)
		}
	}
	return out
}

func statusList(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, ", ")
}

func compareStreams(name string, a, b *stream, o Options) []Change {
	var out []Change
	var removed, added []string
	for _, k := range union(a.kinds, b.kinds) {
		ma, mb := a.kinds[k], b.kinds[k]
		switch {
		case mb == nil:
			removed = append(removed, k)
		case ma == nil:
			added = append(added, k)
		default:
			for _, c := range compareNodes(ma.node, mb.node, "$") {
				c.Where = name + " " + k
				out = append(out, c)
			}
		}
	}
	// A kind gone and a kind new whose discriminators differ in one value
	// and whose schemas are the same: the event was renamed.
	for _, r := range removed {
		for i, ad := range added {
			if ad == "" {
				continue
			}
			if path, ok := renamed(a.kinds[r], b.kinds[ad]); ok {
				out = append(out, Change{Where: name + " " + r, Kind: KindMessageRenamed, Path: path,
					Old: a.kinds[r].disc[path], New: b.kinds[ad].disc[path]})
				added[i], r = "", ""
				break
			}
		}
		if r != "" && !o.OnlyShared {
			out = append(out, Change{Where: name + " " + r, Kind: KindMessageRemoved, Old: a.kinds[r].node.summary()})
		}
	}
	for _, ad := range added {
		if ad != "" && !o.OnlyShared {
			out = append(out, Change{Where: name + " " + ad, Kind: KindMessageAdded, New: b.kinds[ad].node.summary()})
		}
	}
	return out
}

// renamed reports the one discriminator whose value differs between two
// message kinds of the same schema.
func renamed(a, b *message) (string, bool) {
	if len(a.disc) == 0 || len(a.disc) != len(b.disc) {
		return "", false
	}
	var diff []string
	for k, v := range a.disc {
		w, ok := b.disc[k]
		if !ok {
			return "", false
		}
		if v != w {
			diff = append(diff, k)
		}
	}
	if len(diff) != 1 {
		return "", false
	}
	for _, c := range compareNodes(a.node, b.node, "$") {
		if c.Path != diff[0] {
			return "", false
		}
	}
	return diff[0], true
}

func union[V any](a, b map[string]V) []string {
	keys := sortedKeys(a)
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// WriteText prints the report for a person: a line naming the files, then
// one line per change, or a line saying there is none.
func (r *Report) WriteText(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "drift from %s to %s: %d change(s)\n", r.A, r.B, len(r.Changes)); err != nil {
		return err
	}
	for _, c := range r.Changes {
		if _, err := fmt.Fprintln(w, "  "+c.String()); err != nil {
			return err
		}
	}
	return nil
}

// String is the change on one line: `binance_spot GET /api/v3/klines?...
// $[*][4]: number format: "0.01000000" (string, 8 dp) → 0.01 (number, up
// to 2 dp)`.
func (c Change) String() string {
	var sb strings.Builder
	sb.WriteString(c.Exchange)
	if c.Where != "" {
		sb.WriteString(" " + c.Where)
	}
	if c.Path != "" {
		sb.WriteString(" " + c.Path)
	}
	sb.WriteString(": " + c.Kind)
	switch {
	case c.Old != "" && c.New != "":
		sb.WriteString(": " + c.Old + " → " + c.New)
	case c.Old != "":
		sb.WriteString(": was " + c.Old)
	case c.New != "":
		sb.WriteString(": " + c.New)
	}
	if c.Detail != "" {
		sb.WriteString(" (" + c.Detail + ")")
	}
	return sb.String()
}
