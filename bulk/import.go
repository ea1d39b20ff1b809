package bulk

import (
	"errors"
	"fmt"
	"os"
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
	var buf []cc.Candle
	for i, p := range paths {
		var prog func(int64)
		if o.Progress != nil {
			prog = o.Progress.Bytes
		}
		fr, cs, err := readFile(p, infos[i], o, buf[:0], prog)
		if err != nil {
			return res, err
		}
		buf = cs
		if err := bulk.Put(cassettes.Series{Symbol: fr.Symbol, Interval: fr.Interval, Candles: cs}); err != nil {
			return res, fmt.Errorf("%s: %w", p, err)
		}
		res.Files = append(res.Files, fr)
		if o.Progress != nil {
			o.Progress.FileDone(fr)
		}
	}
	res.Report = bulk.Report()
	if err := bulk.Commit(); err != nil {
		return res, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// readFile parses one file (verifying its checksum) into dst.
func readFile(path string, ni NameInfo, o ImportOptions, dst []cc.Candle, progress func(int64)) (FileResult, []cc.Candle, error) {
	fr := FileResult{Name: path, Symbol: ni.Symbol, Interval: ni.Interval}
	in, err := openInput(path, o.JSONL, progress)
	if err != nil {
		return fr, dst, err
	}
	defer in.done()
	p := &parser{name: in.name, iv: ni.Interval, cols: o.Columns, unit: o.TimeUnit, jsonl: in.jsonl}
	if cap(dst) == 0 {
		dst = make([]cc.Candle, 0, in.size/60+16)
	}
	cs, err := p.parse(in.r, dst)
	if err != nil {
		return fr, cs, err
	}
	if err := in.verify(); err != nil {
		return fr, cs, err
	}
	fr.Checksum = in.hash != nil
	fr.Candles = len(cs)
	if len(cs) > 0 {
		fr.First, fr.Last = cs[0].OpenTime, cs[0].OpenTime
		for _, c := range cs {
			fr.First, fr.Last = min(fr.First, c.OpenTime), max(fr.Last, c.OpenTime)
		}
	}
	return fr, cs, nil
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
