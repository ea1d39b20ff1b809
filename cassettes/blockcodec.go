package cassettes

import (
	"fmt"

	cc "github.com/candlecassette/candlecassette"
)

// Candle blocks come in kinds, told apart by their first byte (kinds.go).
// Every kind is read through its codec in blockCodecs, so the readers
// (Candles, Coverage, readBlock) never ask which kind a block is. Only
// the newest kind has an encoder: every block written, new or merged
// with an old one, is written in it (encodeBlock). The older kinds are
// gathered in the legacy reader (block_legacy.go).

// blockCodec reads one kind of candle block, and writes it if it is the
// newest kind. p is the block after its kind byte.
type blockCodec struct {
	// encode writes cs, sorted by open time, as a whole block, kind byte
	// included. Only the newest kind has one.
	encode func(cs []cc.Candle) []byte
	// decode builds every row of the block. Scales are checked by
	// decodeBlock, not here.
	decode func(p []byte) ([]cc.Candle, error)
	// window appends to dst the rows opening in [start, end), building
	// as few others as the kind allows, and checks their scales. more is
	// false once a row at or past end was seen.
	window func(dst []cc.Candle, p []byte, start, end int64) (out []cc.Candle, more bool, err error)
	// times calls fn with every row's open time and closed flag, decoding
	// as little else as the kind allows (what Coverage needs).
	times func(p []byte, fn func(open int64, closed bool)) error
}

// blockCodecs maps a kind byte to the codec of its blocks; nil for a byte
// that is not a candle block kind.
var blockCodecs = [...]*blockCodec{
	kindBlock1: legacyBlock1,
	kindBlock2: legacyBlock2,
	kindBlock3: legacyBlock3,
	kindBlock4: {encode: encodeBlock4, decode: decodeBlock4, window: appendRange4, times: blockTimes4},
}

// kindBlockNewest is the kind every block is written in.
const kindBlockNewest = kindBlock4

// encodeBlock encodes cs, sorted by open time, as a block of the newest
// kind.
func encodeBlock(cs []cc.Candle) []byte { return blockCodecs[kindBlockNewest].encode(cs) }

// blockCodecOf returns the codec of block v and the block after its kind
// byte.
func blockCodecOf(v []byte) (*blockCodec, []byte, error) {
	if len(v) == 0 || int(v[0]) >= len(blockCodecs) || blockCodecs[v[0]] == nil {
		return nil, nil, fmt.Errorf("%w: candle block of unknown kind", ErrCorrupt)
	}
	return blockCodecs[v[0]], v[1:], nil
}

// decodeBlock decodes a candle block of any kind and checks what the
// formats cannot: every decimal's scale is one a Decimal supports (a
// damaged scale byte would otherwise decode fine and panic when served).
func decodeBlock(v []byte) ([]cc.Candle, error) {
	codec, p, err := blockCodecOf(v)
	if err != nil {
		return nil, err
	}
	cs, err := codec.decode(p)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if err := checkScales(&cs[i]); err != nil {
			return nil, err
		}
	}
	return cs, nil
}
