package bulk_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
	"github.com/candlecassette/candlecassette/cassettes"
)

// dataDir is the shared real Binance data (read in place).
const dataDir = "../../shared/data"

// readLines returns the lines of a file in dataDir (gunzipped), without
// line ends.
func readLines(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, name))
	if err != nil {
		t.Skipf("shared data: %v", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out = append(out, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// binanceRows tiles the real 12-field 1m rows of 2020-12-01 into n rows
// of Binance's headerless layout from open time start on: real values,
// real formatting, consecutive times.
func binanceRows(t testing.TB, n int, start int64) []byte {
	t.Helper()
	src := readLines(t, "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv")[1:]
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fs := strings.Split(src[i%len(src)], ",")
		open := start + int64(i)*60_000
		fs[0] = strconv.FormatInt(open, 10)
		fs[6] = strconv.FormatInt(open+59_999, 10)
		b.WriteString(strings.Join(fs, ","))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// importInto opens path for exchange and imports files.
func importInto(t testing.TB, path, exchange string, files []string, o bulk.ImportOptions) (bulk.ImportResult, error) {
	t.Helper()
	c, closeFn, err := bulk.OpenWritable(path, exchange, "test")
	if err != nil {
		t.Fatal(err)
	}
	res, err := bulk.Import(c, files, o)
	if cerr := closeFn(); cerr != nil {
		t.Fatal(cerr)
	}
	return res, err
}

// openRO opens one exchange of a cassette read-only.
func openRO(t testing.TB, path, exchange string) *cassettes.Cassette {
	t.Helper()
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true, Exchange: exchange})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// writeZip writes an archive at path holding one entry.
func writeZip(t testing.TB, path, entry string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(entry)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeChecksum writes path.CHECKSUM as data.binance.vision does; bad
// gives a digest of other bytes.
func writeChecksum(t testing.TB, path string, bad bool) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bad {
		raw = append(raw, 'x')
	}
	sum := sha256.Sum256(raw)
	line := hex.EncodeToString(sum[:]) + "  " + filepath.Base(path) + "\n"
	if err := os.WriteFile(path+".CHECKSUM", []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fields splits CSV lines into fields.
func fields(lines []string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Split(l, ",")
	}
	return out
}

// candleFields are a candle's 11 Binance fields as stored (digits as
// imported).
func candleFields(c cc.Candle) []string {
	return []string{strconv.FormatInt(c.OpenTime, 10), c.Open.String(), c.High.String(), c.Low.String(), c.Close.String(),
		c.Volume.String(), strconv.FormatInt(c.CloseTime, 10), c.QuoteVolume.String(), strconv.FormatInt(c.Trades, 10),
		c.TakerBuyBase.String(), c.TakerBuyQuote.String()}
}

// allCandles reads a whole series.
func allCandles(t testing.TB, c *cassettes.Cassette, sym string, iv cc.Interval) []cc.Candle {
	t.Helper()
	cs, err := c.Candles(sym, iv, 0, 1<<50)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
