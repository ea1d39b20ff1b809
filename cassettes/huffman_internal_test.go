package cassettes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// huffRoundTrip codes syms with a table built for them and decodes them
// back through readHuffTable and decodeSymbols.
func huffRoundTrip(t *testing.T, syms []byte) {
	t.Helper()
	var freq [256]int
	lo, hi := 255, 0
	for _, s := range syms {
		freq[s]++
		lo, hi = min(lo, int(s)), max(hi, int(s))
	}
	var lens [256]uint8
	var codes [256]uint16
	w := bitWriter{}
	if hi > lo {
		huffLengths(&freq, &lens)
		kraft := 0
		for s, l := range lens {
			if (freq[s] > 0) != (l > 0) || l > huffMaxLen {
				t.Fatalf("symbol %d (count %d) got length %d", s, freq[s], l)
			}
			if l > 0 {
				kraft += 1 << (huffMaxLen - l)
			}
		}
		if kraft != 1<<huffMaxLen {
			t.Fatalf("lengths fill %d of %d codes", kraft, 1<<huffMaxLen)
		}
		huffCodes(&lens, &codes)
		appendHuffLengths(&w, &lens, lo, hi)
	}
	for _, s := range syms {
		w.write(uint64(codes[s]), uint(lens[s]))
	}
	raw := w.flush()
	br := bitReader{b: append(append([]byte(nil), raw...), make([]byte, 16)...), limit: uint(len(raw)) * 8}
	var tab [256]uint16
	if err := readHuffTable(&br, &tab, lo, hi-lo+1); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(syms))
	if err := br.decodeSymbols(&tab, got); err != nil {
		t.Fatal(err)
	}
	for i := range syms {
		if got[i] != syms[i] {
			t.Fatalf("symbol %d: got %d, want %d", i, got[i], syms[i])
		}
	}
	if br.limit-br.pos >= 8 {
		t.Fatalf("%d bits left over", br.limit-br.pos)
	}
}

func TestHuffmanCodesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cases := map[string][]byte{"one symbol": {42, 42, 42}, "two symbols": {0, 255, 0, 0}}
	// Skewed: one symbol almost always, every other once (the plain
	// Huffman tree would be 255 deep: the lengths must be flattened).
	skew := make([]byte, 5000)
	for i := range 256 {
		skew[i] = byte(i)
	}
	cases["one common symbol and 255 rare ones"] = skew
	fib := []byte{}
	a, b := 1, 1
	for s := range 20 {
		for range a {
			fib = append(fib, byte(s))
		}
		a, b = b, a+b
	}
	cases["Fibonacci counts"] = fib
	geo := make([]byte, 1000)
	for i := range geo {
		geo[i] = byte(min(255, int(rng.ExpFloat64()*6)))
	}
	cases["geometric"] = geo
	for name, syms := range cases {
		t.Run(name, func(t *testing.T) { huffRoundTrip(t, syms) })
	}
}

func TestDamagedHuffmanTablesAreCorrupt(t *testing.T) {
	for name, stream := range map[string][]byte{
		"lengths over the limit":             {0xff, 0xff, 0xff, 0xff},
		"lengths overflowing the code space": {0b00001}, // +1, same, same: three codes of 1 bit
		"cut short":                          {},
	} {
		br := bitReader{b: append(append([]byte(nil), stream...), make([]byte, 16)...), limit: uint(len(stream)) * 8}
		var tab [256]uint16
		if err := readHuffTable(&br, &tab, 0, 3); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// huffSize, which encoders use to compare codings without writing them,
// is exactly what encodeHuff4 writes.
func TestHuffSizeIsTheCodedSize(t *testing.T) {
	for name, cs := range edgeBlocks() {
		_, cols := blockColumns(cs)
		ref := valueClasses(make([]byte, len(cs)), cols[colVol])
		cls := make([]byte, len(cs))
		for c, col := range cols {
			for _, delta := range []bool{false, true} {
				for _, r := range [][]byte{nil, ref} {
					if got, want := huffSize(col, delta, r), len(encodeHuff4(col, delta, r, cls)); got != want {
						t.Fatalf("%s column %d (delta %v, ref %v): huffSize %d, coded %d", name, c, delta, r != nil, got, want)
					}
				}
			}
		}
	}
}

// decodeSymbols decodes len(dst) symbols with tab, as decodeHuff4 does
// row by row.
func (br *bitReader) decodeSymbols(tab *[256]uint16, dst []byte) error {
	pos, limit, b := br.pos, br.limit, br.b
	for i := 0; i < len(dst); {
		if pos > limit {
			return fmt.Errorf("%w: candle block codes cut short", ErrCorrupt)
		}
		// 56 bits in hand: seven codes of at most 8 bits.
		buf := binary.LittleEndian.Uint64(b[pos>>3:]) >> (pos & 7)
		used := uint(0)
		for k := min(len(dst)-i, 7); k > 0; k-- {
			t := tab[byte(buf)]
			if t&huffValid == 0 {
				return fmt.Errorf("%w: candle block code", ErrCorrupt)
			}
			l := uint(t>>huffLenShift) & 15
			buf >>= l
			used += l
			dst[i] = byte(t)
			i++
		}
		pos += used
	}
	if pos > limit {
		return fmt.Errorf("%w: candle block codes cut short", ErrCorrupt)
	}
	br.pos = pos
	return nil
}
