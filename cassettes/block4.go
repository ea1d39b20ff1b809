package cassettes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"

	"github.com/klauspost/compress/fse"
	"github.com/klauspost/compress/huff0"

	cc "github.com/candlecassette/candlecassette"
)

// Candle blocks of kind kindBlock4 hold the transformed columns of
// kindBlock3 (block.go), coded value by value rather than byte plane by
// byte plane. Each value, zigzagged, is split into a class — the value
// itself below 16, else its bit length and the two bits under its top
// bit — and the bits below those, stored raw. Only the classes are
// entropy-coded (one Huffman table per column, huff0), so a noisy column
// costs one table and one fast decode instead of one FSE table and
// decode per byte plane, and the raw bits need no decoding at all.
//
// The encoder also picks, per column, what fits the block best:
//
//   - a constant column is one varint (regular open times, close
//     offsets, scales, closed flags);
//   - a column of few distinct values that are not small (a price that
//     moves in steps of 5 ticks) keeps kindBlock3's byte planes, where
//     FSE finds the repetition that raw bits cannot;
//   - classes may be coded as the step from the previous row's class
//     (volume clusters: a busy minute follows a busy minute);
//   - quote volume is predicted from volume × a typical price (two
//     weightings), taker-buy base and trade count from volume × a ratio
//     fitted to the block (stored as a float64).
//
// As in kindBlock2 and 3, predictions are pure functions of values
// already decoded, computed the same way on both sides, and only
// residuals are stored (wrapping int64 arithmetic), so the round trip is
// exact whatever the data.

// Column tags: the low two bits are the mode, bit 2 says classes are
// stored as steps from the previous class, bits 3-5 pick the predictor.
const (
	modeConst  = 0
	modeCoded  = 1
	modePlanes = 2 // byte planes as in kindBlock3, for few distinct values
	modeHuff   = 3 // classes Huffman-coded with the raw bits (huffman.go)

	tagClassDelta = 1 << 2
	tagPredShift  = 3
	tagClassRef   = 1 << 6
)

// classRefs is, per column, the column whose value's class in the same
// row its classes may be coded against (tag bit tagClassRef): residuals
// that scale with volume are coded relative to volume's size, taker-buy
// quote relative to taker-buy base's. -1 for none.
var classRefs = func() (r [numCols]int) {
	for c := range r {
		r[c] = -1
	}
	r[colQuote], r[colTBB], r[colTrade] = colVol, colVol, colVol
	r[colTBQ] = colTBB
	return r
}()

// Predictors. For colQuote: predOHLC4 (open+high+low+close)/4 or
// predOHLC6 (2·open+high+low+2·close)/6, plus with predWick volume ×
// (upper wick − lower wick) × a fitted factor (the average price leans
// to the longer wick); for colTBB and colTrade: predNone or predVolume
// (volume × a fitted ratio).
const (
	predNone   = 0
	predVolume = 1
	predOHLC4  = 0
	predOHLC6  = 1
	predWick   = 2
)

// wickTerm is the predWick part of a quote prediction from the scaled
// volume and wicks of a row.
func wickTerm(vol, upper, lower int64, k float64) int64 {
	return roundPred(float64(float64(float64(vol)*float64(upper-lower)) * k))
}

// Class stream encodings.
const (
	classRaw  = 0
	classRLE  = 1
	classHuff = 2
)

// classInfo is, per class, the value's bits above the raw ones and how
// many raw bits follow.
var classInfo = func() (t [256]struct {
	base  uint64
	extra uint8
}) {
	for c := range t {
		if c < 16 {
			t[c].base = uint64(c)
			continue
		}
		b := (c-16)/4 + 5 // bit length
		e := b - 3
		t[c].base = uint64(4|(c-16)&3) << e
		t[c].extra = uint8(e)
	}
	return t
}()

// classOf4 splits u into its class and the count of raw bits below it.
func classOf4(u uint64) (byte, int) {
	if u < 16 {
		return byte(u), 0
	}
	b := bits.Len64(u)
	return byte(16 + (b-5)*4 + int(u>>(b-3))&3), b - 3
}

// predictQuote6 is predictQuote with the typical price (2o+h+l+2c)/6.
func predictQuote6(c *cc.Candle, zq int) int64 { return predictQuote6F(c, quoteFactor(c, zq)) }

// predictQuote6F is predictQuote6 given its quoteFactor.
func predictQuote6F(c *cc.Candle, f float64) int64 {
	sum := float64(2*float64(c.Open.Units)) + float64(c.High.Units) + float64(c.Low.Units) + float64(2*float64(c.Close.Units))
	x := float64(float64(c.Volume.Units) * sum)
	x = float64(x / 6)
	return roundPred(float64(x * f))
}

// predictRatio is volume units × k, rounded.
func predictRatio(vol int64, k float64) int64 { return roundPred(float64(float64(vol) * k)) }

// fitRatio is the ratio of ys to vols over the block, 0 when there is
// none.
func fitRatio(vols, ys []int64) float64 {
	var sv, sy float64
	for i := range vols {
		sv += float64(vols[i])
		sy += float64(ys[i])
	}
	k := sy / sv
	if math.IsNaN(k) || math.IsInf(k, 0) {
		return 0
	}
	return k
}

// bitWriter packs raw bits, least significant first.
type bitWriter struct {
	b     []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	if n > 32 {
		w.write(v&(1<<32-1), 32)
		v, n = v>>32, n-32
	}
	w.acc |= (v & (1<<n - 1)) << w.nbits
	w.nbits += n
	for w.nbits >= 32 {
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(w.acc))
		w.acc >>= 32
		w.nbits -= 32
	}
}

