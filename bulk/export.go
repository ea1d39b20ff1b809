package bulk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/replay"
)

// Sources of exported candles.
const (
	SourceRecorded  = "recorded"  // the cassette's candle index
	SourceSynthetic = "synthetic" // the synthetic market replay fills gaps with
	SourceBoth      = "both"      // what replay serves: recorded where indexed, synthetic elsewhere
	// SourceMixed labels an aggregated candle built from recorded and
	// synthetic ones (with SourceBoth).
	SourceMixed = "mixed"
)

// Formats of Export.
const (
	FormatCSV     = "csv"
	FormatJSONL   = "jsonl"
	FormatParquet = "parquet"
)

// ExportOptions select what Export writes.
type ExportOptions struct {
	// Exchange, Symbol and Interval select; empty means every exchange,
	// every symbol indexed, every interval indexed. An Interval not
	// indexed is aggregated from the largest indexed one that divides it.
	Exchange string
	Symbol   string
	Interval cc.Interval
	// Start and End bound open times, [Start, End) in Unix ms; 0 means
	// the indexed coverage.
	Start, End int64
	// Source is SourceRecorded (default), SourceSynthetic or SourceBoth;
	// the last adds a source column.
	Source string
	Format string
	// Seed of the synthetic market (replay --seed).
	Seed uint64
	// What is WhatCandles (default) or WhatTrades: the trades of the
	// selected exchanges and symbols with times in [Start, End) (both
	// needed), from the synthetic tape (Source synthetic, the default for
	// trades), one row a trade (ExportTrades). The cassette may be "" for
	// trades, with an Exchange.
	What string
}

// Row is one exported candle.
type Row struct {
	Exchange string
	Symbol   string
	Interval cc.Interval
	Source   string
	cc.Candle
}

// ExportResult counts what Export wrote.
type ExportResult struct {
	Rows int64
	// Skipped names selections with nothing to export from (an interval
	// no indexed one divides, ...).
	Skipped []string
}

// Export writes the selected candles of the cassette at path to w.
func Export(path string, w io.Writer, o ExportOptions) (ExportResult, error) {
	var res ExportResult
	switch o.What {
	case "", WhatCandles:
	case WhatTrades:
		return exportTrades(path, w, o)
	default:
		return res, fmt.Errorf("--what %q: want candles or trades", o.What)
	}
	switch o.Source {
	case "":
		o.Source = SourceRecorded
	case SourceRecorded, SourceSynthetic, SourceBoth:
	default:
		return res, fmt.Errorf("--source %q: want recorded, synthetic or both", o.Source)
	}
	if o.Interval != "" && !o.Interval.Valid() {
		return res, fmt.Errorf("interval %q is not one of %v", o.Interval, cc.Intervals)
	}
	if o.End != 0 && o.End <= o.Start {
		return res, fmt.Errorf("end %d is not after start %d", o.End, o.Start)
	}
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return res, err
	}
	defer f.Close()
	ids := f.Exchanges()
	if o.Exchange != "" {
		if !slices.Contains(ids, o.Exchange) {
			return res, fmt.Errorf("%s holds %v, not %s", path, ids, o.Exchange)
		}
		ids = []string{o.Exchange}
	}
	var plan []exportPlan
	for _, id := range ids {
		c, err := f.Exchange(id, nil)
		if err != nil {
			return res, err
		}
		p, skipped, err := planExport(c, id, o)
		if err != nil {
			return res, err
		}
		plan = append(plan, p...)
		res.Skipped = append(res.Skipped, skipped...)
	}
	each := func(fn func([]Row) error) error {
		var markets map[string]*replay.Server
		defer func() {
			for _, s := range markets {
				s.Close(context.Background())
			}
		}()
		for _, p := range plan {
			var m cc.Market
			if o.Source != SourceRecorded {
				if markets == nil {
					markets = map[string]*replay.Server{}
				}
				srv := markets[p.exchange]
				if srv == nil {
					if srv, err = replay.New(replay.Options{Cassette: path, Exchange: p.exchange, Seed: o.Seed}); err != nil {
						return err
					}
					markets[p.exchange] = srv
				}
				m = srv.Env().Market
			}
			if err := p.run(m, o.Source, fn); err != nil {
				return err
			}
		}
		return nil
	}
	// Parquet's first pass only gathers: recorded candles are then read
	// on every core at once.
	scan := pipelined(each)
	if o.Source == SourceRecorded {
		scan = func(fn func([]Row) error) error { return scanParallel(plan, runtime.GOMAXPROCS(0), fn) }
	}
	each = pipelined(each)
	withSource := o.Source == SourceBoth
	switch o.Format {
	case FormatCSV, "":
		res.Rows, err = writeText(w, each, withSource, false)
	case FormatJSONL:
		res.Rows, err = writeText(w, each, withSource, true)
	case FormatParquet:
		res.Rows, err = writeParquet(w, each, scan, withSource)
	default:
		err = fmt.Errorf("--format %q: want csv, jsonl or parquet", o.Format)
	}
	return res, err
}

