package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "read exchange public-data kline files (Binance data.binance.vision .zip/.csv, plain CSV/JSONL) into a cassette's candle index, and trades/aggTrades files into its trades index",
		ArgsUsage: "FILES...",
		Description: "Binance spot, USD-M and COIN-M kline files, monthly or daily, .zip or .csv (also .gz),\n" +
			"with or without a header row, ms or µs timestamps (detected per file). A FILE.CHECKSUM\n" +
			"beside a file is verified; a mismatch imports nothing. Symbol and interval come from the\n" +
			"file name (BTCUSDT-1m-2024-01.zip) unless given. Other CSV/JSONL files map their columns\n" +
			"by header name or with --columns. Everything is written in one transaction: any bad file\n" +
			"(reported as file:line) imports nothing. Candles already indexed are compared: identical\n" +
			"ones are fine, differing ones are reported and kept unless --overwrite.\n" +
			"Binance trades and aggTrades files (BTCUSDT-trades-2024-01.zip, BTCUSDT-aggTrades-2024-01-15.zip;\n" +
			"header or not, ms or µs times) go to the trades index the same way (--data picks the layout\n" +
			"when names do not say it); an aggregate is indexed as its prints firstId..lastId until the\n" +
			"trades file of its span gives the real ones.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cassette", Usage: "cassette file (created if missing)", Required: true},
			&cli.StringFlag{Name: "exchange", Usage: "exchange id the candles belong to (see `candlecassette exchanges`), e.g. binance_spot", Required: true},
			&cli.StringFlag{Name: "symbol", Usage: "symbol (default: from each file name)"},
			&cli.StringFlag{Name: "interval", Usage: "interval, e.g. 1m (default: from each file name)"},
			&cli.StringFlag{Name: "columns", Usage: "column mapping field=column,... (fields: time, open, high, low, close, volume, close_time, quote_volume, trades, taker_buy_base, taker_buy_quote; columns by header name or 1-based position)"},
			&cli.StringFlag{Name: "time-unit", Usage: "time column unit: ms, us, s, rfc3339 (also YYYY-MM-DD HH:MM:SS, UTC) or auto", Value: "auto"},
			&cli.BoolFlag{Name: "jsonl", Usage: "read every file as JSON lines (default: by extension .jsonl)"},
			&cli.StringFlag{Name: "data", Usage: "what the files hold: klines, trades, aggTrades or auto (trades files by their -trades-/-aggTrades- names)", Value: "auto"},
			&cli.BoolFlag{Name: "overwrite", Usage: "replace indexed candles that differ from imported ones"},
			&cli.BoolFlag{Name: "no-progress", Usage: "plain lines, no progress bar even on a terminal"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return errors.New("import: want FILES")
			}
			exchange := c.String("exchange")
			if _, err := plugins.Lookup(exchange); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			trades, err := tradesData(c.String("data"), c.Args().Slice())
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if trades != "" {
				return importTrades(c, exchange, bulk.TradeImportOptions{Symbol: c.String("symbol"), Kind: trades, Overwrite: c.Bool("overwrite")})
			}
			o := bulk.ImportOptions{Symbol: c.String("symbol"), Overwrite: c.Bool("overwrite"), JSONL: c.Bool("jsonl")}
			if s := c.String("interval"); s != "" {
				iv, err := cc.ParseInterval(s)
				if err != nil {
					return fmt.Errorf("import: --interval: %w", err)
				}
				o.Interval = iv
			}
			if o.Columns, err = bulk.ParseColumns(c.String("columns")); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if o.TimeUnit, err = bulk.ParseTimeUnit(c.String("time-unit")); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			o.Progress = newImportProgress(c.App.ErrWriter, c.Bool("no-progress"))
			path := c.String("cassette")
			var res bulk.ImportResult
			if err := importInto(path, exchange, func(cas *cassettes.Cassette) (err error) {
				res, err = bulk.Import(cas, c.Args().Slice(), o)
				return err
			}); err != nil {
				return err
			}
			printImport(c.App.Writer, path, exchange, res)
			return nil
		},
	}
}

