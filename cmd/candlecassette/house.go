package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/bulk"
)

// outFlags are -o and --in-place of merge, trim and compact.
var outFlags = []cli.Flag{
	&cli.StringFlag{Name: "o", Usage: "output cassette (written to a temp file beside it, then renamed)"},
	&cli.BoolFlag{Name: "in-place", Usage: "allow the output to be an input (without -o: replace the input)"},
}

// outPath is -o, or with --in-place and no -o the input itself.
func outPath(c *cli.Context, in string) (string, error) {
	out := c.String("o")
	if out == "" {
		if !c.Bool("in-place") {
			return "", errors.New("give -o OUT, or --in-place to replace the input")
		}
		out = in
	}
	return out, nil
}

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge two cassettes of the same exchange(s) into one",
		ArgsUsage: "A B",
		Description: "Interactions and WS connections of both, in time order (one recorded in both is written\n" +
			"once; two differing recordings of one request at one instant keep A's and are reported);\n" +
			"candle indexes unioned (differing candles keep A's and are reported). Every value is\n" +
			"sealed again as written.",
		Flags: outFlags,
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return errors.New("merge: want A B")
			}
			out := c.String("o")
			if out == "" {
				return errors.New("merge: give -o OUT")
			}
			rep, err := bulk.Merge(c.Args().Get(0), c.Args().Get(1), out, bulk.HouseOptions{InPlace: c.Bool("in-place"), ToolVersion: Version})
			if err != nil {
				return fmt.Errorf("merge: %w", err)
			}
			printHouse(c.App.Writer, "merged", out, rep)
			return nil
		},
	}
}

func trimCommand() *cli.Command {
	return &cli.Command{
		Name:  "trim",
		Usage: "keep only what a cassette holds in a time range",
		Description: "Candles by open time, interactions and WS connections by their start, frames by their\n" +
			"time, all in [--start, --end). A connection cut by --end ends with its last frame kept.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "cassette", Usage: "cassette file", Required: true},
			&cli.StringFlag{Name: "start", Usage: "RFC 3339, YYYY-MM-DD or Unix ms", Required: true},
			&cli.StringFlag{Name: "end", Usage: "RFC 3339, YYYY-MM-DD or Unix ms", Required: true},
		}, outFlags...),
		Action: func(c *cli.Context) error {
			in := c.String("cassette")
			out, err := outPath(c, in)
			if err != nil {
				return fmt.Errorf("trim: %w", err)
			}
			var w bulk.Window
			if w.Start, err = parseWhen(c.String("start")); err != nil {
				return fmt.Errorf("trim: --start: %w", err)
			}
			if w.End, err = parseWhen(c.String("end")); err != nil {
				return fmt.Errorf("trim: --end: %w", err)
			}
			rep, err := bulk.Trim(in, out, w, bulk.HouseOptions{InPlace: c.Bool("in-place"), ToolVersion: Version})
			if err != nil {
				return fmt.Errorf("trim: %w", err)
			}
			printHouse(c.App.Writer, "trimmed", out, rep)
			d := rep.Dropped
			fmt.Fprintf(c.App.Writer, "dropped %d interactions, %d ws connections, %d frames, %d candles\n", d.Interactions, d.Conns, d.Frames, d.Candles)
			return nil
		},
	}
}

func compactCommand() *cli.Command {
	return &cli.Command{
		Name:        "compact",
		Usage:       "rewrite a cassette into freshly packed pages (bbolt's Compact)",
		Description: "Every key and value is copied as it is, checksums included; free pages are left out.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "cassette", Usage: "cassette file", Required: true},
		}, outFlags...),
		Action: func(c *cli.Context) error {
			in := c.String("cassette")
			out, err := outPath(c, in)
			if err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			before, after, err := bulk.Compact(in, out, bulk.HouseOptions{InPlace: c.Bool("in-place")})
			if err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			fmt.Fprintf(c.App.Writer, "compacted %s into %s: %d → %d bytes\n", in, out, before, after)
			return nil
		},
	}
}

func printHouse(w io.Writer, verb, out string, r bulk.HouseReport) {
	fmt.Fprintf(w, "%s into %s (%v): %d interactions, %d ws connections, %d frames, %d candles",
		verb, out, r.Exchanges, r.Interactions, r.Conns, r.Frames, r.Candles)
	if r.Trades > 0 {
		fmt.Fprintf(w, ", %d trades", r.Trades)
	}
	if r.Books > 0 {
		fmt.Fprintf(w, ", %d book records", r.Books)
	}
	if r.Duplicates > 0 {
		fmt.Fprintf(w, ", %d duplicates written once", r.Duplicates)
	}
	if r.TradeConflicts > 0 {
		fmt.Fprintf(w, ", %d trades differ (the first input's kept)", r.TradeConflicts)
	}
	fmt.Fprintln(w)
	if r.CandleConflicts > 0 || len(r.Conflicts) > 0 {
		fmt.Fprintf(w, "conflicts (%d candles differ):\n", r.CandleConflicts)
		for _, c := range r.Conflicts {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
}