func (w *bitWriter) flush() []byte {
	for w.nbits > 0 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nbits = max(w.nbits, 8) - 8
	}
	return w.b
}

// writeHuff0 makes appendColumn4 write modeCoded columns, as the first
// kind-4 writers did; only tests set it, so the reader of such blocks
// stays covered.
var writeHuff0 = false

// encodeColumn4 codes col as classes (steps between classes when delta,
// less ref's classes when ref is not nil) followed by the raw bits, in a
// new slice.
func encodeColumn4(col []int64, delta bool, ref []byte, hs *huff0.Scratch, cls []byte) []byte {
	w := bitWriter{b: make([]byte, 0, len(col)*3)}
	var prev byte
	for i, v := range col {
		c, e := classOf4(zigzag(v))
		cls[i] = c - prev
		if delta {
			prev = c
		}
		if ref != nil {
			cls[i] -= ref[i]
		}
		w.write(zigzag(v), uint(e))
	}
	raw := w.flush()
	b := make([]byte, 0, len(raw)+len(cls)+16)
	hs.Reuse = huff0.ReusePolicyNone
	hs.TableLog = 8
	out, _, err := huff0.Compress1X(cls, hs)
	switch {
	case err == nil && len(out) < len(cls):
		b = append(b, classHuff)
		b = appendBytes(b, out)
	case errors.Is(err, huff0.ErrUseRLE):
		b = append(b, classRLE, cls[0])
	default:
		b = append(b, classRaw)
		b = append(b, cls...)
	}
	return appendBytes(b, raw)
}

// encodeHuff4 codes col for modeHuff, in a new slice: the first class
// and the count of classes, then the classes (steps between classes when
// delta, less ref's classes when ref is not nil) as a table and Huffman
// codes, then the values' raw bits.
func encodeHuff4(col []int64, delta bool, ref []byte, cls []byte) []byte {
	var sc enc4
	sc.cls = cls
	return sc.appendHuff4(nil, col, delta, ref)
}

// appendHuff4 appends encodeHuff4's coding of col to b, using sc's
// buffers.
func (sc *enc4) appendHuff4(b []byte, col []int64, delta bool, ref []byte) []byte {
	cls := sc.cls[:len(col)]
	var freq [256]int
	classSymbols(col, delta, ref, cls, &freq)
	lo, hi := symbolRange(&freq)
	var lens [256]uint8
	var codes [256]uint16
	cw := bitWriter{b: sc.codeBits[:0]}
	if hi > lo {
		huffLengths(&freq, &lens)
		huffCodes(&lens, &codes)
		appendHuffLengths(&cw, &lens, lo, hi)
	}
	rw := bitWriter{b: sc.rawBits[:0]}
	for i, v := range col {
		s := cls[i]
		cw.write(uint64(codes[s]), uint(lens[s]))
		u := zigzag(v)
		_, e := classOf4(u)
		rw.write(u, uint(e))
	}
	b = append(b, byte(lo), byte(hi-lo))
	sc.codeBits = cw.flush()
	b = appendBytes(b, sc.codeBits)
	sc.rawBits = rw.flush()
	return appendBytes(b, sc.rawBits)
}

// enc4 holds the buffers of one kindBlock4 encoding (pooled: an import
// encodes thousands of blocks).
type enc4 struct {
	ints     []int64   // the block's columns
	cols     [][]int64 // numCols slices of ints
	alts     []int64   // predictor candidates: 4 columns
	cls      []byte
	refs     [2][]byte // classes of volume and of taker-buy base values
	body     []byte
	planes   []byte
	codeBits []byte
	rawBits  []byte
	hs       huff0.Scratch
}

var enc4Pool = sync.Pool{New: func() any { return &enc4{cols: make([][]int64, numCols)} }}

// size readies sc's buffers for a block of n candles.
func (sc *enc4) size(n int) {
	if cap(sc.ints) < numCols*n {
		sc.ints = make([]int64, numCols*n)
		sc.alts = make([]int64, 4*n)
		sc.cls = make([]byte, n)
		sc.refs = [2][]byte{make([]byte, n), make([]byte, n)}
	}
	sc.ints, sc.alts, sc.cls = sc.ints[:numCols*n], sc.alts[:4*n], sc.cls[:n]
	sc.refs[0], sc.refs[1] = sc.refs[0][:n], sc.refs[1][:n]
}

// alt is predictor candidate column i (0 to 3) of n rows.
func (sc *enc4) alt(i, n int) []int64 { return sc.alts[i*n : (i+1)*n : (i+1)*n] }

