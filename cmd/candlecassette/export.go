package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write a cassette's candles (recorded, synthetic or both), or synthetic trades, as CSV, JSONL or Parquet",
		Description: "Recorded candles come from the candle index; synthetic ones from the market replay fills\n" +
			"gaps with (same --seed); both is what replay serves, with a source column. Any interval:\n" +
			"one not indexed is aggregated from the largest indexed interval that tiles it (whole\n" +
			"candles only). CSV and JSONL keep every decimal's own digits; Parquet has typed columns\n" +
			"(TIMESTAMP(MILLIS) times, DECIMAL prices and volumes at a per-column scale that holds\n" +
			"every value exactly).\n\n" +
			"--what trades writes the synthetic tape's trades of [--start, --end) instead (both needed),\n" +
			"one row a trade: exchange, symbol, time (Unix µs; Parquet TIMESTAMP(MICROS)), id, agg_id,\n" +
			"price, size, quote (price×size, exact), buyer_maker (true: the taker sold), source. The\n" +
			"cassette is optional there: without one, --exchange names the synthetic market.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cassette", Usage: "cassette file (required for candles)"},
			&cli.StringFlag{Name: "what", Usage: "candles or trades", Value: bulk.WhatCandles},
			&cli.StringFlag{Name: "exchange", Usage: "exchange id (default: every exchange in the file)"},
			&cli.StringFlag{Name: "symbol", Usage: "symbol (default: every indexed symbol)"},
			&cli.StringFlag{Name: "interval", Usage: "interval (default: every indexed interval)"},
			&cli.StringFlag{Name: "start", Usage: "first open time: RFC 3339, YYYY-MM-DD or Unix ms (default: the indexed start)"},
			&cli.StringFlag{Name: "end", Usage: "open times before this (default: the indexed end)"},
			&cli.StringFlag{Name: "source", Usage: "recorded, synthetic or both", Value: bulk.SourceRecorded},
			&cli.StringFlag{Name: "format", Usage: "csv, jsonl or parquet", Value: bulk.FormatCSV},
			&cli.StringFlag{Name: "o", Usage: "output file (default: stdout; written to a temp file and renamed)"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the synthetic market (as replay --seed)"},
			&cli.BoolFlag{Name: "trades", Usage: "export the trades index instead of candles (csv or jsonl; --start/--end bound trade times; recorded, synthetic or both)"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("trades") {
				return exportTrades(c)
			}
			o := bulk.ExportOptions{Exchange: c.String("exchange"), Symbol: c.String("symbol"), Source: c.String("source"),
				Format: c.String("format"), Seed: c.Uint64("seed"), What: c.String("what")}
			unit := "candles"
			if o.What == bulk.WhatTrades {
				unit = "trades"
				if !c.IsSet("source") {
					o.Source = bulk.SourceSynthetic // the only source of trades yet
				}
			} else if c.String("cassette") == "" {
				return fmt.Errorf("export: --cassette is required for candles")
			}
			if s := c.String("interval"); s != "" {
				iv, err := cc.ParseInterval(s)
				if err != nil {
					return fmt.Errorf("export: --interval: %w", err)
				}
				o.Interval = iv
			}
			var err error
			if o.Start, err = parseWhen(c.String("start")); err != nil {
				return fmt.Errorf("export: --start: %w", err)
			}
			if o.End, err = parseWhen(c.String("end")); err != nil {
				return fmt.Errorf("export: --end: %w", err)
			}
			out := c.String("o")
			if out == "" {
				if o.Format == bulk.FormatParquet {
					return fmt.Errorf("export: --format parquet needs -o FILE")
				}
				res, err := bulk.Export(c.String("cassette"), c.App.Writer, o)
				reportSkipped(c.App.ErrWriter, res)
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				return nil
			}
			start := time.Now()
			var res bulk.ExportResult
			err = writeAtomic(out, func(w io.Writer) error {
				var err error
				res, err = bulk.Export(c.String("cassette"), w, o)
				return err
			})
			reportSkipped(c.App.ErrWriter, res)
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			d := time.Since(start)
			fmt.Fprintf(c.App.ErrWriter, "exported %d %s to %s in %s (%.0f %s/s)\n", res.Rows, unit, out, d.Round(time.Millisecond), float64(res.Rows)/d.Seconds(), unit)
			return nil
		},
	}
}

func reportSkipped(w io.Writer, res bulk.ExportResult) {
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "skipped %s\n", s)
	}
}

// parseWhen reads a time flag: RFC 3339, YYYY-MM-DD[ HH:MM:SS] (UTC) or
// Unix ms; "" is 0.
func parseWhen(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%q: want RFC 3339, YYYY-MM-DD or Unix ms", s)
}

// writeAtomic writes path through a temp file in its directory, renamed
// over path only once write succeeded and the data is synced.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// exportTrades is export --trades.
func exportTrades(c *cli.Context) error {
	o := bulk.TradeExportOptions{Exchange: c.String("exchange"), Symbol: c.String("symbol"), Source: c.String("source"),
		Format: c.String("format"), Seed: c.Uint64("seed")}
	var err error
	if o.Start, err = parseWhen(c.String("start")); err != nil {
		return fmt.Errorf("export: --start: %w", err)
	}
	if o.End, err = parseWhen(c.String("end")); err != nil {
		return fmt.Errorf("export: --end: %w", err)
	}
	o.Start, o.End = o.Start*1000, o.End*1000 // ms to µs
	out := c.String("o")
	if out == "" {
		res, err := bulk.ExportTradesIndex(c.String("cassette"), c.App.Writer, o)
		reportSkipped(c.App.ErrWriter, res)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	var res bulk.ExportResult
	err = writeAtomic(out, func(w io.Writer) error {
		var err error
		res, err = bulk.ExportTradesIndex(c.String("cassette"), w, o)
		return err
	})
	reportSkipped(c.App.ErrWriter, res)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(c.App.ErrWriter, "exported %d trades to %s\n", res.Rows, out)
	return nil
}
