package cassettes

import (
	"github.com/klauspost/compress/fse"

	cc "github.com/candlecassette/candlecassette"
)

// The encoders of the legacy block kinds, as the builds that wrote them
// had them: this build writes the newest kind only (encodeBlock), and the
// tests use these to make blocks of the old kinds for the legacy reader
// (block_legacy.go) to read back.

// encodeBlock1 writes a kind-1 block: candles column by column with
// plain deltas, then zstd.
func encodeBlock1(cs []cc.Candle) []byte {
	b := make([]byte, 0, 16+len(cs)*40)
	b = appendUvarint(b, uint64(len(cs)))
	var prev int64
	for _, c := range cs {
		b = appendVarint(b, c.OpenTime-prev)
		prev = c.OpenTime
	}
	for _, c := range cs {
		b = appendVarint(b, c.CloseTime-c.OpenTime)
	}
	for f := range numDecimals {
		var pu int64
		for _, c := range cs {
			d := decimals(&c)[f]
			b = append(b, byte(d.Scale))
			b = appendVarint(b, d.Units-pu)
			pu = d.Units
		}
	}
	prev = 0
	for _, c := range cs {
		b = appendVarint(b, c.Trades-prev)
		prev = c.Trades
	}
	for _, c := range cs {
		if c.Closed {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return compress([]byte{kindBlock1}, b)
}

// encodeBlock2 writes a kind-2 block: the columns of block.go as varints,
// then zstd.
func encodeBlock2(cs []cc.Candle) []byte {
	// Common powers of ten: one for the price group, one per other column.
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

	b := make([]byte, 0, 32+len(cs)*24)
	b = appendUvarint(b, uint64(len(cs)))
	for _, zf := range z {
		b = append(b, byte(zf))
	}
	var prev int64
	for _, c := range cs {
		b = appendVarint(b, c.OpenTime-prev)
		prev = c.OpenTime
	}
	for _, c := range cs {
		b = appendVarint(b, c.CloseTime-c.OpenTime)
	}
	for f := range numDecimals {
		for i := range cs {
			b = append(b, byte(decimals(&cs[i])[f].Scale))
		}
	}
	u := func(c *cc.Candle, f int) int64 { return decimals(c)[f].Units / pow10i[z[f]] }
	var prevClose int64
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fOpen)-prevClose)
		prevClose = u(&cs[i], fClose)
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fClose)-u(&cs[i], fOpen))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fHigh)-max(u(&cs[i], fOpen), u(&cs[i], fClose)))
	}
	for i := range cs {
		b = appendVarint(b, min(u(&cs[i], fOpen), u(&cs[i], fClose))-u(&cs[i], fLow))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fVolume))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fQuote)-predictQuote(&cs[i], z[fQuote]))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fTBB))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fTBQ)-predictTBQ(&cs[i], z[fTBQ]))
	}
	for _, c := range cs {
		b = appendVarint(b, c.Trades)
	}
	for _, c := range cs {
		if c.Closed {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return compress([]byte{kindBlock2}, b)
}

// encodeBlock3 writes a kind-3 block: the columns of block.go as byte
// planes.
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