// appendColumn4 appends the smallest coding of col: a constant, classes
// coded plainly, as steps or against ref (when not nil), or byte planes.
// param (a predictor's fitted ratio) follows the tag.
//
// Without planes byte planes are not tried (they cost the most time to
// try): predictors are compared without them, then the winner is coded
// with them.
func appendColumn4(b []byte, tag byte, param []byte, col []int64, ref []byte, sc *enc4, planes bool) []byte {
	same := true
	for _, v := range col {
		if v != col[0] {
			same = false
			break
		}
	}
	if same {
		b = append(b, tag|modeConst)
		b = append(b, param...)
		var x int64
		if len(col) > 0 {
			x = col[0]
		}
		return appendVarint(b, x)
	}
	var body []byte
	mode := byte(modeHuff)
	if writeHuff0 {
		mode = modeCoded
		hs, cls := &sc.hs, sc.cls
		body = encodeColumn4(col, false, nil, hs, cls)
		if steps := encodeColumn4(col, true, nil, hs, cls); len(steps) < len(body) {
			body, mode = steps, mode|tagClassDelta
		}
		if ref != nil {
			if rel := encodeColumn4(col, false, ref, hs, cls); len(rel) < len(body) {
				body, mode = rel, mode&3|tagClassRef
			}
		}
	} else {
		_, flags := huffChoice(col, ref)
		if flags&tagClassRef == 0 {
			ref = nil
		}
		sc.body = sc.appendHuff4(sc.body[:0], col, flags&tagClassDelta != 0, ref)
		body, mode = sc.body, mode|flags
	}
	if planes {
		fs := fsePool.Get().(*fse.Scratch)
		defer fsePool.Put(fs)
		// Byte planes decode slower (an FSE pass per plane): only for a
		// clear gain.
		limit := len(body) - len(body)/32
		p, ok := appendPlanesUnder(sc.planes[:0], col, fs, sc.cls, limit)
		sc.planes = p
		if ok && len(p) < limit {
			body, mode = p, modePlanes
		}
	}
	b = append(b, tag|mode)
	b = append(b, param...)
	return append(b, body...)
}

// classSymbols counts, into freq, the symbols modeHuff codes for col: each
// value's class, less the previous class when delta, less ref's class when
// ref is not nil. The symbols go to cls when it is not nil; the result is
// the count of raw low bits the values add.
func classSymbols(col []int64, delta bool, ref []byte, cls []byte, freq *[256]int) (extra int) {
	var prev byte
	for i, v := range col {
		c, e := classOf4(zigzag(v))
		s := c - prev
		if delta {
			prev = c
		}
		if ref != nil {
			s -= ref[i]
		}
		if cls != nil {
			cls[i] = s
		}
		freq[s]++
		extra += e
	}
	return extra
}

// symbolRange is the lowest and highest symbol freq counts (lo > hi when
// none).
func symbolRange(freq *[256]int) (lo, hi int) {
	lo, hi = 255, 0
	for s, f := range freq {
		if f > 0 {
			lo, hi = min(lo, s), max(hi, s)
		}
	}
	return lo, hi
}

// huffSize is the size of encodeHuff4's coding of col, computed without
// writing it.
func huffSize(col []int64, delta bool, ref []byte) int {
	var freq [256]int
	extra := classSymbols(col, delta, ref, nil, &freq)
	return huffSizeOf(&freq, extra)
}

// huffSizeOf is the size of a modeHuff coding of symbols counted in freq
// that adds extra raw bits.
func huffSizeOf(freq *[256]int, extra int) int {
	lo, hi := symbolRange(freq)
	codeBits := 0
	if hi > lo {
		var lens [256]uint8
		huffLengths(freq, &lens)
		codeBits = huffLengthsBits(&lens, lo, hi)
		for s := lo; s <= hi; s++ {
			codeBits += freq[s] * int(lens[s])
		}
	}
	cb, rb := (codeBits+7)/8, (extra+7)/8
	return 2 + uvarintLen(cb) + cb + uvarintLen(rb) + rb
}

func uvarintLen(n int) int { return len(binary.AppendUvarint(nil, uint64(n))) }

// classStats are the symbol counts of huffChoice's three codings of a
// column (plain classes, steps between classes, classes less ref's),
// counted in one pass, and the raw bits they all add.
type classStats struct {
	freq  [3][256]int
	extra int
}

func (st *classStats) count(col []int64, ref []byte) {
	*st = classStats{}
	var prev byte
	plain, steps, rel := &st.freq[0], &st.freq[1], &st.freq[2]
	if ref != nil {
		ref = ref[:len(col)]
	}
	for i, v := range col {
		c, e := classOf4(zigzag(v))
		st.extra += e
		plain[c]++
		steps[c-prev]++
		prev = c
		if ref != nil {
			rel[c-ref[i]]++
		}
	}
}

// huffChoice gives the smallest modeHuff coding of col, plain, as class
// steps or against ref: its size and tag flags.
func huffChoice(col []int64, ref []byte) (int, byte) {
	var st classStats
	st.count(col, ref)
	size, flags := huffSizeOf(&st.freq[0], st.extra), byte(0)
	if n := huffSizeOf(&st.freq[1], st.extra); n < size {
		size, flags = n, tagClassDelta
	}
	if ref != nil {
		if n := huffSizeOf(&st.freq[2], st.extra); n < size {
			size, flags = n, tagClassRef
		}
	}
	return size, flags
}

// columnSize is about what appendColumn4 without planes gives col, for
// comparing predictors.
func columnSize(param []byte, col []int64, ref []byte, sc *enc4) int {
	if writeHuff0 {
		return len(appendColumn4(nil, 0, param, col, ref, sc, false))
	}
	for _, v := range col {
		if v != col[0] {
			n, _ := huffChoice(col, ref)
			return 1 + len(param) + n
		}
	}
	return 1 + len(param) + len(binary.AppendVarint(nil, col[0]))
}

// valueClasses sets dst[i] to the class of col[i].
func valueClasses(dst []byte, col []int64) []byte {
	dst = dst[:len(col)]
	for i, v := range col {
		dst[i], _ = classOf4(zigzag(v))
	}
	return dst
}

