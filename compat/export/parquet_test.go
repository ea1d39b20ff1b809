package export_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
)

const dataDir = "../../../shared/data"

// sourceRows reads a shared data file's rows (no header) as fields.
func sourceRows(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, name))
	if err != nil {
		t.Skipf("shared data: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc = bufio.NewScanner(zr)
	}
	var out [][]string
	for first := true; sc.Scan(); first = false {
		if !first {
			out = append(out, strings.Split(strings.TrimRight(sc.Text(), "\r"), ","))
		}
	}
	return out
}

// wantRow is what one exported row must hold: the source file's values.
type wantRow struct {
	open, closeTime int64
	dec             map[string]string // column → the file's digits
	trades          int64
}

// TestParquetReadBackWithArrow exports the imported real month of BTCUSDT
// 1m (and the real 12-field day) to Parquet with candlecassette (written
// by parquet-go) and reads the file back with Apache Arrow's Parquet
// reader: the schema's physical and logical types, and every value of
// every row against the source files.
func TestParquetReadBackWithArrow(t *testing.T) {
	month := sourceRows(t, "binance-spot-BTCUSDT-1m-2024-01.csv.gz")
	day := sourceRows(t, "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv")
	dir := t.TempDir()
	cas := filepath.Join(dir, "month.cassette")
	c, closeFn, err := bulk.OpenWritable(cas, "binance_spot", "test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bulk.Import(c, []string{filepath.Join(dataDir, "binance-spot-BTCUSDT-1m-2024-01.csv.gz"), filepath.Join(dataDir, "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv")}, bulk.ImportOptions{})
	if cerr := closeFn(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	out := filepath.Join(dir, "month.parquet")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bulk.Export(cas, f, bulk.ExportOptions{Format: bulk.FormatParquet})
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	if res.Rows != int64(len(month)+len(day)) {
		t.Fatalf("exported %d rows, want %d", res.Rows, len(month)+len(day))
	}

	// The rows expected, oldest first: the day of 2020, then the month.
	ms := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	var want []wantRow
	for _, fs := range day {
		var n int64
		fmt.Sscan(fs[8], &n)
		var ct int64
		fmt.Sscan(fs[6], &ct)
		want = append(want, wantRow{open: ms(fs[0]), closeTime: ct, trades: n, dec: map[string]string{
			"open": fs[1], "high": fs[2], "low": fs[3], "close": fs[4], "volume": fs[5],
			"quote_volume": fs[7], "taker_buy_base": fs[9], "taker_buy_quote": fs[10]}})
	}
	for _, fs := range month {
		open := ms(fs[0])
		want = append(want, wantRow{open: open, closeTime: open + 59_999, dec: map[string]string{
			"open": fs[1], "high": fs[2], "low": fs[3], "close": fs[4], "volume": fs[5],
			"quote_volume": "0", "taker_buy_base": "0", "taker_buy_quote": "0"}})
	}

	// Arrow's low-level reader: physical and logical types.
	rdr, err := file.OpenParquetFile(out, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	if rdr.NumRows() != int64(len(want)) {
		t.Fatalf("file has %d rows, want %d", rdr.NumRows(), len(want))
	}
	sc := rdr.MetaData().Schema
	scales := map[string]int32{}
	for i := 0; i < sc.NumColumns(); i++ {
		col := sc.Column(i)
		name := col.Name()
		lt := col.LogicalType()
		switch name {
		case "open_time", "close_time":
			ts, ok := lt.(interface {
				TimeUnit() schema.TimeUnitType
				IsAdjustedToUTC() bool
			})
			if !ok || col.PhysicalType() != parquet.Types.Int64 || ts.TimeUnit() != schema.TimeUnitMillis || !ts.IsAdjustedToUTC() {
				t.Fatalf("%s: %s %s, want INT64 TIMESTAMP(MILLIS, UTC)", name, col.PhysicalType(), lt)
			}
		case "exchange", "symbol", "interval":
			if !lt.Equals(schema.StringLogicalType{}) || col.PhysicalType() != parquet.Types.ByteArray {
				t.Fatalf("%s: %s %s, want BYTE_ARRAY STRING", name, col.PhysicalType(), lt)
			}
		case "trades":
			if col.PhysicalType() != parquet.Types.Int64 {
				t.Fatalf("trades: %s, want INT64", col.PhysicalType())
			}
		default:
			d, ok := lt.(interface {
				Precision() int32
				Scale() int32
			})
			if !ok || col.PhysicalType() != parquet.Types.Int64 || d.Precision() != 18 {
				t.Fatalf("%s: %s %s, want INT64 DECIMAL(18, s)", name, col.PhysicalType(), lt)
			}
			scales[name] = d.Scale()
		}
	}
	// The scale of each column is the most digits any value has: 8 for
	// every column here (the 12-field day has 8 everywhere).
	for _, name := range []string{"open", "high", "low", "close", "volume", "quote_volume", "taker_buy_base", "taker_buy_quote"} {
		if scales[name] != 8 {
			t.Fatalf("column %s scale %d, want 8 (columns %v)", name, scales[name], scales)
		}
	}

	// pqarrow: every value.
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 8192}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	sch := tbl.Schema()
	column := func(name string) []arrow.Array {
		idx := sch.FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s in %s", name, sch)
		}
		return tbl.Column(idx[0]).Data().Chunks()
	}
	// value(name, row) walks chunks.
	at := func(chunks []arrow.Array, row int) (arrow.Array, int) {
		for _, ch := range chunks {
			if row < ch.Len() {
				return ch, row
			}
			row -= ch.Len()
		}
		t.Fatalf("row %d past the column", row)
		return nil, 0
	}
	for _, name := range []string{"open_time", "close_time"} {
		typ, ok := sch.Field(sch.FieldIndices(name)[0]).Type.(*arrow.TimestampType)
		if !ok || typ.Unit != arrow.Millisecond {
			t.Fatalf("%s read as %s, want timestamp[ms]", name, sch.Field(sch.FieldIndices(name)[0]).Type)
		}
	}
	strCols := map[string]string{"exchange": "binance_spot", "symbol": "BTCUSDT", "interval": "1m"}
	for i, w := range want {
		for name, v := range strCols {
			a, j := at(column(name), i)
			if got := a.(*array.String).Value(j); got != v {
				t.Fatalf("row %d %s: %q, want %q", i, name, got, v)
			}
		}
		a, j := at(column("open_time"), i)
		if got := int64(a.(*array.Timestamp).Value(j)); got != w.open {
			t.Fatalf("row %d open_time %d, want %d", i, got, w.open)
		}
		a, j = at(column("close_time"), i)
		if got := int64(a.(*array.Timestamp).Value(j)); got != w.closeTime {
			t.Fatalf("row %d close_time %d, want %d", i, got, w.closeTime)
		}
		a, j = at(column("trades"), i)
		if got := a.(*array.Int64).Value(j); got != w.trades {
			t.Fatalf("row %d trades %d, want %d", i, got, w.trades)
		}
		for name, digits := range w.dec {
			a, j := at(column(name), i)
			var got string
			switch d := a.(type) {
			case *array.Decimal128:
				got = d.Value(j).ToString(scales[name])
			case *array.Decimal64:
				got = d.Value(j).ToString(scales[name])
			default:
				t.Fatalf("%s read as %T", name, a)
			}
			// Exact: the same number as the file's digits, at the column's scale.
			if cc.MustDecimal(got).Cmp(cc.MustDecimal(digits)) != 0 || got != cc.MustDecimal(digits).Fixed(int(scales[name])) {
				t.Fatalf("row %d %s: %s, the file has %s", i, name, got, digits)
			}
		}
	}
}

// TestParquetWideDecimalsAndSource: a column whose values need more than
// 18 digits at its scale (each value fits an int64, but 11 integer digits
// and 12 fractional ones do not together) is DECIMAL(38, s) over a 16-byte fixed array,
// exact; --source both adds a string source column. Read with Arrow.
func TestParquetWideDecimalsAndSource(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "WIDEUSDT-1h-2024-01.csv")
	rows := "open_time,open,high,low,close,volume,quote_volume\n" +
		"1704067200000,1.5,2.25,1.125,2,12345678901.1234567,98765432109876.5432\n" +
		"1704070800000,2,3,1,2.5,0.000000000001,0.00000001\n"
	os.WriteFile(src, []byte(rows), 0o644)
	cas := filepath.Join(dir, "wide.cassette")
	c, closeFn, err := bulk.OpenWritable(cas, "binance_spot", "test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bulk.Import(c, []string{src}, bulk.ImportOptions{})
	if cerr := closeFn(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	out := filepath.Join(dir, "wide.parquet")
	f, _ := os.Create(out)
	res, err := bulk.Export(cas, f, bulk.ExportOptions{Format: bulk.FormatParquet, Source: bulk.SourceBoth})
	f.Close()
	if err != nil || res.Rows != 2 {
		t.Fatalf("export: %d rows, %v", res.Rows, err)
	}
	rdr, err := file.OpenParquetFile(out, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	get := func(name string) arrow.Array {
		idx := tbl.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s", name)
		}
		return tbl.Column(idx[0]).Data().Chunk(0)
	}
	want := map[string][2]string{
		"volume":       {"12345678901.1234567", "0.000000000001"},
		"quote_volume": {"98765432109876.5432", "0.00000001"},
		"open":         {"1.500", "2.000"},
	}
	for name, w := range want {
		col := rdr.MetaData().Schema.Column(rdr.MetaData().Schema.ColumnIndexByName(name))
		d := col.LogicalType().(interface {
			Precision() int32
			Scale() int32
		})
		for i := 0; i < 2; i++ {
			got := get(name).(*array.Decimal128).Value(i).ToString(d.Scale())
			if cc.MustDecimal(got).Cmp(cc.MustDecimal(w[i])) != 0 {
				t.Fatalf("%s row %d: %s, want %s (DECIMAL(%d,%d))", name, i, got, w[i], d.Precision(), d.Scale())
			}
		}
		wantWide := name != "open"
		if (col.PhysicalType() == parquet.Types.FixedLenByteArray) != wantWide || (d.Precision() == 38) != wantWide {
			t.Fatalf("%s: %s DECIMAL(%d,%d); want wide=%v", name, col.PhysicalType(), d.Precision(), d.Scale(), wantWide)
		}
	}
	for i := 0; i < 2; i++ {
		if s := get("source").(*array.String).Value(i); s != "recorded" {
			t.Fatalf("source row %d: %q", i, s)
		}
	}
}
