package cassettes

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/fse"

	cc "github.com/candlecassette/candlecassette"
)

// Candle blocks of kind kindBlock3 hold the same transformed columns as
// kindBlock2 (see block.go), stored as byte planes: each column's values,
// zigzagged, are split into their lowest bytes, next bytes, and so on, and
// each plane is entropy-coded (FSE) on its own. Small residuals then cost
// close to their entropy, where varints cost whole bytes and zstd cannot
// win much back on noisy digits.

// The transformed columns of a block, in this order.
const (
	colOpenTime = iota
	colCloseTime
	colScale // numDecimals scale columns, f-order
	colOpen  = colScale + numDecimals
	colClose = colOpen + 1
	colHigh  = colOpen + 2
	colLow   = colOpen + 3
	colVol   = colOpen + 4
	colQuote = colOpen + 5
	colTBB   = colOpen + 6
	colTBQ   = colOpen + 7
	colTrade = colOpen + 8
	colShut  = colOpen + 9
	numCols  = colShut + 1
)

var fsePool = sync.Pool{New: func() any { return &fse.Scratch{} }}

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

// blockColumns transforms cs into numCols columns and the common powers
// of ten they were divided by.
func blockColumns(cs []cc.Candle) ([numDecimals]int, [][]int64) {
	var z [numDecimals]int
	for f := range z {
		z[f] = 18
	}
	for i := range cs {
		for f, d := range decimals(&cs[i]) {
			z[f] = min(z[f], trailingZeros(d.Units))
		}
	}
	zp := min(z[fOpen], z[fHigh], z[fLow], z[fClose])
	z[fOpen], z[fHigh], z[fLow], z[fClose] = zp, zp, zp, zp
	cols := make([][]int64, numCols)
	for i := range cols {
		cols[i] = make([]int64, len(cs))
	}
	u := func(c *cc.Candle, f int) int64 { return decimals(c)[f].Units / pow10i[z[f]] }
	var prevT, prevClose int64
	for i := range cs {
		c := &cs[i]
		cols[colOpenTime][i] = c.OpenTime - prevT
		prevT = c.OpenTime
		cols[colCloseTime][i] = c.CloseTime - c.OpenTime
		for f, d := range decimals(c) {
			cols[colScale+f][i] = int64(d.Scale)
		}
		o, cl, h, l := u(c, fOpen), u(c, fClose), u(c, fHigh), u(c, fLow)
		cols[colOpen][i] = o - prevClose
		prevClose = cl
		cols[colClose][i] = cl - o
		cols[colHigh][i] = h - max(o, cl)
		cols[colLow][i] = min(o, cl) - l
		cols[colVol][i] = u(c, fVolume)
		cols[colQuote][i] = u(c, fQuote) - predictQuote(c, z[fQuote])
		cols[colTBB][i] = u(c, fTBB)
		cols[colTBQ][i] = u(c, fTBQ) - predictTBQ(c, z[fTBQ])
		cols[colTrade][i] = c.Trades
		if c.Closed {
			cols[colShut][i] = 1
		}
	}
	return z, cols
}

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

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// Plane encodings.
const (
	planeRaw = 0
	planeFSE = 1
	planeRLE = 2
)

func encodeBlock3(cs []cc.Candle) []byte {
	z, cols := blockColumns(cs)
	n := len(cs)
	b := make([]byte, 0, 64+n*16)
	b = append(b, kindBlock3)
	b = appendUvarint(b, uint64(n))
	for _, zf := range z {
		b = append(b, byte(zf))
	}
	s := fsePool.Get().(*fse.Scratch)
	defer fsePool.Put(s)
	plane := make([]byte, n)
	for _, col := range cols {
		b = appendPlanes(b, col, s, plane)
	}
	return b
}

// appendPlanes appends col as byte planes: its width in bytes, then each
// plane FSE-coded, run-length coded or raw, whichever is smallest.
func appendPlanes(b []byte, col []int64, s *fse.Scratch, plane []byte) []byte {
	n := len(col)
	width := 0
	for _, v := range col {
		u := zigzag(v)
		w := 0
		for u != 0 {
			w++
			u >>= 8
		}
		width = max(width, w)
	}
	b = append(b, byte(width))
	for p := 0; p < width; p++ {
		for i, v := range col {
			plane[i] = byte(zigzag(v) >> (8 * p))
		}
		out, err := fse.Compress(plane[:n], s)
		switch {
		case err == nil && len(out) < n:
			b = append(b, planeFSE)
			b = appendBytes(b, out)
		case errors.Is(err, fse.ErrUseRLE):
			b = append(b, planeRLE, plane[0])
		default:
			b = append(b, planeRaw)
			b = append(b, plane[:n]...)
		}
	}
	return b
}

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

// allColumns selects every column for decodeColumns3.
const allColumns = 1<<numCols - 1

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

// readPlanes reads one column of byte planes (see appendPlanes) into
// vals, zigzagged, when use; else it only skips them. s.DecompressLimit
// must be len(vals).
func readPlanes(r *reader, s *fse.Scratch, vals []uint64, use bool) error {
	n := uint64(len(vals))
	width := int(r.byte())
	if width > 8 {
		return fmt.Errorf("%w: candle block column width %d", ErrCorrupt, width)
	}
	if use {
		clear(vals)
	}
	for p := 0; p < width && r.err == nil; p++ {
		var plane []byte
		switch r.byte() {
		case planeFSE:
			in := r.bytes()
			if !use {
				continue
			}
			out, err := fse.Decompress(in, s)
			if err != nil || uint64(len(out)) != n {
				return fmt.Errorf("%w: candle block plane: %v", ErrCorrupt, err)
			}
			plane = out
		case planeRLE:
			c := r.byte()
			if !use {
				continue
			}
			for i := range vals {
				vals[i] |= uint64(c) << (8 * p)
			}
			continue
		case planeRaw:
			if uint64(len(r.b)) < n {
				return fmt.Errorf("%w: candle block plane cut short", ErrCorrupt)
			}
			plane, r.b = r.b[:n], r.b[n:]
			if !use {
				continue
			}
		default:
			return fmt.Errorf("%w: candle block plane kind", ErrCorrupt)
		}
		for i, x := range plane {
			vals[i] |= uint64(x) << (8 * p)
		}
	}
	return r.done()
}