func encodeBlock4(cs []cc.Candle) []byte {
	n := len(cs)
	sc := enc4Pool.Get().(*enc4)
	defer enc4Pool.Put(sc)
	sc.size(n)
	cols := sc.cols
	z := blockColumnsInto(cs, cols, sc.ints)
	b := make([]byte, 0, 64+n*16)
	b = append(b, kindBlock4)
	b = appendUvarint(b, uint64(n))
	for _, zf := range z {
		b = append(b, byte(zf))
	}
	// Open times: the first, then steps minus the usual step (the first
	// row's step), so a regular series is a constant zero column.
	var t0, step int64
	if n > 0 {
		t0 = cs[0].OpenTime
		cols[colOpenTime][0] = 0
	}
	if n > 1 {
		step = cs[1].OpenTime - cs[0].OpenTime
	}
	b = appendVarint(b, t0)
	b = appendVarint(b, step)
	// Opens are steps from the previous close; the first one's is here.
	var open0 int64
	if n > 0 {
		open0 = cols[colOpen][0]
		cols[colOpen][0] = 0
	}
	b = appendVarint(b, open0)
	for i := 1; i < n; i++ {
		cols[colOpenTime][i] = cs[i].OpenTime - cs[i-1].OpenTime - step
	}
	vols := cols[colVol]
	refs := [numCols][]byte{}
	refs[colVol] = valueClasses(sc.refs[0], vols)
	refs[colTBB] = valueClasses(sc.refs[1], cols[colTBB])
	for c, col := range cols {
		var ref []byte
		if rc := classRefs[c]; rc >= 0 {
			ref = refs[rc]
		}
		switch c {
		case colQuote:
			b = appendQuote4(b, cs, z, cols, ref, sc)
		case colTBB, colTrade:
			k := fitRatio(vols, col)
			alt := sc.alt(0, n)
			for i := range alt {
				alt[i] = col[i] - predictRatio(vols[i], k)
			}
			tag, param, best := byte(predNone<<tagPredShift), []byte(nil), col
			if k != 0 {
				p := binary.LittleEndian.AppendUint64(nil, math.Float64bits(k))
				if columnSize(p, alt, ref, sc) < columnSize(nil, col, ref, sc) {
					tag, param, best = predVolume<<tagPredShift, p, alt
				}
			}
			b = appendColumn4(b, tag, param, best, ref, sc, true)
		default:
			b = appendColumn4(b, 0, nil, col, ref, sc, true)
		}
	}
	return b
}

// appendQuote4 appends the quote column with the predictor that codes
// it smallest.
func appendQuote4(b []byte, cs []cc.Candle, z [numDecimals]int, cols [][]int64, ref []byte, sc *enc4) []byte {
	n := len(cs)
	// blockColumns predicted with predictQuote.
	base := [2][]int64{cols[colQuote], sc.alt(1, n)}
	for i := range cs {
		base[predOHLC6][i] = cols[colQuote][i] + predictQuote(&cs[i], z[fQuote]) - predictQuote6(&cs[i], z[fQuote])
	}
	best := math.MaxInt
	var bestTag byte
	var bestParam []byte
	var bestCol []int64
	for p := range byte(4) {
		col := base[p&1]
		var param []byte
		if p&predWick != 0 {
			// The factor fitted to the residuals by least squares.
			var sxy, sxx float64
			for i := range col {
				x := float64(float64(cols[colVol][i]) * float64(cols[colHigh][i]-cols[colLow][i]))
				sxy += x * float64(col[i])
				sxx += x * x
			}
			k := sxy / sxx
			if math.IsNaN(k) || math.IsInf(k, 0) || k == 0 {
				continue
			}
			wick := sc.alt(int(p), n) // 2 or 3
			for i := range wick {
				wick[i] = col[i] - wickTerm(cols[colVol][i], cols[colHigh][i], cols[colLow][i], k)
			}
			col, param = wick, binary.LittleEndian.AppendUint64(nil, math.Float64bits(k))
		}
		if n := columnSize(param, col, ref, sc); n < best {
			best, bestTag, bestParam, bestCol = n, p<<tagPredShift, param, col
		}
	}
	return appendColumn4(b, bestTag, bestParam, bestCol, ref, sc, true)
}

// block4 is a decoded kindBlock4 header: what building candles from its
// columns needs besides the columns.
type block4 struct {
	z         [numDecimals]int
	open0     int64 // the first open, in units of its scale / 10^z
	quotePred int
	quoteK    float64 // predWick's factor
	// konst marks the constant columns, kval their values. The scale,
	// close offset and closed columns are then not stored row by row
	// for a window read (lazyCols); fill uses kval.
	konst uint64
	kval  [numCols]int64
	// With every scale constant: the scales, whether they are valid and
	// the powers of ten the predictions scale by.
	scales          [numDecimals]int8
	scalesOK        bool
	fQuote, fTBQ    float64
	tbbK, tradeK    float64
	tbbPred, trPred bool
}

// scratch4 holds a block's decoded columns and buffers while its candles
// are built.
type scratch4 struct {
	ints  []int64
	vals  []uint64
	refs  [2][]byte // refClasses of volume, of taker-buy base
	refOK [2]bool
	cols  [numCols][]int64
	cls   []byte
	extra []byte
	hs    huff0.Scratch
	codes []byte
	tab   [256]uint16 // modeHuff decode table
	// lo and hi are the rows decoded (see decodeColumns4).
	lo, hi int
}

