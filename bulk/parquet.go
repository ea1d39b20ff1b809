package bulk

import (
	"fmt"
	"io"
	"math/big"
	"reflect"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"

	cc "github.com/candlecassette/candlecassette"
)

// Parquet export (github.com/parquet-go/parquet-go). Columns are typed:
// exchange, symbol, interval (and source) are dictionary-encoded UTF-8
// strings; open_time and close_time are INT64 TIMESTAMP(MILLIS, UTC);
// trades is INT64; each price and volume column is a DECIMAL whose scale
// is the largest number of fractional digits any of its values has, so
// every value is held exactly (a value with fewer digits is the same
// number at the column's scale: "42320.0" is 42320.00000000 at scale 8).
// A column whose values fit 18 digits at that scale is DECIMAL(18, s)
// over INT64, else DECIMAL(38, s) over a 16-byte FIXED_LEN_BYTE_ARRAY.
// Decimals rather than strings: readers (Arrow, pandas, DuckDB, Spark)
// then do arithmetic on them without parsing, exactly, and a fixed scale
// per column is what SQL engines expect; the digits a value was written
// with (its own scale) are what the CSV and JSONL exports keep.
//
// parquet-go orders a group's columns by name; readers address columns by
// name.

// decimalColumns are the Decimal fields, by column name.
var decimalColumns = [...]string{"open", "high", "low", "close", "volume", "quote_volume", "taker_buy_base", "taker_buy_quote"}

func decimalsOf(c *cc.Candle) [8]cc.Decimal {
	return [8]cc.Decimal{c.Open, c.High, c.Low, c.Close, c.Volume, c.QuoteVolume, c.TakerBuyBase, c.TakerBuyQuote}
}

// decimalSpec is a decimal column's scale and storage.
type decimalSpec struct {
	scale, intDigits int
	wide             bool // FIXED_LEN_BYTE_ARRAY(16), precision 38
}

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func digits(u int64) int {
	if u < 0 {
		u = -u
	}
	n := 1
	for u >= 10 {
		u /= 10
		n++
	}
	return n
}

// see widens sp to hold d.
func (sp *decimalSpec) see(d cc.Decimal) {
	s := max(int(d.Scale), 0)
	sp.scale = max(sp.scale, s)
	// Digits are counted only when they may be more than seen.
	if t := sp.intDigits + s; t > 18 || d.Units < 0 || d.Units >= pow10[t] {
		sp.intDigits = max(sp.intDigits, digits(d.Units)-s)
	}
}

