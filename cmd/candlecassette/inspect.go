package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "describe a cassette: exchange(s), time range, interactions, streams, candle coverage and gaps",
		ArgsUsage: "FILE",
		Description: "Every value the summary is built from is checked as it is read (format 3 seals each\n" +
			"with a CRC-32C). --verify then reads and checks every value in the file, and bbolt's\n" +
			"own consistency; it exits 1 naming the first damaged bucket and key. A cassette of several\n" +
			"exchanges (format 4) gets one section per exchange, and --verify checks every one.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON"},
			&cli.BoolFlag{Name: "verify", Usage: "read and check every value in the file, not only what the summary needs"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("inspect: want exactly one FILE argument")
			}
			f, err := cassettes.OpenFile(c.Args().First(), 0, &cassettes.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer f.Close()
			if f.Multi() {
				return inspectFile(c, f)
			}
			cas, err := f.Exchange(f.Meta().Exchange, nil)
			if err != nil {
				return err
			}
			s, err := cas.Summarize()
			if err != nil {
				return fmt.Errorf("inspect %s: %w", c.Args().First(), err)
			}
			var verified *cassettes.Verified
			if c.Bool("verify") {
				v, err := cas.Verify()
				if err != nil {
					return fmt.Errorf("inspect --verify %s: %w", c.Args().First(), err)
				}
				verified = &v
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					*cassettes.Summary
					Verified *cassettes.Verified `json:"verified,omitempty"`
				}{s, verified})
			}
			printSummary(c.App.Writer, s)
			if verified != nil {
				printVerified(c.App.Writer, verified)
			}
			return nil
		},
	}
}

