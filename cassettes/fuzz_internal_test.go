package cassettes

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// FuzzDecodeBlock: a damaged candle block (any kind) decodes to an error
// or to candles that can be served: every decimal formats without a panic.
func FuzzDecodeBlock(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 60} {
		cs := randomCandles(rng, n)
		f.Add(encodeBlock1(cs))
		f.Add(encodeBlock2(cs))
		f.Add(encodeBlock3(cs))
		f.Add(encodeBlock4(cs))
		writeHuff0 = true
		f.Add(encodeBlock4(cs))
		writeHuff0 = false
	}
	f.Add([]byte{})
	f.Add([]byte{kindBlock3, 0xff, 0xff, 0xff, 0x07})
	f.Add([]byte{kindBlock4, 0xff, 0xff, 0xff, 0x07})
	f.Add([]byte{kindBlock2, 0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, v []byte) {
		serve := func(cs []cc.Candle) {
			for i := range cs {
				for _, d := range decimals(&cs[i]) {
					_ = d.String()
					_ = d.Float64()
				}
			}
		}
		if codec, p, err := blockCodecOf(v); err == nil {
			// A window read decodes only part of a block, and a coverage
			// scan only its times: they must hold up the same way.
			all, _, err := codec.window(nil, p, minTime, maxTime)
			if err == nil {
				serve(all)
				if len(all) > 2 {
					win, _, err := codec.window(nil, p, all[1].OpenTime, all[len(all)-1].OpenTime)
					if err == nil {
						serve(win)
					}
				}
			}
			_ = codec.times(p, func(int64, bool) {})
		}
		cs, err := decodeBlock(v)
		if err != nil {
			return
		}
		serve(cs)
	})
}

// FuzzDecodeFrames: a damaged frame chunk decodes to an error or frames.
func FuzzDecodeFrames(f *testing.F) {
	f.Add(encodeFrames([]Frame{{Dir: 1, Opcode: 1, Offset: time.Second, Stream: "btcusdt@kline_1m", Payload: []byte(`{"e":"kline"}`)}}))
	f.Add(encodeFrames(nil))
	f.Add([]byte{kindFrames})
	f.Fuzz(func(t *testing.T, v []byte) {
		fs, err := decodeFrames(1, 1, v)
		if err == nil && len(fs) > len(v)*64 {
			t.Fatalf("%d frames from %d bytes", len(fs), len(v))
		}
	})
}

// FuzzDecodeRecords: damaged interaction and connection records decode to
// errors or values, never a panic (templates need a transaction and are
// left to the corrupt-file tests).
func FuzzDecodeRecords(f *testing.F) {
	ix := &Interaction{Method: "GET", Path: "/api/v3/klines", Query: "symbol=BTCUSDT", Status: 200,
		RequestHeader: http.Header{"Accept": {"*/*"}}, ResponseHeader: http.Header{"Content-Type": {"application/json"}},
		Body: []byte("[]"), Start: time.Unix(1700000000, 0), Duration: time.Millisecond}
	f.Add(encodeInteraction(ix, nil))
	f.Add(encodeConn(&Conn{URL: "/ws", Start: time.Unix(1700000000, 0), Streams: map[string]int64{"a": 1}}))
	f.Add([]byte{kindInteraction})
	f.Fuzz(func(t *testing.T, v []byte) {
		if len(v) == 0 || v[0] != kindTemplate {
			decodeInteraction(nil, false, 1, v)
		}
		decodeConn(1, v)
	})
}

// A damaged scale byte used to decode into a Decimal that panicked when
// formatted; every block kind now refuses it as corrupt.
func TestBlockWithAnImpossibleScaleIsCorrupt(t *testing.T) {
	for _, scale := range []int8{-1, -100, 19, 127} {
		cs := randomCandles(rand.New(rand.NewPCG(1, 1)), 3)
		cs[1].Open.Scale = scale
		for kind, enc := range map[string][]byte{
			"block1": encodeBlock1(cs), "block2": encodeBlock2(cs), "block3": encodeBlock3(cs), "block4": encodeBlock4(cs),
		} {
			if got, err := decodeBlock(enc); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s with scale %d: %d candles, %v; want ErrCorrupt", kind, scale, len(got), err)
			}
		}
	}
}