var scratch4Pool = sync.Pool{New: func() any { return &scratch4{} }}

// lazyCols are the columns a window read leaves unstored when constant.
const lazyCols = (1<<numDecimals-1)<<colScale | 1<<colCloseTime | 1<<colShut

// allScales is the mask of the scale columns.
const allScales = (1<<numDecimals - 1) << colScale

// prefixCols are the columns a row needs the rows before it for: the
// running open and close, and the columns others' classes refer to.
const prefixCols = 1<<colOpen | 1<<colClose | 1<<colVol | 1<<colTBB

// decodeColumns4 decodes the columns of a kindBlock4 block (v after its
// kind byte) selected by the bit mask want into sc.cols (the others are
// left nil). Open times are decoded to absolute times.
//
// With win nil every row is decoded. Else only the rows a read of the
// open times [win[0], win[1]) builds are, sc.lo to sc.hi (the rows
// before that too for prefixCols, whose running sums need them); the
// other values are left as they were, and only the bits read are checked.
func decodeColumns4(v []byte, sc *scratch4, want uint64, win *[2]int64) (blk block4, err error) {
	// A column coded against another needs that one.
	for c := numCols - 1; c >= 0; c-- {
		if rc := classRefs[c]; rc >= 0 && want&(1<<c) != 0 {
			want |= 1 << rc
		}
	}
	r := &reader{b: v}
	n := r.uvarint()
	if r.err != nil || n > 2*blockLen {
		return blk, fmt.Errorf("%w: candle block count", ErrCorrupt)
	}
	for f := range blk.z {
		if blk.z[f] = int(r.byte()); blk.z[f] > 18 {
			return blk, fmt.Errorf("%w: candle block exponent %d", ErrCorrupt, blk.z[f])
		}
	}
	t0, step := r.varint(), r.varint()
	blk.open0 = r.varint()
	if cap(sc.ints) < numCols*int(n) {
		sc.ints = make([]int64, numCols*int(n))
		sc.cls = make([]byte, n)
	}
	sc.cls = sc.cls[:n]
	sc.lo, sc.hi = 0, int(n)
	sc.refOK = [2]bool{}
	for c := range sc.cols {
		sc.cols[c] = nil
		tag := r.byte()
		if r.err != nil {
			break
		}
		pred := int(tag>>tagPredShift) & 7
		var k float64
		switch c {
		case colQuote:
			if pred > predOHLC6|predWick {
				return blk, fmt.Errorf("%w: candle block predictor %d", ErrCorrupt, pred)
			}
			blk.quotePred = pred
			if pred&predWick != 0 {
				if len(r.b) < 8 {
					return blk, fmt.Errorf("%w: candle block cut short", ErrCorrupt)
				}
				blk.quoteK = math.Float64frombits(binary.LittleEndian.Uint64(r.b))
				r.b = r.b[8:]
			}
		case colTBB, colTrade:
			if pred > predVolume {
				return blk, fmt.Errorf("%w: candle block predictor %d", ErrCorrupt, pred)
			}
			if pred == predVolume {
				if len(r.b) < 8 {
					return blk, fmt.Errorf("%w: candle block cut short", ErrCorrupt)
				}
				k = math.Float64frombits(binary.LittleEndian.Uint64(r.b))
				r.b = r.b[8:]
			}
			if c == colTBB {
				blk.tbbPred, blk.tbbK = pred == predVolume, k
			} else {
				blk.trPred, blk.tradeK = pred == predVolume, k
			}
		default:
			if pred != 0 {
				return blk, fmt.Errorf("%w: candle block predictor %d", ErrCorrupt, pred)
			}
		}
		use := want&(1<<c) != 0
		col := sc.ints[c*int(n) : (c+1)*int(n)]
		lo, hi := sc.lo, sc.hi
		if prefixCols&(1<<c) != 0 {
			lo = 0
		}
		switch tag & 3 {
		case modeConst:
			x := r.varint()
			blk.konst |= 1 << c
			blk.kval[c] = x
			if use && (win == nil || lazyCols&(1<<c) == 0) {
				for i := range col {
					col[i] = x
				}
			}
		case modeCoded, modeHuff:
			var ref []byte
			if tag&tagClassRef != 0 && use {
				if ref = refClasses(sc, &blk, c); ref == nil {
					return blk, fmt.Errorf("%w: candle block class reference", ErrCorrupt)
				}
			}
			decode := decodeCoded4
			if tag&3 == modeHuff {
				decode = decodeHuff4
			}
			if err := decode(r, sc, col, tag&tagClassDelta != 0, ref, use, lo, hi); err != nil {
				return blk, err
			}
		case modePlanes:
			if tag&(tagClassDelta|tagClassRef) != 0 {
				return blk, fmt.Errorf("%w: candle block column mode", ErrCorrupt)
			}
			if err := readPlanes4(r, sc, col, use); err != nil {
				return blk, err
			}
		default:
			return blk, fmt.Errorf("%w: candle block column mode %d", ErrCorrupt, tag&3)
		}
		if !use {
			continue
		}
		sc.cols[c] = col
		if c == colOpenTime {
			t := t0
			for i, d := range col {
				if i > 0 {
					t += step + d
				}
				col[i] = t
			}
			if win != nil {
				sc.lo, sc.hi = rowsIn(col, win[0], win[1])
			}
		}
	}
	if err := r.done(); err != nil {
		return blk, err
	}
	if len(r.b) != 0 {
		return blk, fmt.Errorf("%w: candle block has %d trailing bytes", ErrCorrupt, len(r.b))
	}
	if win != nil && blk.konst&allScales != allScales {
		// fill reads the scales row by row: store the constant ones too.
		for c := colScale; c < colScale+numDecimals; c++ {
			if blk.konst&(1<<c) != 0 && sc.cols[c] != nil {
				col := sc.cols[c]
				for i := sc.lo; i < sc.hi; i++ {
					col[i] = blk.kval[c]
				}
			}
		}
	}
	if blk.konst&allScales == allScales {
		var c cc.Candle
		for f, d := range decimals(&c) {
			d.Scale = int8(blk.kval[colScale+f])
			blk.scales[f] = d.Scale
		}
		blk.scalesOK = checkScales(&c) == nil
		blk.fQuote, blk.fTBQ = quoteFactor(&c, blk.z[fQuote]), tbqFactor(&c, blk.z[fTBQ])
	}
	return blk, nil
}

