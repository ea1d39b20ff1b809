package bulk

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/synth"
)

// TradeExportOptions select what ExportTrades writes.
type TradeExportOptions struct {
	// Exchange and Symbol select; empty means every exchange and every
	// symbol with indexed trades.
	Exchange string
	Symbol   string
	// Start and End bound trade times, [Start, End) in Unix µs; 0 means
	// the symbol's recorded span.
	Start, End int64
	// Source is SourceRecorded (default: the trades index),
	// SourceSynthetic (the replay seed's synthetic tape) or SourceBoth
	// (what replay serves: recorded inside the recorded span, synthetic
	// renumbered outside it), which adds a source column.
	Source string
	// Format is FormatCSV or FormatJSONL.
	Format string
	Seed   uint64
}

// tradeIndexPage is how many trades one tape query of an export reads.
const tradeIndexPage = 50_000

// ExportTradesIndex writes the selected trades of the cassette at path to w:
// CSV (exchange,symbol,id,agg_id,time,price,qty,quote_qty,is_buyer_maker
// [,source], time in Unix µs) or JSON lines with the same names.
func ExportTradesIndex(path string, w io.Writer, o TradeExportOptions) (ExportResult, error) {
	var res ExportResult
	switch o.Source {
	case "":
		o.Source = SourceRecorded
	case SourceRecorded, SourceSynthetic, SourceBoth:
	default:
		return res, fmt.Errorf("--source %q: want recorded, synthetic or both", o.Source)
	}
	jsonl := false
	switch o.Format {
	case "", FormatCSV:
	case FormatJSONL:
		jsonl = true
	default:
		return res, fmt.Errorf("--format %q: trades export writes csv or jsonl", o.Format)
	}
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return res, err
	}
	ids := f.Exchanges()
	if o.Exchange != "" {
		if !slices.Contains(ids, o.Exchange) {
			f.Close()
			return res, fmt.Errorf("%s holds %v, not %s", path, ids, o.Exchange)
		}
		ids = []string{o.Exchange}
	}
	type job struct {
		exchange string
		span     cassettes.TradeSpan
	}
	var jobs []job
	for _, id := range ids {
		c, err := f.Exchange(id, nil)
		if err != nil {
			f.Close()
			return res, err
		}
		spans, err := c.TradeSpans()
		if err != nil {
			f.Close()
			return res, err
		}
		for _, sp := range spans {
			if o.Symbol == "" || o.Symbol == sp.Symbol {
				jobs = append(jobs, job{id, sp})
			}
		}
	}
	if len(jobs) == 0 {
		res.Skipped = append(res.Skipped, "no indexed trades selected")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	withSource := o.Source == SourceBoth
	if !jsonl {
		bw.WriteString("exchange,symbol,id,agg_id,time,price,qty,quote_qty,is_buyer_maker")
		if withSource {
			bw.WriteString(",source")
		}
		bw.WriteByte('\n')
	}
	// The recorded source reads the file; the others the replay stack
	// (one server per exchange, which opens the file itself).
	if o.Source != SourceRecorded {
		f.Close()
	} else {
		defer f.Close()
	}
	servers := map[string]*replay.Server{}
	defer func() {
		for _, s := range servers {
			s.Close(context.Background())
		}
	}()
	ctx := context.Background()
	for _, j := range jobs {
		start, end := o.Start, o.End
		if start == 0 {
			start = j.span.First
		}
		if end == 0 {
			end = j.span.Last + 1
		}
		var rows []cc.Trade
		var tape cc.Tape
		if o.Source == SourceRecorded {
			c, err := f.Exchange(j.exchange, nil)
			if err != nil {
				return res, err
			}
			if rows, err = c.IndexedTrades(j.span.Symbol, start, end); err != nil {
				return res, err
			}
		} else {
			srv := servers[j.exchange]
			if srv == nil {
				if srv, err = replay.New(replay.Options{Cassette: path, Exchange: j.exchange, Seed: o.Seed}); err != nil {
					return res, err
				}
				servers[j.exchange] = srv
			}
			tape = srv.Env().Tape
			if o.Source == SourceSynthetic {
				tape = synth.New(synth.Options{Seed: o.Seed, Exchange: j.exchange, Pairs: srv.Env().Pairs}).Tape()
			}
		}
		write := func(ts []cc.Trade) error {
			for _, t := range ts {
				src := SourceRecorded
				if o.Source == SourceSynthetic || (withSource && (t.Time < j.span.First || t.Time > j.span.Last)) {
					src = SourceSynthetic
				}
				appendTradeRow(bw, j.exchange, j.span.Symbol, t, src, withSource, jsonl)
				res.Rows++
			}
			_, err := bw.Write(nil)
			return err
		}
		if tape == nil {
			if err := write(rows); err != nil {
				return res, err
			}
			continue
		}
		q := cc.TradeQuery{Symbol: j.span.Symbol, Start: start, End: end, Limit: tradeIndexPage, Now: end}
		for {
			ts, err := tape.Trades(ctx, q)
			if err != nil {
				return res, fmt.Errorf("%s %s: %w", j.exchange, j.span.Symbol, err)
			}
			if err := write(ts); err != nil {
				return res, err
			}
			if len(ts) < tradeIndexPage {
				break
			}
			q.FromID = ts[len(ts)-1].ID + 1
		}
	}
	return res, bw.Flush()
}

