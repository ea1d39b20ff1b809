package bulk

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// Progress is told how an import goes: the command line draws a bar on a
// terminal and prints a line per file otherwise.
type Progress interface {
	Start(files int, bytes int64)
	Bytes(n int64)
	FileDone(f FileResult)
	Finish()
}

// ImportOptions configure Import.
type ImportOptions struct {
	// Symbol and Interval override what file names say.
	Symbol   string
	Interval cc.Interval
	// Columns map candle fields to source columns (nil: header aliases,
	// or Binance's 12-field layout for headerless rows).
	Columns  Columns
	TimeUnit TimeUnit
	// JSONL reads every file as JSON lines (else by extension).
	JSONL bool
	// Overwrite replaces indexed candles that differ from imported ones.
	Overwrite bool
	Progress  Progress
}

// FileResult is what one file gave.
type FileResult struct {
	Name     string      `json:"file"`
	Symbol   string      `json:"symbol"`
	Interval cc.Interval `json:"interval"`
	Candles  int         `json:"candles"`
	First    int64       `json:"first"` // open time of the earliest candle, Unix ms
	Last     int64       `json:"last"`
	Checksum bool        `json:"checksum_verified"`
}

// ImportResult is what Import did.
type ImportResult struct {
	Files    []FileResult
	Report   cassettes.BulkReport
	Duration time.Duration
}