func writeParquet(w io.Writer, each, scan func(func([]Row) error) error, withSource bool) (int64, error) {
	// Pass 1: each column's scale and width (scan may call its function
	// from several goroutines).
	var specs [8]decimalSpec
	for i := range specs {
		specs[i].intDigits = 1
	}
	var mu sync.Mutex
	err := scan(func(rows []Row) error {
		var sp [8]decimalSpec
		for i := range sp {
			sp[i].intDigits = 1
		}
		for i := range rows {
			c := &rows[i].Candle
			sp[0].see(c.Open)
			sp[1].see(c.High)
			sp[2].see(c.Low)
			sp[3].see(c.Close)
			sp[4].see(c.Volume)
			sp[5].see(c.QuoteVolume)
			sp[6].see(c.TakerBuyBase)
			sp[7].see(c.TakerBuyQuote)
		}
		mu.Lock()
		defer mu.Unlock()
		for j := range specs {
			specs[j].scale = max(specs[j].scale, sp[j].scale)
			specs[j].intDigits = max(specs[j].intDigits, sp[j].intDigits)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	group := parquet.Group{
		"exchange":   parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"symbol":     parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"interval":   parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"open_time":  parquet.Timestamp(parquet.Millisecond),
		"close_time": parquet.Timestamp(parquet.Millisecond),
		"trades":     parquet.Int(64),
	}
	if withSource {
		group["source"] = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	}
	for i, name := range decimalColumns {
		sp := &specs[i]
		switch p := sp.intDigits + sp.scale; {
		case p <= 18:
			group[name] = parquet.Decimal(sp.scale, 18, parquet.Int64Type)
		case p <= 38:
			sp.wide = true
			group[name] = parquet.Decimal(sp.scale, 38, parquet.FixedLenByteArrayType(16))
		default:
			return 0, fmt.Errorf("parquet: column %s needs %d digits, more than DECIMAL's 38", name, p)
		}
	}
	if !slices.ContainsFunc(specs[:], func(sp decimalSpec) bool { return sp.wide }) {
		if withSource {
			return writeParquetTyped(w, each, specs, func(r *Row, p *pqRowSource) { p.pqRow = toPQ(r, &specs); p.Source = r.Source })
		}
		return writeParquetTyped(w, each, specs, func(r *Row, p *pqRow) { *p = toPQ(r, &specs) })
	}
	schema := parquet.NewSchema("candle", group)
	col := func(name string) int {
		l, ok := schema.Lookup(name)
		if !ok {
			panic("parquet: no column " + name)
		}
		return l.ColumnIndex
	}
	var (
		cExchange, cSymbol, cInterval = col("exchange"), col("symbol"), col("interval")
		cOpenTime, cCloseTime, cTrade = col("open_time"), col("close_time"), col("trades")
		cSource                       = -1
		cDec                          [8]int
	)
	if withSource {
		cSource = col("source")
	}
	for i, name := range decimalColumns {
		cDec[i] = col(name)
	}
	ncols := len(schema.Fields())
	pw := parquet.NewWriter(w, schema, parquet.Compression(&fastSnappy{}), parquet.PageBufferSize(1<<20))
	// Pass 2: the rows, a batch at a time into reused row buffers.
	var n int64
	var buf []parquet.Row
	var wide []byte
	// Rows of a batch mostly share their strings: the last one looked up
	// per column is kept.
	strs := map[string][]byte{}
	var lastS [4]string
	var lastB [4][]byte
	bytesOf := func(k int, s string) []byte {
		if s == lastS[k] && lastB[k] != nil {
			return lastB[k]
		}
		b, ok := strs[s]
		if !ok {
			b = []byte(s)
			strs[s] = b
		}
		lastS[k], lastB[k] = s, b
		return b
	}
	err = each(func(rows []Row) error {
		for len(buf) < len(rows) {
			buf = append(buf, make(parquet.Row, ncols))
		}
		wide = wide[:0]
		for i := range rows {
			r := &rows[i]
			pr := buf[i][:ncols]
			pr[cExchange] = parquet.ByteArrayValue(bytesOf(0, r.Exchange)).Level(0, 0, cExchange)
			pr[cSymbol] = parquet.ByteArrayValue(bytesOf(1, r.Symbol)).Level(0, 0, cSymbol)
			pr[cInterval] = parquet.ByteArrayValue(bytesOf(2, string(r.Interval))).Level(0, 0, cInterval)
			if cSource >= 0 {
				pr[cSource] = parquet.ByteArrayValue(bytesOf(3, r.Source)).Level(0, 0, cSource)
			}
			pr[cOpenTime] = parquet.Int64Value(r.OpenTime).Level(0, 0, cOpenTime)
			pr[cCloseTime] = parquet.Int64Value(r.CloseTime).Level(0, 0, cCloseTime)
			pr[cTrade] = parquet.Int64Value(r.Trades).Level(0, 0, cTrade)
			for j, d := range decimalsOf(&r.Candle) {
				sp := specs[j]
				if !sp.wide {
					u := d.Units
					if k := sp.scale - int(d.Scale); k > 0 {
						u *= pow10[k]
					}
					pr[cDec[j]] = parquet.Int64Value(u).Level(0, 0, cDec[j])
					continue
				}
				start := len(wide)
				wide = appendDecimal128(wide, d, sp.scale)
				pr[cDec[j]] = parquet.FixedLenByteArrayValue(wide[start:len(wide):len(wide)]).Level(0, 0, cDec[j])
			}
			buf[i] = pr
		}
		if _, err := pw.WriteRows(buf[:len(rows)]); err != nil {
			return err
		}
		n += int64(len(rows))
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, pw.Close()
}

// pqRow is a Parquet row of the typed writer, parquet-go's fast path
// (values go straight into column buffers). The decimals' scales are set
// per file with parquet.StructTag.
type pqRow struct {
	Exchange      string `parquet:"exchange,dict"`
	Symbol        string `parquet:"symbol,dict"`
	Interval      string `parquet:"interval,dict"`
	OpenTime      int64  `parquet:"open_time,timestamp(millisecond)"`
	Open          int64  `parquet:"open"`
	High          int64  `parquet:"high"`
	Low           int64  `parquet:"low"`
	Close         int64  `parquet:"close"`
	Volume        int64  `parquet:"volume"`
	CloseTime     int64  `parquet:"close_time,timestamp(millisecond)"`
	QuoteVolume   int64  `parquet:"quote_volume"`
	Trades        int64  `parquet:"trades"`
	TakerBuyBase  int64  `parquet:"taker_buy_base"`
	TakerBuyQuote int64  `parquet:"taker_buy_quote"`
}

// pqRowSource is pqRow with the source column (--source both).
type pqRowSource struct {
	pqRow
	Source string `parquet:"source,dict"`
}

func toPQ(r *Row, specs *[8]decimalSpec) pqRow {
	units := func(j int, d cc.Decimal) int64 {
		u := d.Units
		if k := specs[j].scale - int(d.Scale); k > 0 {
			u *= pow10[k]
		}
		return u
	}
	c := &r.Candle
	return pqRow{Exchange: r.Exchange, Symbol: r.Symbol, Interval: string(r.Interval), OpenTime: c.OpenTime, CloseTime: c.CloseTime, Trades: c.Trades,
		Open: units(0, c.Open), High: units(1, c.High), Low: units(2, c.Low), Close: units(3, c.Close), Volume: units(4, c.Volume),
		QuoteVolume: units(5, c.QuoteVolume), TakerBuyBase: units(6, c.TakerBuyBase), TakerBuyQuote: units(7, c.TakerBuyQuote)}
}

// writeParquetTyped writes rows through parquet-go's typed writer.
func writeParquetTyped[T any](w io.Writer, each func(func([]Row) error) error, specs [8]decimalSpec, conv func(*Row, *T)) (int64, error) {
	opts := []parquet.WriterOption{parquet.Compression(&fastSnappy{}), parquet.PageBufferSize(1 << 20)}
	// Tags are replaced by Go field name (parquet-go's column path).
	goNames := [...]string{"Open", "High", "Low", "Close", "Volume", "QuoteVolume", "TakerBuyBase", "TakerBuyQuote"}
	for i, name := range decimalColumns {
		opts = append(opts, parquet.StructTag(reflect.StructTag(fmt.Sprintf(`parquet:"%s,decimal(%d:18)"`, name, specs[i].scale)), goNames[i]))
	}
	return writeTyped(parquet.NewGenericWriter[T](w, opts...), each, func(buf []T, rows []Row) ([]T, error) {
		buf = slices.Grow(buf, len(rows))[:len(rows)]
		for i := range rows {
			conv(&rows[i], &buf[i])
		}
		return buf, nil
	})
}

// writeTyped writes the rows fill makes of each batch (appended to the
// buffer it is given) through pw, then closes pw.
func writeTyped[T, B any](pw *parquet.GenericWriter[T], each func(func(B) error) error, fill func([]T, B) ([]T, error)) (int64, error) {
	var buf []T
	var n int64
	err := each(func(b B) error {
		var err error
		if buf, err = fill(buf[:0], b); err != nil {
			return err
		}
		if _, err := pw.Write(buf); err != nil {
			return err
		}
		n += int64(len(buf))
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, pw.Close()
}

// appendDecimal128 appends d at scale as a 16-byte big-endian two's
// complement integer (Parquet's FIXED_LEN_BYTE_ARRAY decimal).
func appendDecimal128(b []byte, d cc.Decimal, scale int) []byte {
	out, _ := decimal128(big.NewInt(d.Units), int(d.Scale), scale)
	return append(b, out[:]...)
}

// decimal128 is units×10^-from at scale to (≥ from) as a 16-byte
// big-endian two's complement integer; ok is false when it does not fit.
func decimal128(units *big.Int, from, to int) (out [16]byte, ok bool) {
	v := units
	if k := to - from; k > 0 {
		v = new(big.Int).Mul(units, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil))
	}
	if v.BitLen() > 127 {
		return out, false
	}
	if v.Sign() < 0 {
		// Two's complement: 2^128 + v.
		v = new(big.Int).Add(v, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	v.FillBytes(out[:])
	return out, true
}

// fastSnappy is parquet-go's SNAPPY codec writing with s2's plain
// Snappy block encoder instead of its "better" one (what
// klauspost/compress/snappy.Encode uses): standard Snappy blocks every
// reader decodes, a little larger on candle columns, written several
// times faster (it was a third of the Parquet writer's time).
type fastSnappy struct{ snappy.Codec }

func (*fastSnappy) Encode(dst, src []byte) ([]byte, error) { return s2.EncodeSnappy(dst, src), nil }