func appendTradeRow(w *bufio.Writer, exchange, symbol string, t cc.Trade, src string, withSource, jsonl bool) {
	b := make([]byte, 0, 200)
	q := quoteText(t.Price, t.Size)
	if jsonl {
		b = append(b, `{"exchange":`...)
		b = strconv.AppendQuote(b, exchange)
		b = append(b, `,"symbol":`...)
		b = strconv.AppendQuote(b, symbol)
		b = append(b, `,"id":`...)
		b = strconv.AppendInt(b, t.ID, 10)
		b = append(b, `,"agg_id":`...)
		b = strconv.AppendInt(b, t.AggID, 10)
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, t.Time, 10)
		b = append(b, `,"price":"`...)
		b = append(b, t.Price.String()...)
		b = append(b, `","qty":"`...)
		b = append(b, t.Size.String()...)
		b = append(b, `","quote_qty":"`...)
		b = append(b, q...)
		b = append(b, `","is_buyer_maker":`...)
		b = strconv.AppendBool(b, t.BuyerMaker)
		if withSource {
			b = append(b, `,"source":`...)
			b = strconv.AppendQuote(b, src)
		}
		b = append(b, "}\n"...)
	} else {
		b = append(b, exchange...)
		b = append(b, ',')
		b = append(b, symbol...)
		b = append(b, ',')
		b = strconv.AppendInt(b, t.ID, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, t.AggID, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, t.Time, 10)
		b = append(b, ',')
		b = append(b, t.Price.String()...)
		b = append(b, ',')
		b = append(b, t.Size.String()...)
		b = append(b, ',')
		b = append(b, q...)
		b = append(b, ',')
		b = strconv.AppendBool(b, t.BuyerMaker)
		if withSource {
			b = append(b, ',')
			b = append(b, src...)
		}
		b = append(b, '\n')
	}
	w.Write(b)
}

// quoteText is price × size exactly, as a decimal string: recorded
// values keep their exchange's trailing zeros, whose product can pass
// int64.
func quoteText(p, s cc.Decimal) string {
	v := new(big.Int).Mul(big.NewInt(p.Units), big.NewInt(s.Units))
	scale := int(p.Scale) + int(s.Scale)
	neg := v.Sign() < 0
	digits := v.Abs(v).String()
	if scale > 0 {
		for len(digits) <= scale {
			digits = "0" + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
		digits = strings.TrimRight(strings.TrimRight(digits, "0"), ".")
	}
	if neg && digits != "0" {
		digits = "-" + digits
	}
	return digits
}
