package cassettes

import (
	"bytes"
	"fmt"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// A candle response body is mostly the candles the index already holds.
// Rather than store those digits twice, such a body is stored as a
// template: the body with each value that spells a field of an indexed
// final candle cut out, plus references (position, candle, field) to put
// them back. Only final candles are referenced, and a final candle is
// never replaced in the index, so the body rebuilds byte for byte; the
// writer checks that before choosing the template over the plain body.

const numFields = 11

// fieldString spells field f of c the way the candle was parsed:
// decimals keep their scale, so "42000.10000000" comes back as such.
func fieldString(c *cc.Candle, f int) string {
	switch f {
	case 0:
		return strconv.FormatInt(c.OpenTime, 10)
	case 1:
		return strconv.FormatInt(c.CloseTime, 10)
	case 2:
		return c.Open.String()
	case 3:
		return c.High.String()
	case 4:
		return c.Low.String()
	case 5:
		return c.Close.String()
	case 6:
		return c.Volume.String()
	case 7:
		return c.QuoteVolume.String()
	case 8:
		return strconv.FormatInt(c.Trades, 10)
	case 9:
		return c.TakerBuyBase.String()
	default:
		return c.TakerBuyQuote.String()
	}
}

type tmplRef struct {
	gap   int // literal bytes before this value, since the previous one
	cand  int // index into template.opens
	field int
}

// template is a body minus the candle values it references.
type template struct {
	series  SeriesKey
	opens   []int64 // open times of the referenced candles, in first-use order
	literal []byte
	refs    []tmplRef
}

// scanTokens calls fn with the start and end of every JSON scalar in b:
// string contents without quotes (strings with escapes are skipped) and
// numbers.
func scanTokens(b []byte, fn func(start, end int)) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			j := i + 1
			esc := false
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			if j >= len(b) {
				return
			}
			if !esc {
				fn(i+1, j)
			}
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E' || b[j] == '-' || b[j] == '+' || (b[j] >= '0' && b[j] <= '9')) {
				j++
			}
			fn(i, j)
			i = j - 1
		}
	}
}

// makeTemplate cuts the values of candles cs out of body. It returns nil
// when too little would be saved.
func makeTemplate(body []byte, key SeriesKey, cs []cc.Candle) *template {
	if len(cs) == 0 || len(body) < 128 {
		return nil
	}
	byOpen := make(map[string]int, len(cs))
	for i := range cs {
		byOpen[strconv.FormatInt(cs[i].OpenTime, 10)] = i
	}
	fields := make([][numFields]string, len(cs))
	have := make([]bool, len(cs))
	ordinal := make(map[int]int, len(cs))
	t := &template{series: key, literal: make([]byte, 0, len(body)/4)}
	cur := -1
	var used [numFields]bool
	last := 0
	ref := func(start, end, cand, f int) {
		o, ok := ordinal[cand]
		if !ok {
			o = len(t.opens)
			ordinal[cand] = o
			t.opens = append(t.opens, cs[cand].OpenTime)
		}
		t.literal = append(t.literal, body[last:start]...)
		t.refs = append(t.refs, tmplRef{gap: start - last, cand: o, field: f})
		last = end
		used[f] = true
	}
	scanTokens(body, func(start, end int) {
		tok := body[start:end]
		if i, ok := byOpen[string(tok)]; ok {
			cur = i
			used = [numFields]bool{}
			if !have[i] {
				for f := range numFields {
					fields[i][f] = fieldString(&cs[i], f)
				}
				have[i] = true
			}
			ref(start, end, i, 0)
			return
		}
		if cur < 0 {
			return
		}
		for f := 1; f < numFields; f++ {
			if !used[f] && fields[cur][f] == string(tok) {
				ref(start, end, cur, f)
				return
			}
		}
	})
	t.literal = append(t.literal, body[last:]...)
	if len(t.refs) < 8 {
		return nil
	}
	return t
}

// build puts the candle values back into the template.
func (t *template) build(get func(open int64) (*cc.Candle, bool)) ([]byte, error) {
	out := make([]byte, 0, len(t.literal)+len(t.refs)*12)
	pos := 0
	for _, r := range t.refs {
		if r.gap > len(t.literal)-pos || r.cand >= len(t.opens) || r.field >= numFields {
			return nil, fmt.Errorf("%w: body template out of range", ErrCorrupt)
		}
		c, ok := get(t.opens[r.cand])
		if !ok {
			return nil, fmt.Errorf("%w: body refers to candle %s %d missing from the index", ErrCorrupt, t.series, t.opens[r.cand])
		}
		out = append(out, t.literal[pos:pos+r.gap]...)
		pos += r.gap
		out = append(out, fieldString(c, r.field)...)
	}
	return append(out, t.literal[pos:]...), nil
}

// check rebuilds t from cs and compares with body.
func (t *template) check(body []byte, cs []cc.Candle) bool {
	byOpen := make(map[int64]*cc.Candle, len(cs))
	for i := range cs {
		byOpen[cs[i].OpenTime] = &cs[i]
	}
	got, err := t.build(func(o int64) (*cc.Candle, bool) { c, ok := byOpen[o]; return c, ok })
	return err == nil && bytes.Equal(got, body)
}

func appendTemplate(b []byte, t *template) []byte {
	b = appendString(b, t.series.Symbol)
	b = appendString(b, string(t.series.Interval))
	b = appendUvarint(b, uint64(len(t.opens)))
	var prev int64
	for _, o := range t.opens {
		b = appendVarint(b, o-prev)
		prev = o
	}
	b = appendBytes(b, t.literal)
	b = appendUvarint(b, uint64(len(t.refs)))
	prevCand := 0
	for _, r := range t.refs {
		b = appendUvarint(b, uint64(r.gap))
		b = appendVarint(b, int64(r.cand-prevCand))
		prevCand = r.cand
		b = append(b, byte(r.field))
	}
	return b
}

func readTemplate(r *reader) *template {
	t := &template{}
	t.series.Symbol = r.string()
	t.series.Interval = cc.Interval(r.string())
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errShort
		return t
	}
	var prev int64
	for i := uint64(0); i < n && r.err == nil; i++ {
		prev += r.varint()
		t.opens = append(t.opens, prev)
	}
	t.literal = r.bytes()
	m := r.uvarint()
	if m > uint64(len(r.b)) {
		r.err = errShort
		return t
	}
	cand := 0
	for i := uint64(0); i < m && r.err == nil; i++ {
		gap := int(r.uvarint())
		cand += int(r.varint())
		f := int(r.byte())
		if cand < 0 || gap < 0 {
			r.err = errShort
			break
		}
		t.refs = append(t.refs, tmplRef{gap: gap, cand: cand, field: f})
	}
	return t
}

// resolve rebuilds a template's body from the index inside tx.
func (t *template) resolve(tx store, sealed sealing) ([]byte, error) {
	if len(t.opens) == 0 {
		return t.build(nil)
	}
	lo, hi := t.opens[0], t.opens[0]
	for _, o := range t.opens {
		lo, hi = min(lo, o), max(hi, o)
	}
	byOpen := make(map[int64]*cc.Candle, len(t.opens))
	err := eachBlockTx(tx, sealed, t.series, lo, hi+1, func(cs []cc.Candle) bool {
		for i := range cs {
			if cs[i].OpenTime >= lo && cs[i].OpenTime <= hi {
				byOpen[cs[i].OpenTime] = &cs[i]
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return t.build(func(o int64) (*cc.Candle, bool) { c, ok := byOpen[o]; return c, ok })
}