// pipelined runs each's reading (index decoding, aggregation) in a
// goroutine of its own, a few batches ahead of fn (formatting, Parquet
// encoding), so the two use two cores.
func pipelined(each func(func([]Row) error) error) func(func([]Row) error) error {
	return func(fn func([]Row) error) error {
		batches := make(chan []Row, 4)
		free := make(chan []Row, 6)
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			defer close(batches)
			done <- each(func(rows []Row) error {
				var b []Row
				select {
				case b = <-free:
				default:
				}
				b = append(b[:0], rows...)
				select {
				case batches <- b:
					return nil
				case <-stop:
					return errStopped
				}
			})
		}()
		var err error
		for b := range batches {
			if err == nil {
				if err = fn(b); err != nil {
					close(stop)
				}
			}
			select {
			case free <- b:
			default:
			}
		}
		if perr := <-done; err == nil && !errors.Is(perr, errStopped) {
			err = perr
		}
		return err
	}
}

// scanParallel reads the recorded candles of plan as run does, but cut
// into parts at whole candles of each plan's interval (so every row is
// the same) read by up to workers goroutines at once: fn is called
// concurrently, in no particular order.
func scanParallel(plan []exportPlan, workers int, fn func([]Row) error) error {
	var parts []exportPlan
	for _, p := range plan {
		start := p.iv.Ceil(p.start)
		for k := range workers {
			end := p.end
			if k < workers-1 {
				end = p.iv.Truncate(start + (p.end-start)/int64(workers-k))
			}
			if end <= start {
				continue
			}
			part := p
			part.start, part.end = start, end
			parts = append(parts, part)
			start = end
		}
	}
	var next atomic.Int64
	var stop atomic.Bool
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for range min(workers, len(parts)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(parts) && !stop.Load(); i = int(next.Add(1) - 1) {
				if errs[i] = parts[i].run(nil, SourceRecorded, fn); errs[i] != nil {
					stop.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// exportPlan is one (exchange, symbol, interval) to write, read at base
// interval and aggregated to iv.
type exportPlan struct {
	c          *cassettes.Cassette
	exchange   string
	symbol     string
	iv         cc.Interval
	bases      []cc.Interval // largest first: where a larger one has no whole candle, a smaller one may
	start, end int64
}

// planExport lists what to export of one exchange.
func planExport(c *cassettes.Cassette, id string, o ExportOptions) ([]exportPlan, []string, error) {
	keys, err := c.Series()
	if err != nil {
		return nil, nil, err
	}
	stored := map[string][]cc.Interval{}
	var symbols []string
	for _, k := range keys {
		if o.Symbol != "" && k.Symbol != o.Symbol {
			continue
		}
		if stored[k.Symbol] == nil {
			symbols = append(symbols, k.Symbol)
		}
		stored[k.Symbol] = append(stored[k.Symbol], k.Interval)
	}
	if o.Symbol != "" && stored[o.Symbol] == nil && o.Source != SourceRecorded {
		symbols = append(symbols, o.Symbol) // synthetic only
	}
	var plan []exportPlan
	var skipped []string
	for _, sym := range symbols {
		ivs := []cc.Interval{o.Interval}
		if o.Interval == "" {
			ivs = stored[sym]
		}
		for _, iv := range ivs {
			bases := baseIntervals(iv, stored[sym])
			if len(bases) == 0 {
				if o.Source == SourceRecorded {
					skipped = append(skipped, fmt.Sprintf("%s %s %s: no indexed interval divides it", id, sym, iv))
					continue
				}
				bases = []cc.Interval{iv}
			}
			p := exportPlan{c: c, exchange: id, symbol: sym, iv: iv, bases: bases, start: o.Start, end: o.End}
			if p.start == 0 || p.end == 0 {
				for _, b := range bases {
					cv, err := c.Coverage(sym, b)
					if err != nil {
						return nil, nil, err
					}
					if len(cv.Ranges) == 0 {
						continue
					}
					if o.Start == 0 && (p.start == 0 || cv.Ranges[0].Start < p.start) {
						p.start = cv.Ranges[0].Start
					}
					if o.End == 0 {
						p.end = max(p.end, cv.Ranges[len(cv.Ranges)-1].End)
					}
				}
				if p.start == 0 || p.end == 0 {
					skipped = append(skipped, fmt.Sprintf("%s %s %s: nothing indexed; give --start and --end", id, sym, iv))
					continue
				}
			}
			if o.Source != SourceRecorded {
				// The synthetic market fills at one interval: the largest
				// indexed in the range, so recorded candles join it.
				p.bases = p.bases[:1]
				for _, b := range bases {
					if cs, err := c.Candles(sym, b, p.start, p.end); err == nil && len(cs) > 0 {
						p.bases = []cc.Interval{b}
						break
					}
				}
			}
			plan = append(plan, p)
		}
	}
	return plan, skipped, nil
}

// baseIntervals are iv if indexed, then the indexed intervals whose
// candles tile iv's exactly, largest first.
func baseIntervals(iv cc.Interval, stored []cc.Interval) []cc.Interval {
	var out []cc.Interval
	for _, s := range stored {
		if s == iv {
			continue
		}
		if !s.Fixed() || s.Millis() >= iv.Millis() {
			continue
		}
		tiles := iv.Millis()%s.Millis() == 0
		switch iv {
		case cc.Interval1M, cc.Interval1w:
			// Months and weeks (from a Monday) are whole days.
			tiles = cc.Interval1d.Millis()%s.Millis() == 0
		}
		if tiles {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b cc.Interval) int { return int(b.Millis()/1000 - a.Millis()/1000) })
	if slices.Contains(stored, iv) {
		out = append([]cc.Interval{iv}, out...)
	}
	return out
}

// exportWindow is how many base candles are read at once: what
// Cassette.Candles preallocates for, so the window never regrows.
const exportWindow = 3_999

// run reads the plan's candles window by window (m is the filled market
// for synthetic sources) and hands fn the rows.
func (p exportPlan) run(m cc.Market, source string, fn func([]Row) error) error {
	iv := p.iv
	// Windows are whole target candles, so no group straddles two.
	start := iv.Ceil(p.start)
	smallest := p.bases[len(p.bases)-1]
	step := max(1, int(int64(exportWindow)*smallest.Millis()/max(iv.Millis(), 1)))
	var rows, more []Row
	var buf []cc.Candle // recorded candles, decoded window after window into one buffer
	done := map[int64]bool{}
	for ws := start; ws < p.end; {
		we := iv.Truncate(min(iv.Add(ws, step), p.end))
		if we <= ws {
			break
		}
		rows = rows[:0]
		clear(done)
		for bi, base := range p.bases {
			cs, src, err := p.read(m, source, base, ws, we, buf[:0])
			if err != nil {
				return err
			}
			if src == nil {
				buf = cs // aggregate copies what it keeps: the room is reused
			}
			if bi == 0 {
				rows = aggregate(rows, p, base, cs, src)
				if len(p.bases) == 1 {
					break
				}
				for _, r := range rows {
					done[r.OpenTime] = true
				}
				continue
			}
			more = aggregate(more[:0], p, base, cs, src)
			added := false
			for _, r := range more {
				if !done[r.OpenTime] {
					done[r.OpenTime] = true
					rows = append(rows, r)
					added = true
				}
			}
			if added {
				slices.SortFunc(rows, func(a, b Row) int { return cmpInt(a.OpenTime, b.OpenTime) })
			}
		}
		if len(rows) > 0 {
			if err := fn(rows); err != nil {
				return err
			}
		}
		ws = we
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// read returns the base candles of [ws, we) and their sources (nil: all
// recorded); recorded candles are appended to buf.
func (p exportPlan) read(m cc.Market, source string, base cc.Interval, ws, we int64, buf []cc.Candle) ([]cc.Candle, []string, error) {
	if source == SourceRecorded && buf == nil {
		buf = make([]cc.Candle, 0, exportWindow+1)
	}
	recorded, err := p.c.AppendCandles(buf, p.symbol, base, ws, we)
	if err != nil || source == SourceRecorded {
		return recorded, nil, err
	}
	// What replay serves, at a "now" after the window so every candle is
	// final.
	filled, err := m.Candles(context.Background(), p.symbol, base, ws, we, base.Next(we))
	if err != nil {
		return nil, nil, err
	}
	rec := make(map[int64]bool, len(recorded))
	for _, c := range recorded {
		rec[c.OpenTime] = true
	}
	var cs []cc.Candle
	var src []string
	for _, c := range filled {
		if c.OpenTime < ws || c.OpenTime >= we {
			continue
		}
		s := SourceSynthetic
		if rec[c.OpenTime] {
			if source == SourceSynthetic {
				continue
			}
			s = SourceRecorded
		}
		cs = append(cs, c)
		src = append(src, s)
	}
	return cs, src, nil
}

// aggregate folds base candles cs (sources src, nil: recorded) into rows
// of p.iv: only whole candles, every base candle of the span present.
func aggregate(out []Row, p exportPlan, base cc.Interval, cs []cc.Candle, src []string) []Row {
	sourceOf := func(i int) string {
		if src == nil {
			return SourceRecorded
		}
		return src[i]
	}
	if base == p.iv {
		for i, c := range cs {
			out = append(out, Row{Exchange: p.exchange, Symbol: p.symbol, Interval: p.iv, Source: sourceOf(i), Candle: c})
		}
		return out
	}
	for i := 0; i < len(cs); {
		open := p.iv.Truncate(cs[i].OpenTime)
		next := p.iv.Next(open)
		want := int((next - open) / base.Millis())
		j := i
		for j < len(cs) && cs[j].OpenTime < next {
			j++
		}
		if j-i == want && cs[i].OpenTime == open {
			c := cc.Aggregate(cs[i:j])
			c.OpenTime = open
			s := sourceOf(i)
			for k := i + 1; k < j; k++ {
				if sourceOf(k) != s {
					s = SourceMixed
					break
				}
			}
			out = append(out, Row{Exchange: p.exchange, Symbol: p.symbol, Interval: p.iv, Source: s, Candle: c})
		}
		i = j
	}
	return out
}

// textHeader is the CSV header: Binance's kline field names, so an
// exported file imports back with no flags.
var textHeader = []string{"exchange", "symbol", "interval", "open_time", "open", "high", "low", "close", "volume",
	"close_time", "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"}

// writeText writes CSV or JSONL: times in Unix ms, decimals with the
// digits they were recorded or imported with.
func writeText(w io.Writer, each func(func([]Row) error) error, withSource, jsonl bool) (int64, error) {
	var header []string
	if !jsonl {
		header = textHeader
		if withSource {
			header = append(slices.Clip(header), "source")
		}
	}
	return writeLines(w, header, each, func(b []byte, rows []Row) ([]byte, int) {
		for _, r := range rows {
			c := r.Candle
			if jsonl {
				b = append(b, `{"exchange":`...)
				b = strconv.AppendQuote(b, r.Exchange)
				b = append(b, `,"symbol":`...)
				b = strconv.AppendQuote(b, r.Symbol)
				b = append(b, `,"interval":`...)
				b = strconv.AppendQuote(b, string(r.Interval))
				b = append(b, `,"open_time":`...)
				b = strconv.AppendInt(b, c.OpenTime, 10)
				for i, d := range [...]cc.Decimal{c.Open, c.High, c.Low, c.Close, c.Volume} {
					b = append(b, `,"`...)
					b = append(b, textHeader[4+i]...)
					b = append(b, `":"`...)
					b = d.Append(b, int(d.Scale))
					b = append(b, '"')
				}
				b = append(b, `,"close_time":`...)
				b = strconv.AppendInt(b, c.CloseTime, 10)
				b = append(b, `,"quote_volume":"`...)
				b = c.QuoteVolume.Append(b, int(c.QuoteVolume.Scale))
				b = append(b, `","trades":`...)
				b = strconv.AppendInt(b, c.Trades, 10)
				b = append(b, `,"taker_buy_base":"`...)
				b = c.TakerBuyBase.Append(b, int(c.TakerBuyBase.Scale))
				b = append(b, `","taker_buy_quote":"`...)
				b = c.TakerBuyQuote.Append(b, int(c.TakerBuyQuote.Scale))
				b = append(b, '"')
				if withSource {
					b = append(b, `,"source":"`...)
					b = append(b, r.Source...)
					b = append(b, '"')
				}
				b = append(b, "}\n"...)
			} else {
				b = append(b, r.Exchange...)
				b = append(b, ',')
				b = append(b, r.Symbol...)
				b = append(b, ',')
				b = append(b, r.Interval...)
				b = append(b, ',')
				b = strconv.AppendInt(b, c.OpenTime, 10)
				for _, d := range [...]cc.Decimal{c.Open, c.High, c.Low, c.Close, c.Volume} {
					b = append(b, ',')
					b = d.Append(b, int(d.Scale))
				}
				b = append(b, ',')
				b = strconv.AppendInt(b, c.CloseTime, 10)
				b = append(b, ',')
				b = c.QuoteVolume.Append(b, int(c.QuoteVolume.Scale))
				b = append(b, ',')
				b = strconv.AppendInt(b, c.Trades, 10)
				b = append(b, ',')
				b = c.TakerBuyBase.Append(b, int(c.TakerBuyBase.Scale))
				b = append(b, ',')
				b = c.TakerBuyQuote.Append(b, int(c.TakerBuyQuote.Scale))
				if withSource {
					b = append(b, ',')
					b = append(b, r.Source...)
				}
				b = append(b, '\n')
			}
		}
		return b, len(rows)
	})
}

// writeLines writes a CSV header (none if nil), then what encode appends
// for each batch each hands it (a line a row, and their count).
func writeLines[B any](w io.Writer, header []string, each func(func(B) error) error, encode func([]byte, B) ([]byte, int)) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if header != nil {
		bw.WriteString(strings.Join(header, ","))
		bw.WriteByte('\n')
	}
	var n int64
	var b []byte
	err := each(func(batch B) error {
		var k int
		b, k = encode(b[:0], batch)
		n += int64(k)
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}