func fmtMs(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05Z") }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func printSummary(w io.Writer, s *cassettes.Summary) {
	m := s.Meta
	fmt.Fprintf(w, "cassette:  %s\n", s.Path)
	fmt.Fprintf(w, "exchange:  %s\n", m.Exchange)
	fmt.Fprintf(w, "format:    %d (written by %s)\n", m.Format, orDash(m.ToolVersion))
	if m.Format >= cassettes.SealedFormat {
		fmt.Fprintf(w, "checksums: crc32c on every value, checked as read\n")
	} else {
		fmt.Fprintf(w, "checksums: none (format %d)\n", m.Format)
	}
	fmt.Fprintf(w, "upstream:  REST %s  WS %s\n", orDash(m.UpstreamREST), orDash(m.UpstreamWS))
	fmt.Fprintf(w, "created:   %s\n", fmtTime(m.Created))
	fmt.Fprintf(w, "recorded:  %s .. %s", fmtTime(m.From), fmtTime(m.To))
	if !m.From.IsZero() {
		fmt.Fprintf(w, " (%s)", m.To.Sub(m.From).Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "size:      %d bytes on disk, %d bytes of raw traffic, ratio %.3f\n", s.FileSize, m.RawBytes, s.Ratio)
	printContents(w, s)
}

// printContents prints what one exchange's recording holds.
func printContents(w io.Writer, s *cassettes.Summary) {
	m := s.Meta
	fmt.Fprintf(w, "\ninteractions: %d\n", m.Interactions)
	for _, k := range sortedKeys(s.Paths) {
		fmt.Fprintf(w, "  %-48s %d\n", k, s.Paths[k])
	}
	fmt.Fprintf(w, "\nws connections: %d, frames: %d\n", s.Conns, m.Frames)
	for _, k := range sortedKeys(s.ConnPaths) {
		fmt.Fprintf(w, "  path   %-41s %d\n", k, s.ConnPaths[k])
	}
	for _, k := range sortedKeys(s.Streams) {
		fmt.Fprintf(w, "  stream %-41s %d\n", k, s.Streams[k])
	}
	fmt.Fprintf(w, "\ncandles: %d series\n", len(s.Coverage))
	for _, cv := range s.Coverage {
		fmt.Fprintf(w, "  %s %s: %d candles in %d range(s), %d gap(s)\n", cv.Symbol, cv.Interval, cv.Candles, len(cv.Ranges), len(cv.Gaps))
		iv := cc.Interval(cv.Interval)
		for _, r := range cv.Ranges {
			open := ""
			if r.Open > 0 {
				open = fmt.Sprintf(", %d in progress", r.Open)
			}
			fmt.Fprintf(w, "    range %s .. %s  %d candles%s\n", fmtMs(r.Start), fmtMs(iv.Prev(r.End)), r.Count, open)
		}
		for _, g := range cv.Gaps {
			fmt.Fprintf(w, "    gap   %s .. %s  %d missing\n", fmtMs(g.Start), fmtMs(iv.Prev(g.End)), g.Count)
		}
	}
	if len(s.Trades) > 0 {
		fmt.Fprintf(w, "\ntrades: %d symbols\n", len(s.Trades))
		for _, t := range s.Trades {
			fmt.Fprintf(w, "  %s: %d trades, ids %d .. %d, %s .. %s, %d blocks\n", t.Symbol, t.Count, t.FirstID, t.LastID, fmtMicros(t.First), fmtMicros(t.Last), t.Blocks)
		}
	}
	if len(s.Books) > 0 {
		fmt.Fprintf(w, "\nbooks: %d symbols\n", len(s.Books))
		for _, b := range s.Books {
			fmt.Fprintf(w, "  %s: %d records (snapshots and diffs), %s .. %s, %d blocks\n", b.Symbol, b.Count, fmtMicros(b.First), fmtMicros(b.Last), b.Blocks)
		}
	}
}

// fmtMicros spells a Unix µs instant.
func fmtMicros(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z")
}

func printVerified(w io.Writer, v *cassettes.Verified) {
	how := "decoded"
	if v.Sealed {
		how = "checksums and decoding"
	}
	fmt.Fprintf(w, "\nverified:  ok (%s; bbolt consistency check of %d pages)\n", how, v.Pages)
	fmt.Fprintf(w, "  %d interactions, %d match entries\n", v.Interactions, v.MatchKeys)
	fmt.Fprintf(w, "  %d ws connections, %d frames in %d chunks\n", v.Conns, v.Frames, v.FrameChunks)
	fmt.Fprintf(w, "  %d candles in %d blocks of %d series\n", v.Candles, v.Blocks, v.Series)
	if v.Trades > 0 {
		fmt.Fprintf(w, "  %d trades in %d blocks\n", v.Trades, v.TradeBlocks)
	}
	if v.BookRecords > 0 {
		fmt.Fprintf(w, "  %d book records in %d blocks\n", v.BookRecords, v.BookBlocks)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// inspectFile describes a cassette of several exchanges: the file, then a
// section per exchange as a single-exchange cassette's.
func inspectFile(c *cli.Context, f *cassettes.File) error {
	path := c.Args().First()
	s, err := f.Summarize()
	if err != nil {
		return fmt.Errorf("inspect %s: %w", path, err)
	}
	var verified *cassettes.FileVerified
	if c.Bool("verify") {
		v, err := f.Verify()
		if err != nil {
			return fmt.Errorf("inspect --verify %s: %w", path, err)
		}
		verified = &v
	}
	w := c.App.Writer
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*cassettes.FileSummary
			Verified *cassettes.FileVerified `json:"verified,omitempty"`
		}{s, verified})
	}
	m := s.Meta
	fmt.Fprintf(w, "cassette:  %s\n", s.Path)
	fmt.Fprintf(w, "exchanges: %d (%s)\n", len(m.Exchanges), orDash(strings.Join(m.Exchanges, ", ")))
	fmt.Fprintf(w, "format:    %d (several exchanges, one part each; written by %s)\n", m.Format, orDash(m.ToolVersion))
	fmt.Fprintf(w, "checksums: crc32c on every value, checked as read\n")
	fmt.Fprintf(w, "created:   %s\n", fmtTime(m.Created))
	fmt.Fprintf(w, "size:      %d bytes on disk, %d bytes of raw traffic, ratio %.3f\n", s.FileSize, s.RawBytes, s.Ratio)
	for i, es := range s.Exchanges {
		em := es.Meta
		fmt.Fprintf(w, "\n== %s ==\n", em.Exchange)
		fmt.Fprintf(w, "upstream:  REST %s  WS %s\n", orDash(em.UpstreamREST), orDash(em.UpstreamWS))
		fmt.Fprintf(w, "recorded:  %s .. %s\n", fmtTime(em.From), fmtTime(em.To))
		fmt.Fprintf(w, "stored:    %d bytes of values for %d bytes of raw traffic, ratio %.3f\n", em.StoredBytes, em.RawBytes, es.Ratio)
		printContents(w, es)
		if verified != nil && i < len(verified.Exchanges) {
			v := verified.Exchanges[i].Verified
			printVerified(w, &v)
		}
	}
	if verified != nil {
		fmt.Fprintf(w, "\nverified:  ok, %d exchanges (bbolt consistency check of %d pages)\n", len(verified.Exchanges), verified.Pages)
	}
	return nil
}