// rowsIn gives the rows a read of [start, end) builds from open times ts:
// from the first opening at or after start up to the first opening at or
// after end (and start) — the loop of appendRange4.
func rowsIn(ts []int64, start, end int64) (lo, hi int) {
	lo = len(ts)
	for i, t := range ts {
		if t >= start {
			lo = i
			break
		}
	}
	hi = len(ts)
	for i := lo; i < len(ts); i++ {
		if ts[i] >= end {
			hi = i
			break
		}
	}
	return lo, hi
}

// refClasses returns the classes column c's classes are coded against
// (see classRefs): those of volume or of taker-buy base values, which are
// decoded before c (rows up to sc.hi). nil when c has no reference.
func refClasses(sc *scratch4, blk *block4, c int) []byte {
	rc := classRefs[c]
	if rc < 0 || sc.cols[rc] == nil {
		return nil
	}
	slot := 0
	if rc == colTBB {
		slot = 1
	}
	col := sc.cols[rc]
	ref := sc.refs[slot]
	if sc.refOK[slot] {
		return ref // computed for an earlier column of this block
	}
	if cap(ref) < len(col) {
		ref = make([]byte, len(col))
	}
	ref = ref[:len(col)]
	if rc == colTBB && blk.tbbPred {
		vols := sc.cols[colVol]
		if vols == nil {
			return nil
		}
		for i, v := range col[:sc.hi] {
			ref[i], _ = classOf4(zigzag(v + predictRatio(vols[i], blk.tbbK)))
		}
	} else {
		valueClasses(ref[:sc.hi], col[:sc.hi])
	}
	sc.refs[slot], sc.refOK[slot] = ref, true
	return ref
}

// padded returns s readable 16 bytes past its end: s itself when what
// follows it (its capacity, see reader.bytesWithTail) suffices, else a
// padded copy in *buf.
func padded(buf *[]byte, s []byte) []byte {
	if cap(s)-len(s) >= 16 {
		return s[:len(s)+16]
	}
	*buf = append(append((*buf)[:0], s...), make([]byte, 16)...)
	return *buf
}

// readPlanes4 reads one column of byte planes from r into col (when
// use).
func readPlanes4(r *reader, sc *scratch4, col []int64, use bool) error {
	if cap(sc.vals) < len(col) {
		sc.vals = make([]uint64, len(col))
	}
	vals := sc.vals[:len(col)]
	fs := fsePool.Get().(*fse.Scratch)
	defer fsePool.Put(fs)
	fs.DecompressLimit = len(col)
	if err := readPlanes(r, fs, vals, use); err != nil {
		return err
	}
	if use {
		for i, u := range vals {
			col[i] = unzigzag(u)
		}
	}
	return nil
}

// decodeCoded4 reads one coded column from r into col (when use).
func decodeCoded4(r *reader, sc *scratch4, col []int64, delta bool, ref []byte, use bool, lo, hi int) error {
	n := len(col)
	cls := sc.cls
	switch r.byte() {
	case classRaw:
		if len(r.b) < n {
			return fmt.Errorf("%w: candle block classes cut short", ErrCorrupt)
		}
		copy(cls, r.b[:n])
		r.b = r.b[n:]
	case classRLE:
		x := r.byte()
		for i := range cls {
			cls[i] = x
		}
	case classHuff:
		in := r.bytes()
		if r.err != nil {
			return r.done()
		}
		if !use {
			break
		}
		hs, rest, err := huff0.ReadTable(in, &sc.hs)
		if err != nil {
			return fmt.Errorf("%w: candle block classes: %v", ErrCorrupt, err)
		}
		out, err := hs.Decoder().Decompress1X(cls[:0:n], rest)
		if err != nil || len(out) != n {
			return fmt.Errorf("%w: candle block classes: %v", ErrCorrupt, err)
		}
	default:
		return fmt.Errorf("%w: candle block class coding", ErrCorrupt)
	}
	raw := r.bytesWithTail()
	if r.err != nil {
		return r.done()
	}
	if !use {
		return nil
	}
	return readRawBits(sc, raw, cls, col, delta, ref, lo, hi)
}

