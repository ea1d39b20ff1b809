package cassettes

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden kind-4 candle blocks in testdata")

// The golden blocks were written by the kind-4 encoder (one with huff0
// columns, as the first kind-4 writers made them, one with the Huffman
// columns of later ones). Whatever the encoder becomes, the reader must
// keep decoding them to the same candles: cassettes in the field hold
// such blocks.
func TestGoldenBlock4sStillDecode(t *testing.T) {
	cs := walk(rand.New(rand.NewPCG(11, 11)), 300, 60_000)
	for name, huff0 := range map[string]bool{"block4-huff0.golden": true, "block4-huffman.golden": false} {
		path := filepath.Join("testdata", name)
		if *updateGolden {
			writeHuff0 = huff0
			v := encodeBlock4(cs)
			writeHuff0 = false
			if err := os.WriteFile(path, v, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		v, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeBlock(v)
		if err != nil || len(got) != len(cs) {
			t.Fatalf("%s: %d candles, %v", name, len(got), err)
		}
		for i := range cs {
			if got[i] != cs[i] {
				t.Fatalf("%s candle %d:\n got %+v\nwant %+v", name, i, got[i], cs[i])
			}
		}
		win, _, err := appendRange4(nil, v[1:], cs[100].OpenTime, cs[200].OpenTime)
		if err != nil || len(win) != 100 || win[0] != cs[100] || win[99] != cs[199] {
			t.Fatalf("%s window: %d candles, %v", name, len(win), err)
		}
	}
}
