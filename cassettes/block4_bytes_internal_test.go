package cassettes

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// The kind-4 encoder is tuned for speed (bulk imports spend most of their
// time in it), but what it writes must not move by a byte: cassettes and
// their checksums are compared across versions, and a merge that
// rewrites an unchanged block must give the same file. These tests pin
// the encoder's output on a corpus that reaches every column coding
// (constants, Huffman classes plain, as steps and against a reference,
// byte planes, huff0 columns) to digests taken from the encoder before
// its speed-ups.

// block4Corpus is a set of candle runs, by name.
func block4Corpus() map[string][]cc.Candle {
	out := edgeBlocks()
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 100+seed))
		out["walk "+strconv.FormatUint(seed, 10)] = walk(rng, 200+int(seed)*300, 60_000)
		out["random "+strconv.FormatUint(seed, 10)] = randomCandles(rng, 100+int(seed)*350)
		// Prices in steps of 5 ticks, few distinct volumes and trade
		// counts: columns of few distinct values that are not small,
		// which byte planes code best.
		st := walk(rng, 1000, 60_000)
		for i := range st {
			c := &st[i]
			for _, d := range []*cc.Decimal{&c.Open, &c.High, &c.Low, &c.Close} {
				d.Units = d.Units / 500 * 500
			}
			c.High.Units, c.Low.Units = max(c.High.Units, c.Open.Units, c.Close.Units), min(c.Low.Units, c.Open.Units, c.Close.Units)
			c.Volume.Units = int64(1+rng.IntN(4+int(seed))) * 1_234_500_000
			c.TakerBuyBase.Units = c.Volume.Units / int64(1+rng.IntN(3))
			c.Trades = int64(rng.IntN(3+int(seed))) * 1000
		}
		out["steps "+strconv.FormatUint(seed, 10)] = st
	}
	return out
}

// digest is the first 8 bytes of the SHA-256 of v, in hex.
func digest(v []byte) string {
	h := sha256.Sum256(v)
	return hex.EncodeToString(h[:8])
}

func TestBlock4EncoderOutputIsUnchanged(t *testing.T) {
	want := map[string]string{}
	got := map[string]string{}
	corpus := block4Corpus()
	for name, cs := range corpus {
		got[name] = digest(encodeBlock4(cs))
		writeHuff0 = true
		got[name+" (huff0)"] = digest(encodeBlock4(cs))
		writeHuff0 = false
	}
	for name, d := range block4Digests {
		want[name] = d
	}
	checkDigests(t, got, want)
}

func checkDigests(t *testing.T, got, want map[string]string) {
	t.Helper()
	for name, d := range got {
		if want[name] != d {
			t.Errorf("%s: encoded block digest %s, want %s", name, d, want[name])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d digests, want %d", len(got), len(want))
	}
	if t.Failed() {
		for name, d := range got {
			t.Logf("%q: %q,", name, d)
		}
	}
}

// realSeries reads a Binance kline CSV of the shared data (12 columns,
// the close time in the 7th) as candles of ivMs; nil when it is absent.
func realSeries(t *testing.T, name string, ivMs int64) []cc.Candle {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "shared", "data", name))
	if err != nil {
		return nil
	}
	defer f.Close()
	var cs []cc.Candle
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ",")
		ct, err := strconv.ParseInt(fs[6], 10, 64)
		if err != nil {
			continue // the header
		}
		d := func(i int) cc.Decimal { return cc.MustDecimal(fs[i]) }
		tr, _ := strconv.ParseInt(fs[8], 10, 64)
		cs = append(cs, cc.Candle{OpenTime: ct + 1 - ivMs, CloseTime: ct, Open: d(1), High: d(2), Low: d(3), Close: d(4), Volume: d(5),
			QuoteVolume: d(7), Trades: tr, TakerBuyBase: d(9), TakerBuyQuote: d(10), Closed: true})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestBlock4EncoderOutputIsUnchangedOnRealCandles(t *testing.T) {
	got := map[string]string{}
	for _, f := range []struct {
		name string
		iv   int64
	}{
		{"binance-spot-BTCUSDT-1m-2020-12-01-12col.csv", 60_000},
		{"binance-spot-BTCUSDT-1h-2021-Q1.csv", 3_600_000},
		{"binance-spot-BTCUSDT-1h-2022-01.csv", 3_600_000},
	} {
		cs := realSeries(t, f.name, f.iv)
		if cs == nil {
			t.Skipf("shared data: %s is absent", f.name)
		}
		for i := 0; i < len(cs); i += blockLen {
			got[f.name+" @"+strconv.Itoa(i)] = digest(encodeBlock4(cs[i:min(i+blockLen, len(cs))]))
		}
	}
	checkDigests(t, got, realDigests)
}

