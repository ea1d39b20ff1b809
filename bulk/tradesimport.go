package bulk

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// Trades import: Binance public-data trades and aggTrades files into a
// cassette's trades index.
//
//	trades:    id, price, qty, quoteQty, time, isBuyerMaker, isBestMatch
//	aggTrades: aggId, price, qty, firstId, lastId, time, isBuyerMaker, isBestMatch
//
// (USD-M files have no isBestMatch column.) Files are .zip, .csv or .gz,
// with or without a header row; a time of 16 digits or more is
// microseconds (spot files from 2025 on), a shorter one milliseconds. An
// aggregate is indexed as its prints firstId..lastId (see
// cassettes.TradeSeries); a trades file of the same span replaces those
// prints with the real ones.

// TradeKind says which of the two layouts a file has.
type TradeKind string

const (
	KindTrades    TradeKind = "trades"
	KindAggTrades TradeKind = "aggTrades"
)

var tradeName = regexp.MustCompile(`^([A-Z0-9]+)-(trades|aggTrades)-\d{4}-\d{2}(-\d{2})?\.(zip|csv|csv\.gz)$`)

// TradeNameInfo reads symbol and kind from a Binance trades file name
// (BTCUSDT-trades-2024-01.zip, BTCUSDT-aggTrades-2024-01-15.zip).
func TradeNameInfo(path string) (symbol string, kind TradeKind, ok bool) {
	m := tradeName.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return "", "", false
	}
	return m[1], TradeKind(m[2]), true
}

// IsTradesFile says whether path is named like a Binance trades or
// aggTrades file.
func IsTradesFile(path string) bool {
	_, _, ok := TradeNameInfo(path)
	return ok
}

// TradeImportOptions configure ImportTrades.
type TradeImportOptions struct {
	// Symbol and Kind override what file names say.
	Symbol string
	Kind   TradeKind
	// Overwrite replaces indexed trades that differ from imported ones.
	Overwrite bool
	Progress  Progress
}

// TradeFileResult is what one trades file gave.
type TradeFileResult struct {
	Name     string    `json:"file"`
	Symbol   string    `json:"symbol"`
	Kind     TradeKind `json:"kind"`
	Rows     int       `json:"rows"`
	First    int64     `json:"first"` // Unix µs of the earliest row
	Last     int64     `json:"last"`
	Checksum bool      `json:"checksum_verified"`
}

// TradeImportResult is what ImportTrades did.
type TradeImportResult struct {
	Files    []TradeFileResult
	Report   cassettes.TradeReport
	Duration time.Duration
}

// importChunk is how many rows are handed to the index at once.
const importChunk = 200_000

