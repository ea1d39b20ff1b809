package cassettes

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/fse"

	cc "github.com/candlecassette/candlecassette"
)

// The legacy reader: candle blocks of the kinds this build no longer
// writes, as cassettes in the field hold them. kindBlock1 (byte 1) stored
// plain deltas under zstd; kindBlock2 (byte 4) the transformed columns of
// block.go as varints under zstd; kindBlock3 (byte 6) the same columns as
// byte planes. They are read, never
// written: a block a new recording changes is rewritten whole in the
// newest kind (putSeries). Their encoders survive in the tests only
// (block_legacy_internal_test.go), to make blocks of each kind to read.

// The codecs of the old kinds (see blockCodecs). Kinds 1 and 2 have no
// way to decode part of a block: a window or a coverage scan decodes it
// whole.
var (
	legacyBlock1 = fullOnly(func(p []byte) ([]cc.Candle, error) { return unzstd(p, decodeBlock1) })
	legacyBlock2 = fullOnly(func(p []byte) ([]cc.Candle, error) { return unzstd(p, decodeBlock2) })
	legacyBlock3 = &blockCodec{decode: decodeBlock3, window: appendRange3, times: blockTimes3}
)

// unzstd decompresses p and decodes the result with decode.
func unzstd(p []byte, decode func(raw []byte) ([]cc.Candle, error)) ([]cc.Candle, error) {
	raw, err := decompress(p)
	if err != nil {
		return nil, err
	}
	return decode(raw)
}

// fullOnly is the codec of a kind that can only be decoded whole: its
// window and times decode every row and pick from them.
func fullOnly(decode func(p []byte) ([]cc.Candle, error)) *blockCodec {
	return &blockCodec{
		decode: decode,
		window: func(dst []cc.Candle, p []byte, start, end int64) ([]cc.Candle, bool, error) {
			cs, err := decode(p)
			if err != nil {
				return dst, false, err
			}
			for i := range cs {
				if cs[i].OpenTime >= end {
					return dst, false, nil
				}
				if cs[i].OpenTime < start {
					continue
				}
				if err := checkScales(&cs[i]); err != nil {
					return dst, false, err
				}
				dst = append(dst, cs[i])
			}
			return dst, true, nil
		},
		times: func(p []byte, fn func(open int64, closed bool)) error {
			cs, err := decode(p)
			if err != nil {
				return err
			}
			for _, c := range cs {
				fn(c.OpenTime, c.Closed)
			}
			return nil
		},
	}
}