var block4Digests = map[string]string{
	"a scale change mid-block (huff0)":                     "a53d6bcb17483a44",
	"a scale change mid-block":                             "cd6b20201f7c16a6",
	"an odd size (huff0)":                                  "1286b99a03b30af8",
	"an odd size":                                          "0125c9a912ce8faa",
	"extreme values (huff0)":                               "a526ce32398d6217",
	"extreme values":                                       "6d1eec952367e65f",
	"market-like (huff0)":                                  "5834900129539a26",
	"market-like with zero-volume candles (huff0)":         "51955b2b38e00668",
	"market-like with zero-volume candles":                 "800f6b2a3f2f7e40",
	"market-like":                                          "8fd230c08bbb0b0f",
	"negative, irregular times and an open candle (huff0)": "954a2ddd1ffeab80",
	"negative, irregular times and an open candle":         "78c0a3aaa3e15947",
	"one candle (huff0)":                                   "730b33da2de6722c",
	"one candle":                                           "730b33da2de6722c",
	"random 0 (huff0)":                                     "f5edae0dbff6dbdc",
	"random 0":                                             "ca8d645fe90e9a07",
	"random 1 (huff0)":                                     "5d7918c8f933573a",
	"random 1":                                             "d4b2e65c6988d61f",
	"random 2 (huff0)":                                     "f1d2bf905ff46152",
	"random 2":                                             "a1ebc5bcff6a9d70",
	"random 3 (huff0)":                                     "e28e2abfab3897f8",
	"random 3":                                             "966d7d5a44c80b00",
	"random 4 (huff0)":                                     "65d323fabea17091",
	"random 4":                                             "e4dd40c293632ebe",
	"random 5 (huff0)":                                     "4385e2eef993fb94",
	"random 5":                                             "112e29c3c4f03d97",
	"steps 0 (huff0)":                                      "ca8e327b384e7246",
	"steps 0":                                              "7173a7d7c53b6ad5",
	"steps 1 (huff0)":                                      "cc339146d57d1f91",
	"steps 1":                                              "f90f1e73d4cfe5f3",
	"steps 2 (huff0)":                                      "5564adbb6e6fd827",
	"steps 2":                                              "849d72fc34a0a47e",
	"steps 3 (huff0)":                                      "c9ba5e8d73892d9e",
	"steps 3":                                              "70356048e8d7567e",
	"steps 4 (huff0)":                                      "993f31d8ed10cf8a",
	"steps 4":                                              "cd9dab2458e84d72",
	"steps 5 (huff0)":                                      "6ea53cead25cbca6",
	"steps 5":                                              "7ab764311270c64c",
	"the largest block (huff0)":                            "41ab153863fbe44c",
	"the largest block":                                    "dfe3d200fa9e286e",
	"two candles (huff0)":                                  "9ce529438af4e804",
	"two candles":                                          "165ec2bcf650e87d",
	"walk 0 (huff0)":                                       "845548f79e521e7d",
	"walk 0":                                               "f554cf5328b6a031",
	"walk 1 (huff0)":                                       "fdef37903ea75a2e",
	"walk 1":                                               "cab2488e03b5276d",
	"walk 2 (huff0)":                                       "f72cf269b685b2aa",
	"walk 2":                                               "3c2aa213dd7aae47",
	"walk 3 (huff0)":                                       "9bb59a4c76d0dbcb",
	"walk 3":                                               "5a8ffc93453e53df",
	"walk 4 (huff0)":                                       "dfc161a8e365f10f",
	"walk 4":                                               "ca2f1ed025cdbea1",
	"walk 5 (huff0)":                                       "b2b5c6775aeee311",
	"walk 5":                                               "0f8739da0b513c8b",
	"zero prices and volumes (huff0)":                      "1379478e21c7c2d4",
	"zero prices and volumes":                              "1379478e21c7c2d4",
}

var realDigests = map[string]string{
	"binance-spot-BTCUSDT-1h-2021-Q1.csv @0":             "063456b447fdc1d8",
	"binance-spot-BTCUSDT-1h-2021-Q1.csv @1000":          "86b79dbf44aa4ca4",
	"binance-spot-BTCUSDT-1h-2021-Q1.csv @2000":          "a14ad272becd6f90",
	"binance-spot-BTCUSDT-1h-2022-01.csv @0":             "6a6b9c0fdcbeb10f",
	"binance-spot-BTCUSDT-1m-2020-12-01-12col.csv @0":    "0cd484cf13687046",
	"binance-spot-BTCUSDT-1m-2020-12-01-12col.csv @1000": "ba5cbd4cdcb8f957",
}