// ImportTrades reads files into cas's trades index in one transaction: if
// any file is unreadable, malformed or fails its .CHECKSUM, nothing is
// imported.
func ImportTrades(cas *cassettes.Cassette, files []string, o TradeImportOptions) (TradeImportResult, error) {
	start := time.Now()
	var res TradeImportResult
	type job struct {
		path   string
		symbol string
		kind   TradeKind
	}
	var jobs []job
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
		sym, kind, _ := TradeNameInfo(f)
		if o.Symbol != "" {
			sym = o.Symbol
		}
		if o.Kind != "" {
			kind = o.Kind
		}
		if sym == "" || (kind != KindTrades && kind != KindAggTrades) {
			return res, fmt.Errorf("%s: the name does not say symbol and kind (SYMBOL-trades-YYYY-MM.zip, SYMBOL-aggTrades-...): give --symbol and --data trades|aggTrades", f)
		}
		jobs = append(jobs, job{f, sym, kind})
		total += fi.Size()
	}
	if len(jobs) == 0 {
		return res, errors.New("no files to import")
	}
	b, err := cas.BeginBulk(cassettes.BulkOptions{Overwrite: o.Overwrite})
	if err != nil {
		return res, err
	}
	defer b.Rollback()
	if o.Progress != nil {
		o.Progress.Start(len(jobs), total)
		defer o.Progress.Finish()
	}
	for _, j := range jobs {
		var prog func(int64)
		if o.Progress != nil {
			prog = o.Progress.Bytes
		}
		fr, err := readTradesFile(j.path, j.symbol, j.kind, prog, b.PutTrades)
		if err != nil {
			return res, err
		}
		res.Files = append(res.Files, fr)
		if o.Progress != nil {
			o.Progress.FileDone(FileResult{Name: fr.Name, Symbol: fr.Symbol, Interval: cc.Interval(fr.Kind), Candles: fr.Rows, First: fr.First / 1000, Last: fr.Last / 1000, Checksum: fr.Checksum})
		}
	}
	res.Report = b.Report().Trades
	if err := b.Commit(); err != nil {
		return res, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// readTradesFile parses one file, handing its rows to put in chunks.
func readTradesFile(path, symbol string, kind TradeKind, progress func(int64), put func(cassettes.TradeSeries) error) (TradeFileResult, error) {
	fr := TradeFileResult{Name: path, Symbol: symbol, Kind: kind, First: math.MaxInt64, Last: math.MinInt64}
	in, err := openInput(path, false, progress)
	if err != nil {
		return fr, err
	}
	defer in.done()
	if in.jsonl {
		return fr, &LineError{File: in.name, Err: errors.New("trades files are CSV")}
	}
	set := cassettes.TradeSeries{Symbol: symbol}
	flush := func() error {
		if len(set.Trades) == 0 {
			return nil
		}
		if err := put(set); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		set.Trades, set.Last = set.Trades[:0], set.Last[:0]
		return nil
	}
	sc := bufio.NewScanner(in.r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fs := strings.Split(text, ",")
		if line == 1 && len(fs) > 0 {
			if _, err := strconv.ParseInt(strings.TrimSpace(fs[0]), 10, 64); err != nil {
				continue // a header row
			}
		}
		t, last, err := parseTradeRow(fs, kind)
		if err != nil {
			return fr, &LineError{File: in.name, Line: line, Err: err}
		}
		set.Trades = append(set.Trades, t)
		if kind == KindAggTrades {
			set.Last = append(set.Last, last)
		}
		fr.Rows++
		fr.First, fr.Last = min(fr.First, t.Time), max(fr.Last, t.Time)
		if len(set.Trades) >= importChunk {
			if err := flush(); err != nil {
				return fr, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fr, &LineError{File: in.name, Line: line + 1, Err: err}
	}
	if err := flush(); err != nil {
		return fr, err
	}
	if err := in.verify(); err != nil {
		return fr, err
	}
	fr.Checksum = in.hash != nil
	if fr.Rows == 0 {
		fr.First, fr.Last = 0, 0
	}
	return fr, nil
}

// parseTradeRow reads one CSV row of kind.
func parseTradeRow(fs []string, kind TradeKind) (cc.Trade, int64, error) {
	for i := range fs {
		fs[i] = strings.TrimSpace(fs[i])
	}
	// trades: id, price, qty, quoteQty, time, isBuyerMaker[, isBestMatch]
	// aggTrades: aggId, price, qty, firstId, lastId, time, isBuyerMaker[, isBestMatch]
	timeCol, bmCol, want := 4, 5, 6
	if kind == KindAggTrades {
		timeCol, bmCol, want = 5, 6, 7
	}
	if len(fs) < want || len(fs) > want+1 {
		return cc.Trade{}, 0, fmt.Errorf("%d fields, want %d or %d (%s)", len(fs), want, want+1, kind)
	}
	num := func(i int, name string) (int64, error) {
		v, err := strconv.ParseInt(fs[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %q: not an integer", name, fs[i])
		}
		return v, nil
	}
	var t cc.Trade
	var err error
	if t.ID, err = num(0, "id"); err != nil {
		return t, 0, err
	}
	if t.Price, err = cc.ParseDecimal(fs[1]); err != nil {
		return t, 0, fmt.Errorf("price: %w", err)
	}
	if t.Size, err = cc.ParseDecimal(fs[2]); err != nil {
		return t, 0, fmt.Errorf("qty: %w", err)
	}
	if t.Price.Units <= 0 || t.Size.Units <= 0 {
		return t, 0, fmt.Errorf("price %s, qty %s: a trade prints a positive size at a positive price", t.Price, t.Size)
	}
	at, err := num(timeCol, "time")
	if err != nil {
		return t, 0, err
	}
	if at < 1e14 {
		at *= 1000 // ms
	}
	t.Time = at
	switch strings.ToLower(fs[bmCol]) {
	case "true":
		t.BuyerMaker = true
	case "false":
	default:
		return t, 0, fmt.Errorf("isBuyerMaker %q: want true or false", fs[bmCol])
	}
	t.AggID = t.ID
	if kind == KindTrades {
		if t.ID <= 0 {
			return t, 0, fmt.Errorf("id %d: want a positive trade id", t.ID)
		}
		return t, 0, nil
	}
	first, err := num(3, "firstId")
	if err != nil {
		return t, 0, err
	}
	last, err := num(4, "lastId")
	if err != nil {
		return t, 0, err
	}
	if first <= 0 || last < first {
		return t, 0, fmt.Errorf("firstId %d, lastId %d: want 0 < firstId <= lastId", first, last)
	}
	t.AggID, t.ID = t.ID, first
	return t, last, nil
}
