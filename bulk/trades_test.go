package bulk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
	"github.com/candlecassette/candlecassette/replay"
)

// tradeWindow is ten minutes of a weekday afternoon: busy enough that no
// minute is empty.
var tradeWindow = [2]int64{
	time.Date(2025, 3, 5, 15, 0, 0, 0, time.UTC).UnixMilli(),
	time.Date(2025, 3, 5, 15, 10, 0, 0, time.UTC).UnixMilli(),
}

// syntheticEnv is what replay serves for binance_spot at seed 7: the
// tape and market the trades export reads.
func syntheticEnv(t *testing.T) (cc.Tape, cc.Market) {
	t.Helper()
	srv, err := replay.New(replay.Options{Exchange: "binance_spot", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv.Env().Tape, srv.Env().Market
}

func exportTrades(t *testing.T, format string) []byte {
	t.Helper()
	var out bytes.Buffer
	res, err := bulk.Export("", &out, bulk.ExportOptions{What: bulk.WhatTrades, Exchange: "binance_spot", Symbol: "BTCUSDT",
		Start: tradeWindow[0], End: tradeWindow[1], Format: format, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows == 0 {
		t.Fatal("no trades exported")
	}
	return out.Bytes()
}

func tapeTrades(t *testing.T, tape cc.Tape) []cc.Trade {
	t.Helper()
	ts, err := tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTCUSDT", Start: tradeWindow[0] * 1000, End: tradeWindow[1] * 1000})
	if err != nil || len(ts) < 1000 {
		t.Fatalf("tape: %d trades, %v", len(ts), err)
	}
	return ts
}

func dec(d cc.Decimal) string { return string(d.Append(nil, int(d.Scale))) }

// The CSV and JSONL trades of a window are the tape's, field for field,
// decimals with their own digits.
func TestExportTradesTextIsTheTape(t *testing.T) {
	tape, _ := syntheticEnv(t)
	want := tapeTrades(t, tape)
	lines := strings.Split(strings.TrimSuffix(string(exportTrades(t, bulk.FormatCSV)), "\n"), "\n")
	if lines[0] != "exchange,symbol,time,id,agg_id,price,size,quote,buyer_maker,source" {
		t.Fatalf("header %q", lines[0])
	}
	if len(lines)-1 != len(want) {
		t.Fatalf("%d rows, the tape holds %d", len(lines)-1, len(want))
	}
	for i, l := range lines[1:] {
		w := want[i]
		exp := strings.Join([]string{"binance_spot", "BTCUSDT", strconv.FormatInt(w.Time, 10), strconv.FormatInt(w.ID, 10), strconv.FormatInt(w.AggID, 10),
			dec(w.Price), dec(w.Size), dec(w.Quote()), strconv.FormatBool(w.BuyerMaker), "synthetic"}, ",")
		if l != exp {
			t.Fatalf("row %d: %s, want %s", i, l, exp)
		}
	}
	jl := strings.Split(strings.TrimSuffix(string(exportTrades(t, bulk.FormatJSONL)), "\n"), "\n")
	if len(jl) != len(want) {
		t.Fatalf("jsonl: %d lines, the tape holds %d", len(jl), len(want))
	}
	for i, l := range jl {
		var r struct {
			Exchange, Symbol, Price, Size, Quote, Source string
			Time, ID                                     int64
			AggID                                        int64 `json:"agg_id"`
			BuyerMaker                                   bool  `json:"buyer_maker"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, l)
		}
		w := want[i]
		if r.Time != w.Time || r.ID != w.ID || r.AggID != w.AggID || r.Price != dec(w.Price) || r.Size != dec(w.Size) ||
			r.Quote != dec(w.Quote()) || r.BuyerMaker != w.BuyerMaker || r.Symbol != "BTCUSDT" || r.Source != "synthetic" {
			t.Fatalf("line %d: %s, want %+v", i, l, w)
		}
	}
}

// The Parquet trades read back (with parquet-go) are the tape's: typed
// columns (TIMESTAMP(MICROS) time, DECIMAL price, size and quote whose
// units at the column's scale are the exact values).
func TestExportTradesParquetIsTheTape(t *testing.T) {
	tape, _ := syntheticEnv(t)
	want := tapeTrades(t, tape)
	b := exportTrades(t, bulk.FormatParquet)
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != int64(len(want)) {
		t.Fatalf("%d rows, the tape holds %d", f.NumRows(), len(want))
	}
	scale := map[string]int{}
	for _, c := range f.Schema().Fields() {
		var lt any
		if l := c.Type().LogicalType(); l != nil {
			lt = l.Value
		}
		switch c.Name() {
		case "time":
			ts, ok := lt.(*format.TimestampType)
			if _, micros := ts.Unit.Value.(*format.MicroSeconds); c.Type().Kind() != parquet.Int64 || !ok || !ts.IsAdjustedToUTC || !micros {
				t.Fatalf("time: %v %v, want INT64 TIMESTAMP(MICROS, UTC)", c.Type().Kind(), lt)
			}
		case "price", "size", "quote":
			d, ok := lt.(*format.DecimalType)
			if c.Type().Kind() != parquet.Int64 || !ok || d.Precision != 18 {
				t.Fatalf("%s: %v %v, want INT64 DECIMAL(18, s)", c.Name(), c.Type().Kind(), lt)
			}
			scale[c.Name()] = int(d.Scale)
		case "buyer_maker":
			if c.Type().Kind() != parquet.Boolean {
				t.Fatalf("buyer_maker: %v", c.Type().Kind())
			}
		case "exchange", "symbol", "source":
			if _, ok := lt.(*format.StringType); !ok {
				t.Fatalf("%s: %v, want a string", c.Name(), lt)
			}
		case "id", "agg_id":
			if c.Type().Kind() != parquet.Int64 {
				t.Fatalf("%s: %v", c.Name(), c.Type().Kind())
			}
		default:
			t.Fatalf("unexpected column %s", c.Name())
		}
	}
	type row struct {
		Exchange   string `parquet:"exchange"`
		Symbol     string `parquet:"symbol"`
		Time       int64  `parquet:"time"`
		ID         int64  `parquet:"id"`
		AggID      int64  `parquet:"agg_id"`
		Price      int64  `parquet:"price"`
		Size       int64  `parquet:"size"`
		Quote      int64  `parquet:"quote"`
		BuyerMaker bool   `parquet:"buyer_maker"`
		Source     string `parquet:"source"`
	}
	rows, err := parquet.Read[row](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		w := want[i]
		if r.Time != w.Time || r.ID != w.ID || r.AggID != w.AggID || r.BuyerMaker != w.BuyerMaker ||
			r.Exchange != "binance_spot" || r.Symbol != "BTCUSDT" || r.Source != "synthetic" ||
			cc.NewDecimal(r.Price, scale["price"]).Cmp(w.Price) != 0 || cc.NewDecimal(r.Size, scale["size"]).Cmp(w.Size) != 0 ||
			cc.NewDecimal(r.Quote, scale["quote"]).Cmp(w.Quote()) != 0 {
			t.Fatalf("row %d: %+v (scales %v), want %+v", i, r, scale, w)
		}
	}
}

// The exported trades of each minute aggregate to the 1m candle replay
// serves for it: the count, open, high, low, close, volume and taker-buy
// volume exactly. The quote volumes are exact only where the synthetic
// tape could solve every second of the minute for them (about 86% of
// trading seconds are exact, synth/doc.go), so they are held to what the
// tape promises: trades priced inside [low, high], i.e. within
// volume×(high−low) of the candle's, and to a part in 10^5 here.
func TestExportedTradesAggregateToTheServedCandle(t *testing.T) {
	_, market := syntheticEnv(t)
	lines := strings.Split(strings.TrimSuffix(string(exportTrades(t, bulk.FormatCSV)), "\n"), "\n")[1:]
	cs, err := market.Candles(context.Background(), "BTCUSDT", cc.Interval1m, tradeWindow[0], tradeWindow[1], tradeWindow[1]+60_000)
	if err != nil || len(cs) != 10 {
		t.Fatalf("%d candles, %v", len(cs), err)
	}
	k := 0
	for _, c := range cs {
		var agg cc.Candle
		n := 0
		for ; k < len(lines); k++ {
			fs := strings.Split(lines[k], ",")
			us, _ := strconv.ParseInt(fs[2], 10, 64)
			if us >= (c.OpenTime+60_000)*1000 {
				break
			}
			px, sz, q := cc.MustDecimal(fs[5]), cc.MustDecimal(fs[6]), cc.MustDecimal(fs[7])
			one := cc.Candle{Open: px, High: px, Low: px, Close: px, Volume: sz, QuoteVolume: q, Trades: 1}
			if fs[8] == "false" { // the taker bought
				one.TakerBuyBase, one.TakerBuyQuote = sz, q
			}
			if n == 0 {
				agg = one
			} else {
				agg = agg.Merge(one)
			}
			n++
		}
		got := []cc.Decimal{agg.Open, agg.High, agg.Low, agg.Close, agg.Volume, agg.QuoteVolume, agg.TakerBuyBase, agg.TakerBuyQuote}
		exp := []cc.Decimal{c.Open, c.High, c.Low, c.Close, c.Volume, c.QuoteVolume, c.TakerBuyBase, c.TakerBuyQuote}
		if agg.Trades != c.Trades {
			t.Fatalf("minute %d: %d trades, the candle counts %d", c.OpenTime, agg.Trades, c.Trades)
		}
		for i := range got {
			if i >= 5 && i != 6 { // the quote volumes
				diff := got[i].Float64() - exp[i].Float64()
				bound := c.Volume.Float64() * (c.High.Float64() - c.Low.Float64())
				if math.Abs(diff) > bound || math.Abs(diff) > 1e-5*exp[i].Float64() {
					t.Errorf("minute %d field %d: trades give %s, the candle %s", c.OpenTime, i, got[i], exp[i])
				}
				continue
			}
			if got[i].Cmp(exp[i]) != 0 {
				t.Errorf("minute %d field %d: trades give %s, the candle %s", c.OpenTime, i, got[i], exp[i])
			}
		}
	}
	if k != len(lines) {
		t.Fatalf("%d trades after the last minute", len(lines)-k)
	}
}

// plainTape hides the synthetic tape's TickSize: ExportTrades then reads
// it twice, the first time for the decimal scales.
type plainTape struct{ cc.Tape }

// failingTape fails every query after the first n.
type failingTape struct {
	cc.Tape
	mu sync.Mutex
	n  int
}

func (f *failingTape) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	f.mu.Lock()
	f.n--
	n := f.n
	f.mu.Unlock()
	if n < 0 {
		return nil, errors.New("tape broke")
	}
	return f.Tape.Trades(ctx, q)
}

// offTick gives a trade a price digit past its symbol's tick.
type offTick struct{ cc.Tape }

func (o offTick) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	ts, err := o.Tape.Trades(ctx, q)
	for i := range ts {
		if i == len(ts)/2 {
			ts[i].Price = cc.NewDecimal(ts[i].Price.Units*10+1, int(ts[i].Price.Scale)+1)
		}
	}
	return ts, err
}

func (o offTick) TickSize(symbol string) (tick, lot cc.Decimal, err error) {
	return o.Tape.(bulk.Ticked).TickSize(symbol)
}

// Several sources over several reading chunks come out in order, each
// source's trades all there; a tape without TickSize gives the same
// Parquet file; a failing tape's error comes back (and no goroutine is
// left: goleak); a value off its tick is refused, not rounded.
func TestExportTradesSourcesChunksAndErrors(t *testing.T) {
	tape, _ := syntheticEnv(t)
	ctx := context.Background()
	start, end := tradeWindow[0]*1000, (tradeWindow[0]+40*60_000)*1000 // three reading chunks
	srcs := []bulk.TradeSource{
		{Tape: tape, Exchange: "binance_spot", Symbol: "ETHUSDT", Source: "synthetic"},
		{Tape: tape, Exchange: "binance_spot", Symbol: "BTCUSDT", Source: "synthetic"},
	}
	var out bytes.Buffer
	n, err := bulk.ExportTrades(ctx, &out, srcs, start, end, bulk.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range srcs {
		ts, err := tape.Trades(ctx, cc.TradeQuery{Symbol: s.Symbol, Start: start, End: end})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			want = append(want, s.Symbol+","+strconv.FormatInt(tr.ID, 10))
		}
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")[1:]
	if int(n) != len(want) || len(lines) != len(want) {
		t.Fatalf("%d rows (%d lines), the tapes hold %d", n, len(lines), len(want))
	}
	for i, l := range lines {
		fs := strings.Split(l, ",")
		if got := fs[1] + "," + fs[3]; got != want[i] {
			t.Fatalf("row %d: %s, want %s", i, got, want[i])
		}
	}

	var ticked, plain bytes.Buffer
	if _, err := bulk.ExportTrades(ctx, &ticked, srcs, start, end, bulk.FormatParquet); err != nil {
		t.Fatal(err)
	}
	plainSrcs := slices.Clone(srcs)
	for i := range plainSrcs {
		plainSrcs[i].Tape = plainTape{tape}
	}
	if _, err := bulk.ExportTrades(ctx, &plain, plainSrcs, start, end, bulk.FormatParquet); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ticked.Bytes(), plain.Bytes()) {
		t.Fatalf("parquet from a tape without TickSize differs (%d bytes, %d with)", plain.Len(), ticked.Len())
	}

	broken := slices.Clone(srcs)
	broken[1].Tape = &failingTape{Tape: tape, n: 2}
	for _, f := range []string{bulk.FormatCSV, bulk.FormatParquet} {
		broken[1].Tape = &failingTape{Tape: tape, n: 2}
		if _, err := bulk.ExportTrades(ctx, io.Discard, broken, start, end, f); err == nil || !strings.Contains(err.Error(), "tape broke") {
			t.Fatalf("%s: a failing tape gave %v", f, err)
		}
	}

	off := []bulk.TradeSource{{Tape: offTick{tape}, Exchange: "binance_spot", Symbol: "BTCUSDT", Source: "synthetic"}}
	if _, err := bulk.ExportTrades(ctx, io.Discard, off, start, end, bulk.FormatParquet); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("a price off its tick gave %v", err)
	}
	off[0].Tape = plainTape{offTick{tape}} // scanned: the column takes the extra digit
	var wide bytes.Buffer
	if _, err := bulk.ExportTrades(ctx, &wide, off, start, end, bulk.FormatParquet); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(wide.Bytes()), int64(wide.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Schema().Fields() {
		if c.Name() == "price" {
			if d := c.Type().LogicalType().Value.(*format.DecimalType); d.Scale != 3 {
				t.Fatalf("price scale %d after a scan of prices with 3 digits, want 3", d.Scale)
			}
		}
	}
}

// longSizes writes each size with 12 more (zero) fractional digits: the
// same values, whose quotes then need more than 18 digits at their scale.
type longSizes struct{ cc.Tape }

func (l longSizes) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	ts, err := l.Tape.Trades(ctx, q)
	for i := range ts {
		ts[i].Size = cc.NewDecimal(ts[i].Size.Units*1_000_000_000_000, int(ts[i].Size.Scale)+12)
	}
	return ts, err
}

// Values needing more than 18 digits go to DECIMAL(38) columns over 16
// bytes, every value exact.
func TestExportTradesParquetWideDecimals(t *testing.T) {
	tape, _ := syntheticEnv(t)
	want := tapeTrades(t, tape)
	srcs := []bulk.TradeSource{{Tape: longSizes{tape}, Exchange: "binance_spot", Symbol: "BTCUSDT", Source: "synthetic"}}
	var out bytes.Buffer
	if _, err := bulk.ExportTrades(context.Background(), &out, srcs, tradeWindow[0]*1000, tradeWindow[1]*1000, bulk.FormatParquet); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	scale := map[string]int{}
	for _, c := range f.Schema().Fields() {
		if lt := c.Type().LogicalType(); lt == nil {
			continue
		} else if d, ok := lt.Value.(*format.DecimalType); ok {
			if d.Precision != 38 || c.Type().Kind() != parquet.FixedLenByteArray || c.Type().Length() != 16 {
				t.Fatalf("%s: %v DECIMAL(%d) of %d bytes, want FIXED_LEN_BYTE_ARRAY(16) DECIMAL(38)", c.Name(), c.Type().Kind(), d.Precision, c.Type().Length())
			}
			scale[c.Name()] = int(d.Scale)
		}
	}
	type row struct {
		ID    int64    `parquet:"id"`
		Price [16]byte `parquet:"price"`
		Size  [16]byte `parquet:"size"`
		Quote [16]byte `parquet:"quote"`
	}
	rows, err := parquet.Read[row](bytes.NewReader(b), int64(len(b)))
	if err != nil || len(rows) != len(want) {
		t.Fatalf("%d rows, %v; want %d", len(rows), err, len(want))
	}
	// at is a 16-byte big-endian two's complement integer at scale, as
	// digits with the point placed.
	at := func(v [16]byte, scale int) string {
		n := new(big.Int).SetBytes(v[:])
		if v[0]&0x80 != 0 {
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), 128))
		}
		return new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale)
	}
	exact := func(d cc.Decimal, scale int) string {
		return new(big.Rat).SetFrac(big.NewInt(d.Units), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)).FloatString(scale)
	}
	// CSV writes the same quotes, every digit (price×size overflows an
	// int64 here: cc.Trade.Quote would wrap).
	var text bytes.Buffer
	if _, err := bulk.ExportTrades(context.Background(), &text, srcs, tradeWindow[0]*1000, tradeWindow[1]*1000, bulk.FormatCSV); err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")[1:] {
		w := want[i]
		if q := strings.Split(l, ",")[7]; q != exact(w.Quote(), int(w.Price.Scale+w.Size.Scale)+12) {
			t.Fatalf("csv row %d: quote %s, want %s", i, q, exact(w.Quote(), int(w.Price.Scale+w.Size.Scale)+12))
		}
	}
	for i, r := range rows {
		w := want[i]
		if r.ID != w.ID || at(r.Price, scale["price"]) != exact(w.Price, scale["price"]) || at(r.Size, scale["size"]) != exact(w.Size, scale["size"]) ||
			at(r.Quote, scale["quote"]) != exact(w.Quote(), scale["quote"]) {
			t.Fatalf("row %d: price %s size %s quote %s, want %+v (quote %s)", i, at(r.Price, scale["price"]), at(r.Size, scale["size"]), at(r.Quote, scale["quote"]), w, w.Quote())
		}
	}
}