// decodeBlock1 decodes the zstd-decompressed payload of a kind-1 block:
// open times as deltas, close times as offsets, each decimal column as
// (scale byte, unit delta) pairs, trade deltas, closed flags.
func decodeBlock1(raw []byte) ([]cc.Candle, error) {
	r := &reader{b: raw}
	n := r.uvarint()
	if n > uint64(len(raw)) {
		return nil, fmt.Errorf("%w: candle block count %d", ErrCorrupt, n)
	}
	cs := readTimes(r, int(n))
	for f := range numDecimals {
		var pu int64
		for i := range cs {
			s := int8(r.byte())
			pu += r.varint()
			*decimals(&cs[i])[f] = cc.Decimal{Units: pu, Scale: s}
		}
	}
	var prev int64
	for i := range cs {
		prev += r.varint()
		cs[i].Trades = prev
	}
	for i := range cs {
		cs[i].Closed = r.byte() == 1
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return cs, nil
}

// readTimes reads the time columns of kind-1 and kind-2 blocks into n new
// candles: open times as deltas, then close times as offsets from them.
func readTimes(r *reader, n int) []cc.Candle {
	cs := make([]cc.Candle, n)
	var prev int64
	for i := range cs {
		prev += r.varint()
		cs[i].OpenTime = prev
	}
	for i := range cs {
		cs[i].CloseTime = cs[i].OpenTime + r.varint()
	}
	return cs
}

// decodeBlock2 decodes the zstd-decompressed payload of a kind-2 block:
// the columns of block.go as varints.
func decodeBlock2(raw []byte) ([]cc.Candle, error) {
	r := &reader{b: raw}
	n := r.uvarint()
	if n > uint64(len(raw)) {
		return nil, fmt.Errorf("%w: candle block count %d", ErrCorrupt, n)
	}
	var z [numDecimals]int
	for f := range z {
		if z[f] = int(r.byte()); z[f] > 18 {
			return nil, fmt.Errorf("%w: candle block exponent %d", ErrCorrupt, z[f])
		}
	}
	cs := readTimes(r, int(n))
	for f := range numDecimals {
		for i := range cs {
			decimals(&cs[i])[f].Scale = int8(r.byte())
		}
	}
	// Columns in scaled units first, then multiplied back.
	us := make([][numDecimals]int64, n)
	openDelta := make([]int64, n)
	for i := range openDelta {
		openDelta[i] = r.varint()
	}
	var prevClose int64
	for i := range us {
		us[i][fOpen] = prevClose + openDelta[i]
		us[i][fClose] = us[i][fOpen] + r.varint()
		prevClose = us[i][fClose]
	}
	for i := range us {
		us[i][fHigh] = max(us[i][fOpen], us[i][fClose]) + r.varint()
	}
	for i := range us {
		us[i][fLow] = min(us[i][fOpen], us[i][fClose]) - r.varint()
	}
	set := func(i, f int) {
		decimals(&cs[i])[f].Units = us[i][f] * pow10i[z[f]]
	}
	for i := range us {
		for _, f := range []int{fOpen, fHigh, fLow, fClose} {
			set(i, f)
		}
		us[i][fVolume] = r.varint()
		set(i, fVolume)
	}
	for i := range us {
		us[i][fQuote] = r.varint() + predictQuote(&cs[i], z[fQuote])
		set(i, fQuote)
	}
	for i := range us {
		us[i][fTBB] = r.varint()
		set(i, fTBB)
	}
	for i := range us {
		us[i][fTBQ] = r.varint() + predictTBQ(&cs[i], z[fTBQ])
		set(i, fTBQ)
	}
	for i := range cs {
		cs[i].Trades = r.varint()
	}
	for i := range cs {
		cs[i].Closed = r.byte() == 1
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return cs, nil
}

// colScratch holds a block's decoded columns while its candles are built.
type colScratch struct {
	vals []uint64
	ints []int64
	cols [][]int64
}

func (sc *colScratch) grow(n int) {
	if cap(sc.vals) < n {
		sc.vals = make([]uint64, n)
	}
	if cap(sc.ints) < numCols*n {
		sc.ints = make([]int64, numCols*n)
	}
	if sc.cols == nil {
		sc.cols = make([][]int64, numCols)
	}
}

var colPool = sync.Pool{New: func() any { return &colScratch{} }}

// columnsCandles inverts blockColumns.
func columnsCandles(z [numDecimals]int, cols [][]int64) []cc.Candle {
	n := len(cols[0])
	cs := make([]cc.Candle, n)
	var prevT, prevClose int64
	for i := range cs {
		prevT += cols[colOpenTime][i]
		o := prevClose + cols[colOpen][i]
		cl := o + cols[colClose][i]
		prevClose = cl
		fillCandle(&cs[i], z, cols, i, prevT, o, cl)
	}
	return cs
}

// fillCandle builds row i of the columns into c, given its open time and
// its open and close units (running sums over the rows before it).
func fillCandle(c *cc.Candle, z [numDecimals]int, cols [][]int64, i int, open, o, cl int64) {
	c.OpenTime = open
	c.CloseTime = c.OpenTime + cols[colCloseTime][i]
	ds := decimals(c)
	for f, d := range ds {
		d.Scale = int8(cols[colScale+f][i])
	}
	h := max(o, cl) + cols[colHigh][i]
	l := min(o, cl) - cols[colLow][i]
	ds[fOpen].Units = o * pow10i[z[fOpen]]
	ds[fClose].Units = cl * pow10i[z[fClose]]
	ds[fHigh].Units = h * pow10i[z[fHigh]]
	ds[fLow].Units = l * pow10i[z[fLow]]
	ds[fVolume].Units = cols[colVol][i] * pow10i[z[fVolume]]
	ds[fQuote].Units = (cols[colQuote][i] + predictQuote(c, z[fQuote])) * pow10i[z[fQuote]]
	ds[fTBB].Units = cols[colTBB][i] * pow10i[z[fTBB]]
	ds[fTBQ].Units = (cols[colTBQ][i] + predictTBQ(c, z[fTBQ])) * pow10i[z[fTBQ]]
	c.Trades = cols[colTrade][i]
	c.Closed = cols[colShut][i] == 1
}

// appendRange3 decodes a kindBlock3 block (v after its kind byte) and
// appends to dst only the candles opening in [start, end), building no
// other row: a window read decodes two blocks but keeps about one. more
// is false once a candle at or past end was seen. Scales are checked as
// decodeBlock does.
func appendRange3(dst []cc.Candle, v []byte, start, end int64) (out []cc.Candle, more bool, err error) {
	sc := colPool.Get().(*colScratch)
	defer colPool.Put(sc)
	z, err := decodeColumns3(v, sc, allColumns)
	if err != nil {
		return dst, false, err
	}
	cols := sc.cols[:numCols]
	var prevT, prevClose int64
	for i := range cols[colOpenTime] {
		prevT += cols[colOpenTime][i]
		o := prevClose + cols[colOpen][i]
		cl := o + cols[colClose][i]
		prevClose = cl
		if prevT < start {
			continue
		}
		if prevT >= end {
			return dst, false, nil
		}
		dst = append(dst, cc.Candle{})
		c := &dst[len(dst)-1]
		fillCandle(c, z, cols, i, prevT, o, cl)
		for _, d := range decimals(c) {
			if d.Scale < 0 || d.Scale > 18 {
				return dst[:len(dst)-1], false, fmt.Errorf("%w: candle block scale %d", ErrCorrupt, d.Scale)
			}
		}
	}
	return dst, true, nil
}

// decodeBlock3 decodes every row of a kind-3 block.
func decodeBlock3(v []byte) ([]cc.Candle, error) {
	// The columns are scratch, pooled: only the candles outlive the call.
	sc := colPool.Get().(*colScratch)
	defer colPool.Put(sc)
	z, err := decodeColumns3(v, sc, allColumns)
	if err != nil {
		return nil, err
	}
	return columnsCandles(z, sc.cols[:numCols]), nil
}

// blockTimes3 decodes only the open times and closed flags of a block —
// what coverage needs — skipping the compressed planes of the other
// columns. fn gets each candle's open time and whether it is closed.
func blockTimes3(v []byte, fn func(open int64, closed bool)) error {
	sc := colPool.Get().(*colScratch)
	defer colPool.Put(sc)
	if _, err := decodeColumns3(v, sc, 1<<colOpenTime|1<<colShut); err != nil {
		return err
	}
	var t int64
	for i, d := range sc.cols[colOpenTime] {
		t += d
		fn(t, sc.cols[colShut][i] == 1)
	}
	return nil
}

// decodeColumns3 decodes the columns of a kindBlock3 block selected by
// the bit mask want into sc.cols (the others are skipped, left nil).
func decodeColumns3(v []byte, sc *colScratch, want uint64) (z [numDecimals]int, err error) {
	r := &reader{b: v}
	n := r.uvarint()
	// A block spans blockLen intervals (a few more candles for short
	// months); a larger count is damage, caught before it sizes buffers.
	if r.err != nil || n > 2*blockLen {
		return z, fmt.Errorf("%w: candle block count", ErrCorrupt)
	}
	for f := range z {
		if z[f] = int(r.byte()); z[f] > 18 {
			return z, fmt.Errorf("%w: candle block exponent %d", ErrCorrupt, z[f])
		}
	}
	s := fsePool.Get().(*fse.Scratch)
	defer fsePool.Put(s)
	s.DecompressLimit = int(n)
	sc.grow(int(n))
	cols := sc.cols[:numCols]
	for c := range cols {
		cols[c] = nil
		use := want&(1<<c) != 0
		vals := sc.vals[:n]
		if err := readPlanes(r, s, vals, use); err != nil {
			return z, err
		}
		if !use {
			continue
		}
		cols[c] = sc.ints[c*int(n) : (c+1)*int(n)]
		for i, u := range vals {
			cols[c][i] = unzigzag(u)
		}
	}
	if err := r.done(); err != nil {
		return z, err
	}
	return z, nil
}
