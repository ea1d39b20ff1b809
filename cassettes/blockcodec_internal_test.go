package cassettes

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
)

// legacyEncoders make blocks of every kind this build reads but no longer
// writes.
var legacyEncoders = map[byte]func([]cc.Candle) []byte{
	kindBlock1: encodeBlock1, kindBlock2: encodeBlock2, kindBlock3: encodeBlock3,
}

// Every kind in the table reads the same candles whichever way it is
// read: whole, by window (with more telling whether the window ended in
// the block) and by times only.
func TestEveryBlockKindReadsTheSameWholeByWindowAndByTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	cs := randomCandles(rng, 700)
	encoders := map[byte]func([]cc.Candle) []byte{kindBlockNewest: encodeBlock}
	for k, enc := range legacyEncoders {
		encoders[k] = enc
	}
	kinds := 0
	for k, c := range blockCodecs {
		if c == nil {
			continue
		}
		kinds++
		if (c.encode != nil) != (k == kindBlockNewest) {
			t.Errorf("kind %d has an encoder: %v; only the newest kind, %d, is written", k, c.encode != nil, kindBlockNewest)
		}
		if encoders[byte(k)] == nil {
			t.Errorf("kind %d is read but has no encoder to test it with", k)
		}
	}
	if kinds != 4 || len(encoders) != kinds {
		t.Fatalf("%d kinds in the table, %d encoders", kinds, len(encoders))
	}
	for kind, enc := range encoders {
		v := enc(cs)
		t.Run(fmt.Sprintf("kind %d", kind), func(t *testing.T) {
			if v[0] != kind {
				t.Fatalf("encoder wrote kind %d", v[0])
			}
			all, err := decodeBlock(v)
			if err != nil || !equalCandles(all, cs) {
				t.Fatalf("whole: %d candles, %v", len(all), err)
			}
			codec, p, err := blockCodecOf(v)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range [][2]int{{0, 700}, {100, 200}, {0, 1}, {699, 700}, {350, 350}} {
				start, end := cs[w[0]].OpenTime, int64(maxTime)
				if w[1] < len(cs) {
					end = cs[w[1]].OpenTime
				}
				prefix := []cc.Candle{{OpenTime: -1}}
				got, more, err := codec.window(prefix, p, start, end)
				if err != nil {
					t.Fatalf("window %v: %v", w, err)
				}
				if got[0].OpenTime != -1 || !equalCandles(got[1:], cs[w[0]:w[1]]) {
					t.Errorf("window %v: %d candles after dst's, want %d", w, len(got)-1, w[1]-w[0])
				}
				if wantMore := w[1] == len(cs); more != wantMore {
					t.Errorf("window %v: more = %v, want %v", w, more, wantMore)
				}
			}
			i := 0
			err = codec.times(p, func(open int64, closed bool) {
				if i < len(cs) && (open != cs[i].OpenTime || closed != cs[i].Closed) {
					t.Errorf("times row %d: %d %v, want %d %v", i, open, closed, cs[i].OpenTime, cs[i].Closed)
				}
				i++
			})
			if err != nil || i != len(cs) {
				t.Errorf("times: %d rows, %v", i, err)
			}
		})
	}
}

// Bytes that are no block kind (the other record kinds, numbers past the
// newest) are refused as damage, never read as some block.
func TestBytesThatAreNoBlockKindAreCorrupt(t *testing.T) {
	for _, k := range []byte{0, kindInteraction, kindFrames, kindTemplate, kindBlockNewest + 1, 0xff} {
		if _, err := decodeBlock([]byte{k, 0, 0, 0}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("kind %d: %v, want ErrCorrupt", k, err)
		}
	}
	if _, err := decodeBlock(nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("empty block: %v, want ErrCorrupt", err)
	}
}

// A cassette is written in the newest kind only: every block, including
// one merged with a block of an old kind already in the file.
func TestBlocksAreWrittenInTheNewestKindOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kinds.cassette")
	c, err := Open(path, 0o644, &Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	cs := walk(rand.New(rand.NewPCG(6, 6)), 2500, 60_000)
	// One block of an old kind, as a file recorded by an older build holds.
	oldKey := timeKey(blockStart(cc.Interval1m, cs[0].OpenTime))
	sk := SeriesKey{"BTCUSDT", cc.Interval1m}
	err = c.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketCandles).CreateBucketIfNotExists(sk.bucket())
		if err != nil {
			return err
		}
		if err := c.sealed.put(b, oldKey, encodeBlock3(cs[:10])); err != nil {
			return err
		}
		list := seriesList{string(sk.bucket()): 10}
		return putSeriesList(tx, list)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddCandles(Series{Symbol: sk.Symbol, Interval: sk.Interval, Candles: cs[5:]}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, 0, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	blocks := 0
	err = r.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCandles).Bucket(sk.bucket()).ForEach(func(k, v []byte) error {
			p, ok := r.sealed.check(k, v)
			if !ok {
				return ErrChecksum
			}
			if p[0] != kindBlockNewest {
				t.Errorf("block %d is kind %d, want %d", keyTime(k), p[0], kindBlockNewest)
			}
			blocks++
			return nil
		})
	})
	if err != nil || blocks < 3 {
		t.Fatalf("%d blocks, %v", blocks, err)
	}
	got, err := r.Candles(sk.Symbol, sk.Interval, minTime, maxTime)
	if err != nil || !equalCandles(got, cs) {
		t.Fatalf("read back %d candles, want %d: %v", len(got), len(cs), err)
	}
}

func equalCandles(a, b []cc.Candle) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