// readRawBits rebuilds col's rows lo to hi from their classes (cls, as
// stored: steps when delta, less ref when not nil) and the raw bits
// after each class's top bits; the rows before lo are only skipped.
//
// raw is followed in memory by what the block holds after it (see
// withTail), which the reads may run into.
func readRawBits(sc *scratch4, raw, cls []byte, col []int64, delta bool, ref []byte, lo, hi int) error {
	// The raw bits are read 8 bytes at a time.
	ex := padded(&sc.extra, raw)
	limit := uint(len(raw)) * 8
	var pos uint
	var prev byte
	// Rows before lo are only skipped: their classes say how many bits.
	for i := range lo {
		c := cls[i]
		if delta {
			c += prev
			prev = c
		}
		if ref != nil {
			c += ref[i]
		}
		pos += uint(classInfo[c].extra)
	}
	if pos > limit {
		return fmt.Errorf("%w: candle block raw bits cut short", ErrCorrupt)
	}
	for i := lo; i < hi; i++ {
		c := cls[i]
		if delta {
			c += prev
			prev = c
		}
		if ref != nil {
			c += ref[i]
		}
		ci := &classInfo[c]
		u := ci.base
		if e := uint(ci.extra); e > 0 {
			if pos+e > limit {
				return fmt.Errorf("%w: candle block raw bits cut short", ErrCorrupt)
			}
			w := binary.LittleEndian.Uint64(ex[pos>>3:]) >> (pos & 7)
			if e > 56 {
				w = w&(1<<32-1) | binary.LittleEndian.Uint64(ex[(pos+32)>>3:])>>((pos+32)&7)<<32
			}
			u |= w & (1<<e - 1)
			pos += e
		}
		col[i] = unzigzag(u)
	}
	if hi == len(col) && limit-pos >= 8 {
		return fmt.Errorf("%w: candle block has unused raw bits", ErrCorrupt)
	}
	return nil
}

// decodeHuff4 reads one modeHuff column from r into col (when use),
// rows lo to hi (see readRawBits); codes from hi on are not decoded.
func decodeHuff4(r *reader, sc *scratch4, col []int64, delta bool, ref []byte, use bool, lo, hi int) error {
	sym0, n := int(r.byte()), int(r.byte())+1
	codes := r.bytesWithTail()
	raw := r.bytesWithTail()
	if r.err != nil {
		return r.done()
	}
	if sym0+n > 256 {
		return fmt.Errorf("%w: candle block symbols %d+%d", ErrCorrupt, sym0, n)
	}
	if !use {
		return nil
	}
	br := bitReader{b: padded(&sc.codes, codes), limit: uint(len(codes)) * 8}
	tab := &sc.tab
	if err := readHuffTable(&br, tab, sym0, n); err != nil {
		return err
	}
	// One pass over the rows reads both streams: codes from cb, raw bits
	// from rb; the rows before lo only advance the raw bit position.
	cb, cpos, climit := br.b, br.pos, br.limit
	rb, rpos, rlimit := padded(&sc.extra, raw), uint(0), uint(len(raw))*8
	var prev byte
	for i := 0; i < hi; {
		if cpos > climit {
			return fmt.Errorf("%w: candle block codes cut short", ErrCorrupt)
		}
		// 56 bits in hand: seven codes of at most 8 bits.
		buf := binary.LittleEndian.Uint64(cb[cpos>>3:]) >> (cpos & 7)
		used := uint(0)
		for k := min(hi-i, 7); k > 0; k-- {
			t := tab[byte(buf)]
			if t&huffValid == 0 {
				return fmt.Errorf("%w: candle block code", ErrCorrupt)
			}
			l := uint(t>>huffLenShift) & 15
			buf >>= l
			used += l
			c := byte(t)
			if delta {
				c += prev
				prev = c
			}
			if ref != nil {
				c += ref[i]
			}
			ci := &classInfo[c]
			e := uint(ci.extra)
			if i >= lo {
				u := ci.base
				if e > 0 {
					if rpos+e > rlimit {
						return fmt.Errorf("%w: candle block raw bits cut short", ErrCorrupt)
					}
					w := binary.LittleEndian.Uint64(rb[rpos>>3:]) >> (rpos & 7)
					if e > 56 {
						w = w&(1<<32-1) | binary.LittleEndian.Uint64(rb[(rpos+32)>>3:])>>((rpos+32)&7)<<32
					}
					u |= w & (1<<e - 1)
				}
				col[i] = unzigzag(u)
			}
			rpos += e
			i++
		}
		cpos += used
	}
	if cpos > climit || rpos > rlimit {
		return fmt.Errorf("%w: candle block bits cut short", ErrCorrupt)
	}
	if hi == len(col) && (climit-cpos >= 8 || rlimit-rpos >= 8) {
		return fmt.Errorf("%w: candle block has unused bits", ErrCorrupt)
	}
	return nil
}