// importInto opens the cassette at path writable for exchange (creating
// it if need be), runs do on it and closes it; when do fails, a cassette
// it created is removed: nothing was imported, so no empty file is left.
func importInto(path, exchange string, do func(*cassettes.Cassette) error) error {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	cas, closeCas, err := bulk.OpenWritable(path, exchange, Version)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	err = do(cas)
	if cerr := closeCas(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if created {
			os.Remove(path)
		}
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

func printImport(w io.Writer, path, exchange string, res bulk.ImportResult) {
	r := res.Report
	rate := float64(r.Given) / res.Duration.Seconds()
	fmt.Fprintf(w, "imported %d candles from %d files into %s (%s) in %s (%.0f candles/s): %d new, %d identical, %d replaced\n",
		r.Given, len(res.Files), path, exchange, res.Duration.Round(time.Millisecond), rate, r.Added, r.Same, r.Replaced)
	if r.Conflicts > 0 {
		kept := "the indexed ones kept (--overwrite replaces them)"
		if r.Replaced > 0 && r.Replaced >= r.Conflicts {
			kept = "replaced (--overwrite)"
		}
		fmt.Fprintf(w, "%d candles differ from the indexed ones, %s; first %d:\n", r.Conflicts, kept, len(r.Examples))
		for _, e := range r.Examples {
			fmt.Fprintf(w, "  %s %s\n    indexed:  %s\n    imported: %s\n", e.Key, fmtMs(e.Old.OpenTime), candleLine(e.Old), candleLine(e.New))
		}
	}
}

func candleLine(c cc.Candle) string {
	return fmt.Sprintf("o=%s h=%s l=%s c=%s v=%s close_time=%d qv=%s n=%d tbb=%s tbq=%s",
		c.Open, c.High, c.Low, c.Close, c.Volume, c.CloseTime, c.QuoteVolume, c.Trades, c.TakerBuyBase, c.TakerBuyQuote)
}

// importProgress draws a progress bar (schollz/progressbar) over the
// bytes of all files on a terminal, and prints one line per file
// otherwise (logs, CI).
type importProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
	n   int
	of  int
}

func newImportProgress(w io.Writer, plain bool) *importProgress {
	p := &importProgress{w: w}
	if f, ok := w.(*os.File); ok && !plain && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(1, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("import"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionSetPredictTime(true))
	}
	return p
}

func (p *importProgress) Start(files int, bytes int64) {
	p.of = files
	if p.bar != nil {
		p.bar.ChangeMax64(bytes)
	}
}

func (p *importProgress) Bytes(n int64) {
	if p.bar != nil {
		_ = p.bar.Add64(n)
	}
}

func (p *importProgress) FileDone(f bulk.FileResult) {
	p.n++
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("import %d/%d %s", p.n, p.of, f.Symbol))
		return
	}
	check := ""
	if f.Checksum {
		check = ", checksum ok"
	}
	span := ""
	if f.Candles > 0 {
		span = fmt.Sprintf(" %s .. %s", fmtMs(f.First), fmtMs(f.Last))
	}
	what := "candles"
	if f.Interval == cc.Interval(bulk.KindTrades) || f.Interval == cc.Interval(bulk.KindAggTrades) {
		what = "rows" // a trades file: Interval names its kind
	}
	fmt.Fprintf(p.w, "[%d/%d] %s: %d %s %s %s%s%s\n", p.n, p.of, f.Name, f.Candles, what, f.Symbol, f.Interval, span, check)
}

func (p *importProgress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// tradesData says whether files are trades files to import into the
// trades index: the kind --data names ("auto" in the kind: by file name),
// or "" for klines. Auto refuses a mix of trades and kline files.
func tradesData(data string, files []string) (bulk.TradeKind, error) {
	switch data {
	case "klines":
		return "", nil
	case "trades", "aggTrades":
		return bulk.TradeKind(data), nil
	case "", "auto":
	default:
		return "", fmt.Errorf("--data %q: want klines, trades, aggTrades or auto", data)
	}
	n, m := 0, 0
	for _, f := range files {
		if strings.HasSuffix(f, ".CHECKSUM") {
			continue
		}
		m++
		if bulk.IsTradesFile(f) {
			n++
		}
	}
	switch {
	case n == 0:
		return "", nil
	case n < m:
		return "", errors.New("some files are trades files and some are not: import them separately (or give --data)")
	}
	return "auto", nil
}

// importTrades runs the trades import of the command's files.
func importTrades(c *cli.Context, exchange string, o bulk.TradeImportOptions) error {
	if o.Kind == "auto" {
		o.Kind = ""
	}
	o.Progress = newImportProgress(c.App.ErrWriter, c.Bool("no-progress"))
	path := c.String("cassette")
	var res bulk.TradeImportResult
	if err := importInto(path, exchange, func(cas *cassettes.Cassette) (err error) {
		res, err = bulk.ImportTrades(cas, c.Args().Slice(), o)
		return err
	}); err != nil {
		return err
	}
	r := res.Report
	w := c.App.Writer
	fmt.Fprintf(w, "imported %d trades from %d files into %s (%s) in %s: %d new, %d identical, %d replaced\n",
		r.Given, len(res.Files), path, exchange, res.Duration.Round(time.Millisecond), r.Added, r.Same, r.Replaced)
	if r.Conflicts > 0 {
		kept := "the indexed ones kept (--overwrite replaces them)"
		if o.Overwrite {
			kept = "replaced (--overwrite)"
		}
		fmt.Fprintf(w, "%d trades differ from the indexed ones, %s; first %d:\n", r.Conflicts, kept, len(r.Examples))
		for _, e := range r.Examples {
			fmt.Fprintf(w, "  id %d\n    indexed:  %s\n    imported: %s\n", e[0].ID, tradeLine(e[0]), tradeLine(e[1]))
		}
	}
	return nil
}

func tradeLine(t cc.Trade) string {
	return fmt.Sprintf("time=%s price=%s qty=%s buyer_maker=%v agg=%d", time.UnixMicro(t.Time).UTC().Format("2006-01-02T15:04:05.000000Z"), t.Price, t.Size, t.BuyerMaker, t.AggID)
}
