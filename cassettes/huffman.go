package cassettes

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
)

// A small canonical Huffman coder for the class columns of kindBlock4
// (modeHuff). huff0 (modeCoded) spends as long reading its FSE-coded
// table as decoding a 1000-symbol column; here the table is a run of
// code lengths coded as steps from the previous symbol's, codes are at
// most huffMaxLen bits so one 256-entry lookup decodes a symbol, and each
// symbol's code is followed in the same bit stream by the raw bits of its
// value, so one reader does everything and stops at the last row needed.
//
// Bits are written least significant first; codes are bit-reversed
// canonical codes (as in DEFLATE), so the next code is the low bits of
// the next 64-bit little-endian word.

const huffMaxLen = 8

// huffLengths sets lens[s] to the code length of symbol s for the
// frequencies freq (0 for symbols that do not occur), at most huffMaxLen.
// At least two symbols must occur.
func huffLengths(freq *[256]int, lens *[256]uint8) {
	var syms, w [256]int
	k := 0
	for s, f := range freq {
		if f > 0 {
			syms[k], w[k] = s, f
			k++
		}
	}
	var order [256]int
	var weight, parent, depth [511]int
	for {
		// Leaves sorted by weight, then internal nodes in the order they
		// are made (their weights never decrease): two queues.
		// A stable sort by weight is a sort by weight then index: sort
		// the two packed in one word (ties are impossible, and sorting
		// words is several times faster than a stable sort).
		var keys [256]uint64
		for i := range k {
			keys[i] = uint64(w[i])<<8 | uint64(i)
		}
		if k <= 48 {
			for i := 1; i < k; i++ {
				x, j := keys[i], i
				for ; j > 0 && keys[j-1] > x; j-- {
					keys[j] = keys[j-1]
				}
				keys[j] = x
			}
		} else {
			slices.Sort(keys[:k])
		}
		for j := range k {
			order[j] = int(keys[j] & 0xff)
		}
		for j, i := range order[:k] {
			weight[j] = w[i]
		}
		leaf, inner, made := 0, k, k
		pick := func() int {
			if leaf < k && (inner >= made || weight[leaf] <= weight[inner]) {
				leaf++
				return leaf - 1
			}
			inner++
			return inner - 1
		}
		for made < 2*k-1 {
			a, b := pick(), pick()
			weight[made] = weight[a] + weight[b]
			parent[a], parent[b] = made, made
			made++
		}
		depth[made-1] = 0
		longest := 0
		for i := made - 2; i >= 0; i-- {
			depth[i] = depth[parent[i]] + 1
			longest = max(longest, depth[i])
		}
		if longest <= huffMaxLen {
			for j, i := range order[:k] {
				lens[syms[i]] = uint8(depth[j])
			}
			return
		}
		// Too deep: flatten the weights and build again (all equal
		// weights give a balanced tree, at most 8 deep for 256 symbols).
		for i := range k {
			w[i] = w[i]>>1 | 1
		}
	}
}

// huffCodes gives each symbol of lens its bit-reversed canonical code.
func huffCodes(lens *[256]uint8, codes *[256]uint16) {
	var count [huffMaxLen + 1]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [huffMaxLen + 2]int
	code := 0
	for l := 1; l <= huffMaxLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range lens {
		if l == 0 {
			continue
		}
		codes[s] = uint16(bits.Reverse16(uint16(next[l])) >> (16 - l))
		next[l]++
	}
}

// huffLengthsBits is how many bits appendHuffLengths writes.
func huffLengthsBits(lens *[256]uint8, lo, hi int) int {
	n, prev := 0, 0
	for s := lo; s <= hi; s++ {
		switch l := int(lens[s]); l - prev {
		case 0:
			n++
		case 1, -1:
			n += 3
		default:
			n += 6
		}
		prev = int(lens[s])
	}
	return n
}

// appendHuffLengths writes the code lengths of symbols lo..hi as steps
// from the previous length: 0 same, 10s ±1 (s the sign), 11llll a length.
func appendHuffLengths(w *bitWriter, lens *[256]uint8, lo, hi int) {
	prev := 0
	for s := lo; s <= hi; s++ {
		l := int(lens[s])
		switch l - prev {
		case 0:
			w.write(0, 1)
		case 1:
			w.write(0b001, 3)
		case -1:
			w.write(0b101, 3)
		default:
			w.write(0b11|uint64(l)<<2, 6)
		}
		prev = l
	}
}

// Decode table entries: the symbol, its code length and a valid mark.
const (
	huffValid    = 1 << 15
	huffLenShift = 8
)

// bitReader reads the bit streams of bitWriter from a copy padded with
// zeros, so a read may run up to 16 bytes past the end; callers check pos
// against limit.
type bitReader struct {
	b     []byte
	pos   uint
	limit uint
}

func (br *bitReader) peek() uint64 {
	return binary.LittleEndian.Uint64(br.b[br.pos>>3:]) >> (br.pos & 7)
}

// read returns the next n ≤ 8 bits.
func (br *bitReader) read(n uint) uint64 {
	v := br.peek() & (1<<n - 1)
	br.pos += n
	return v
}

// readHuffTable reads the code lengths of symbols lo..lo+n-1 and fills
// tab, indexed by the next huffMaxLen bits. Lengths that overflow the
// code space are corrupt; unused entries stay invalid.
func readHuffTable(br *bitReader, tab *[256]uint16, lo, n int) error {
	if n == 1 {
		for i := range tab {
			tab[i] = huffValid | uint16(lo)
		}
		return nil
	}
	var lens [256]uint8
	var count [16]int
	l, used := 0, uint(0)
	buf := br.peek()
	for s := lo; s < lo+n; s++ {
		if used > 48 {
			if br.pos += used; br.pos > br.limit {
				return fmt.Errorf("%w: candle block code lengths cut short", ErrCorrupt)
			}
			buf, used = br.peek(), 0
		}
		switch b := buf >> used; {
		case b&1 == 0:
			used++
		case b&2 == 0:
			l += 1 - int(b>>1&2) // 001 is +1, 101 is -1
			used += 3
		default:
			l = int(b >> 2 & 15)
			used += 6
		}
		if l < 0 || l > huffMaxLen {
			return fmt.Errorf("%w: candle block code length %d", ErrCorrupt, l)
		}
		lens[s] = uint8(l)
		count[l]++
	}
	if br.pos += used; br.pos > br.limit {
		return fmt.Errorf("%w: candle block code lengths cut short", ErrCorrupt)
	}
	// Canonical codes, as huffCodes assigns them.
	space := 0
	var next [huffMaxLen + 1]int
	code := 0
	for l := 1; l <= huffMaxLen; l++ {
		code = (code + count[l-1]*boolInt(l > 1)) << 1
		next[l] = code
		space += count[l] << (huffMaxLen - l)
	}
	if space > 1<<huffMaxLen {
		return fmt.Errorf("%w: candle block code lengths", ErrCorrupt)
	}
	if space < 1<<huffMaxLen {
		clear(tab[:]) // an incomplete code leaves entries invalid
	}
	for s := lo; s < lo+n; s++ {
		l := lens[s]
		if l == 0 {
			continue
		}
		c := int(bits.Reverse16(uint16(next[l])) >> (16 - l))
		next[l]++
		e := huffValid | uint16(l)<<huffLenShift | uint16(s)
		for j := c; j < len(tab); j += 1 << l {
			tab[j] = e
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