// fill4 builds row i of the columns into c, given its open and close
// units (running sums over the rows before it).
func (blk *block4) fill(c *cc.Candle, cols *[numCols][]int64, i int, o, cl int64) {
	z := &blk.z
	c.OpenTime = cols[colOpenTime][i]
	if blk.konst&(1<<colCloseTime) != 0 {
		c.CloseTime = c.OpenTime + blk.kval[colCloseTime]
	} else {
		c.CloseTime = c.OpenTime + cols[colCloseTime][i]
	}
	constScales := blk.konst&allScales == allScales
	if constScales {
		sc := &blk.scales
		c.Open.Scale, c.High.Scale, c.Low.Scale, c.Close.Scale = sc[fOpen], sc[fHigh], sc[fLow], sc[fClose]
		c.Volume.Scale, c.QuoteVolume.Scale, c.TakerBuyBase.Scale, c.TakerBuyQuote.Scale = sc[fVolume], sc[fQuote], sc[fTBB], sc[fTBQ]
	} else {
		c.Open.Scale = int8(cols[colScale+fOpen][i])
		c.High.Scale = int8(cols[colScale+fHigh][i])
		c.Low.Scale = int8(cols[colScale+fLow][i])
		c.Close.Scale = int8(cols[colScale+fClose][i])
		c.Volume.Scale = int8(cols[colScale+fVolume][i])
		c.QuoteVolume.Scale = int8(cols[colScale+fQuote][i])
		c.TakerBuyBase.Scale = int8(cols[colScale+fTBB][i])
		c.TakerBuyQuote.Scale = int8(cols[colScale+fTBQ][i])
	}
	h := max(o, cl) + cols[colHigh][i]
	l := min(o, cl) - cols[colLow][i]
	c.Open.Units = o * pow10i[z[fOpen]]
	c.Close.Units = cl * pow10i[z[fClose]]
	c.High.Units = h * pow10i[z[fHigh]]
	c.Low.Units = l * pow10i[z[fLow]]
	vol := cols[colVol][i]
	c.Volume.Units = vol * pow10i[z[fVolume]]
	fq, ft := blk.fQuote, blk.fTBQ
	if !constScales {
		fq, ft = quoteFactor(c, z[fQuote]), tbqFactor(c, z[fTBQ])
	}
	q := cols[colQuote][i]
	if blk.quotePred&predOHLC6 != 0 {
		q += predictQuote6F(c, fq)
	} else {
		q += predictQuoteF(c, fq)
	}
	if blk.quotePred&predWick != 0 {
		q += wickTerm(vol, cols[colHigh][i], cols[colLow][i], blk.quoteK)
	}
	c.QuoteVolume.Units = q * pow10i[z[fQuote]]
	tbb := cols[colTBB][i]
	if blk.tbbPred {
		tbb += predictRatio(vol, blk.tbbK)
	}
	c.TakerBuyBase.Units = tbb * pow10i[z[fTBB]]
	c.TakerBuyQuote.Units = (cols[colTBQ][i] + predictTBQF(c, ft)) * pow10i[z[fTBQ]]
	c.Trades = cols[colTrade][i]
	if blk.trPred {
		c.Trades += predictRatio(vol, blk.tradeK)
	}
	if blk.konst&(1<<colShut) != 0 {
		c.Closed = blk.kval[colShut] == 1
	} else {
		c.Closed = cols[colShut][i] == 1
	}
}

// appendRange4 decodes a kindBlock4 block (v after its kind byte) and
// appends to dst only the candles opening in [start, end), as
// appendRange3 does.
func appendRange4(dst []cc.Candle, v []byte, start, end int64) (out []cc.Candle, more bool, err error) {
	sc := scratch4Pool.Get().(*scratch4)
	defer scratch4Pool.Put(sc)
	blk, err := decodeColumns4(v, sc, allColumns, &[2]int64{start, end})
	if err != nil {
		return dst, false, err
	}
	cols := &sc.cols
	prevClose := blk.open0
	for i, t := range cols[colOpenTime][:sc.hi] {
		o := prevClose + cols[colOpen][i]
		cl := o + cols[colClose][i]
		prevClose = cl
		if t < start {
			continue
		}
		if len(dst) < cap(dst) {
			dst = dst[:len(dst)+1] // fill sets every field
		} else {
			dst = append(dst, cc.Candle{})
		}
		c := &dst[len(dst)-1]
		blk.fill(c, cols, i, o, cl)
		if blk.scalesOK {
			continue
		}
		if err := checkScales(c); err != nil {
			return dst[:len(dst)-1], false, err
		}
	}
	// A row at or past end stopped the read.
	return dst, sc.hi == len(cols[colOpenTime]), nil
}

// checkScales refuses a candle with a scale no Decimal supports.
func checkScales(c *cc.Candle) error {
	for _, s := range [numDecimals]int8{c.Open.Scale, c.High.Scale, c.Low.Scale, c.Close.Scale, c.Volume.Scale, c.QuoteVolume.Scale, c.TakerBuyBase.Scale, c.TakerBuyQuote.Scale} {
		if uint8(s) > 18 {
			return fmt.Errorf("%w: candle block scale %d", ErrCorrupt, s)
		}
	}
	return nil
}

func decodeBlock4(v []byte) ([]cc.Candle, error) {
	sc := scratch4Pool.Get().(*scratch4)
	defer scratch4Pool.Put(sc)
	blk, err := decodeColumns4(v, sc, allColumns, nil)
	if err != nil {
		return nil, err
	}
	cols := &sc.cols
	cs := make([]cc.Candle, len(cols[colOpenTime]))
	prevClose := blk.open0
	for i := range cs {
		o := prevClose + cols[colOpen][i]
		cl := o + cols[colClose][i]
		prevClose = cl
		blk.fill(&cs[i], cols, i, o, cl)
	}
	return cs, nil
}

// blockTimes4 decodes only the open times and closed flags of a block,
// as blockTimes3 does.
func blockTimes4(v []byte, fn func(open int64, closed bool)) error {
	sc := scratch4Pool.Get().(*scratch4)
	defer scratch4Pool.Put(sc)
	if _, err := decodeColumns4(v, sc, 1<<colOpenTime|1<<colShut, nil); err != nil {
		return err
	}
	for i, t := range sc.cols[colOpenTime] {
		fn(t, sc.cols[colShut][i] == 1)
	}
	return nil
}