// Import reads files into cas's candle index in one transaction: if any
// file is unreadable, malformed or fails its .CHECKSUM, nothing is
// imported. .CHECKSUM files given as arguments are skipped (they are read
// beside the file they check).
func Import(cas *cassettes.Cassette, files []string, o ImportOptions) (ImportResult, error) {
	start := time.Now()
	var res ImportResult
	var paths []string
	var total int64
	for _, f := range files {
		if strings.HasSuffix(f, ".CHECKSUM") {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return res, err
		}
		if fi.IsDir() {
			return res, fmt.Errorf("%s is a directory", f)
		}
		paths = append(paths, f)
		total += fi.Size()
	}
	if len(paths) == 0 {
		return res, errors.New("no files to import")
	}
	// Every file's symbol and interval are known before anything is read.
	infos := make([]NameInfo, len(paths))
	for i, p := range paths {
		ni, _ := ParseName(p)
		if o.Symbol != "" {
			ni.Symbol = o.Symbol
		}
		if o.Interval != "" {
			ni.Interval = o.Interval
		}
		if ni.Symbol == "" || ni.Interval == "" {
			return res, fmt.Errorf("%s: the name does not say symbol and interval (SYMBOL-INTERVAL-YYYY-MM.zip): give --symbol and --interval", p)
		}
		if !ni.Interval.Valid() {
			return res, fmt.Errorf("%s: interval %q is not one of %v", p, ni.Interval, cc.Intervals)
		}
		infos[i] = ni
	}
	bulk, err := cas.BeginBulk(cassettes.BulkOptions{Overwrite: o.Overwrite})
	if err != nil {
		return res, err
	}
	defer bulk.Rollback()
	if o.Progress != nil {
		o.Progress.Start(len(paths), total)
		defer o.Progress.Finish()
	}
	// dups counts what repeated open times within one chunk of a file
	// did: Put keeps only the last of them, unreported.
	var dups cassettes.BulkReport
	for i, p := range paths {
		var prog func(int64)
		if o.Progress != nil {
			prog = o.Progress.Bytes
		}
		key := cassettes.SeriesKey{Symbol: infos[i].Symbol, Interval: infos[i].Interval}
		fr, err := readFile(p, infos[i], o, prog, func(cs []cc.Candle) error {
			cs = collapseRepeats(cs, key, o.Overwrite, &dups)
			return bulk.Put(cassettes.Series{Symbol: infos[i].Symbol, Interval: infos[i].Interval, Candles: cs})
		})
		if err != nil {
			return res, err
		}
		res.Files = append(res.Files, fr)
		if o.Progress != nil {
			o.Progress.FileDone(fr)
		}
	}
	res.Report = bulk.Report()
	res.Report.Given += dups.Given
	res.Report.Same += dups.Same
	res.Report.Conflicts += dups.Conflicts
	res.Report.Replaced += dups.Replaced
	res.Report.Examples = append(dups.Examples, res.Report.Examples...)[:min(maxExamples, len(dups.Examples)+len(res.Report.Examples))]
	if err := bulk.Commit(); err != nil {
		return res, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// readFile parses one file (verifying its checksum), handing its candles
// to put in chunks. Parsing runs in a goroutine of its own, one chunk
// ahead of put (which encodes blocks on the other cores).
func readFile(path string, ni NameInfo, o ImportOptions, progress func(int64), put func([]cc.Candle) error) (FileResult, error) {
	fr := FileResult{Name: path, Symbol: ni.Symbol, Interval: ni.Interval, First: math.MaxInt64, Last: math.MinInt64}
	in, err := openInput(path, o.JSONL, progress)
	if err != nil {
		return fr, err
	}
	defer in.done()
	p := &parser{name: in.name, iv: ni.Interval, cols: o.Columns, unit: o.TimeUnit, jsonl: in.jsonl}
	chunks := make(chan []cc.Candle, 2)
	free := make(chan []cc.Candle, 4)
	stop := make(chan struct{})
	parseErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		parseErr <- p.parse(in.r, func() []cc.Candle {
			select {
			case b := <-free:
				return b[:0]
			default:
				return make([]cc.Candle, 0, chunkCandles+chunkCandles/4)
			}
		}, func(cs []cc.Candle) error {
			select {
			case chunks <- cs:
				return nil
			case <-stop:
				return errStopped
			}
		})
	}()
	var putErr error
	for cs := range chunks {
		if putErr == nil {
			putErr = put(cs)
			if putErr != nil {
				close(stop)
			}
		}
		fr.Candles += len(cs)
		for _, c := range cs {
			fr.First, fr.Last = min(fr.First, c.OpenTime), max(fr.Last, c.OpenTime)
		}
		select {
		case free <- cs:
		default:
		}
	}
	if err := <-parseErr; err != nil && !errors.Is(err, errStopped) {
		return fr, err
	}
	if putErr != nil {
		return fr, fmt.Errorf("%s: %w", path, putErr)
	}
	if err := in.verify(); err != nil {
		return fr, err
	}
	fr.Checksum = in.hash != nil
	if fr.Candles == 0 {
		fr.First, fr.Last = 0, 0
	}
	return fr, nil
}

var errStopped = errors.New("stopped")

// maxExamples is how many differing candles an import reports (Bulk's
// default).
const maxExamples = 5

// collapseRepeats makes cs strictly time-ordered for Put: a file that
// gives one open time twice (two dumps joined, a row repeated) has the
// later row compared with the earlier one, as an import compares a
// candle with the indexed one: identical is counted Same; a differing
// one is a conflict, reported, and replaces the earlier one only with
// overwrite. Counts go to r (the later row counted as given). cs is
// sorted in place when it is out of order; the result shares its array.
func collapseRepeats(cs []cc.Candle, key cassettes.SeriesKey, overwrite bool, r *cassettes.BulkReport) []cc.Candle {
	strict := true
	for i := 1; i < len(cs); i++ {
		if cs[i].OpenTime <= cs[i-1].OpenTime {
			strict = false
			break
		}
	}
	if strict {
		return cs
	}
	slices.SortStableFunc(cs, func(a, b cc.Candle) int { return cmp.Compare(a.OpenTime, b.OpenTime) })
	out := cs[:1]
	for _, c := range cs[1:] {
		last := &out[len(out)-1]
		if c.OpenTime != last.OpenTime {
			out = append(out, c)
			continue
		}
		r.Given++
		switch {
		case cassettes.SameCandle(*last, c):
			r.Same++
		default:
			r.Conflicts++
			if len(r.Examples) < maxExamples {
				r.Examples = append(r.Examples, cassettes.CandleConflict{Key: key, Old: *last, New: c})
			}
			if overwrite {
				r.Replaced++
				*last = c
			}
		}
	}
	return out
}

// OpenWritable opens (or creates) the cassette at path for writing
// exchange's data. A new file is a format-4 file (it can take other
// exchanges later); an existing single-exchange cassette must be of the
// same exchange. The returned close commits and closes.
func OpenWritable(path, exchange, toolVersion string) (*cassettes.Cassette, func() error, error) {
	if exchange == "" {
		return nil, nil, errors.New("--exchange is required")
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		ro, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
		if err != nil {
			return nil, nil, err
		}
		multi := ro.Multi()
		ro.Close()
		if !multi {
			c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: exchange, ToolVersion: toolVersion})
			if err != nil {
				return nil, nil, err
			}
			return c, c.Close, nil
		}
	}
	f, err := cassettes.OpenFile(path, 0o644, &cassettes.Options{ToolVersion: toolVersion})
	if err != nil {
		return nil, nil, err
	}
	c, err := f.Exchange(exchange, nil)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return c, f.Close, nil
}
