package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unsafe"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// LineError is bad input at a line of a file.
type LineError struct {
	File string
	Line int // 1-based; 0 for the file as a whole
	Err  error
}

func (e *LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// parser turns the lines of one file into candles.
type parser struct {
	name  string
	iv    cc.Interval
	cols  Columns
	unit  TimeUnit
	jsonl bool

	line       int
	started    bool // layout known (header read or first row seen)
	lay        layout
	unitTime   TimeUnit
	unitClose  TimeUnit
	fields     [64][]byte
	jsonFields map[string]json.RawMessage
	jsonKeys   []string
}

func (p *parser) fail(err error) error { return &LineError{File: p.name, Line: p.line, Err: err} }

// chunkCandles is about how many candles parse hands its sink at once,
// cut at an index block boundary so no block is written twice.
const chunkCandles = 1 << 15

// parse reads all of r, handing candles to sink in chunks (each a slice
// sink owns). get gives an empty slice to fill.
func (p *parser) parse(r io.Reader, get func() []cc.Candle, sink func([]cc.Candle) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	buf := get()
	flush := func(all bool) error {
		if len(buf) == 0 {
			return nil
		}
		cut := len(buf)
		if !all {
			bs := cassettes.BlockStart(p.iv, buf[len(buf)-1].OpenTime)
			for cut > 0 && buf[cut-1].OpenTime >= bs {
				cut--
			}
			if cut == 0 {
				cut = len(buf) // unsorted or one huge block: cut anywhere
			}
		}
		next := get()
		next = append(next, buf[cut:]...)
		if err := sink(buf[:cut]); err != nil {
			return err
		}
		buf = next
		return nil
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.line++
			return p.fail(fmt.Errorf("line longer than %d bytes", br.Size()))
		}
		if len(line) > 0 {
			p.line++
			line = bytes.TrimRight(line, "\r\n")
			if len(bytes.TrimSpace(line)) > 0 {
				var c cc.Candle
				var ok bool
				var perr error
				if p.jsonl {
					c, ok, perr = p.jsonRow(line)
				} else {
					c, ok, perr = p.csvRow(line)
				}
				if perr != nil {
					return p.fail(perr)
				}
				if ok {
					buf = append(buf, c)
					if len(buf) >= chunkCandles {
						if err := flush(false); err != nil {
							return err
						}
					}
				}
			}
		}
		if err == io.EOF {
			return flush(true)
		}
		if err != nil {
			return p.fail(fmt.Errorf("read: %w", err))
		}
	}
}

// split cuts a CSV line into p.fields (no quoted commas: kline files have
// none; surrounding quotes are dropped).
func (p *parser) split(line []byte) ([][]byte, error) {
	n := 0
	for {
		i := bytes.IndexByte(line, ',')
		f := line
		if i >= 0 {
			f = line[:i]
		}
		if n == len(p.fields) {
			return nil, fmt.Errorf("more than %d fields", len(p.fields))
		}
		f = bytes.TrimSpace(f)
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = f[1 : len(f)-1]
		}
		p.fields[n] = f
		n++
		if i < 0 {
			return p.fields[:n], nil
		}
		line = line[i+1:]
	}
}

func (p *parser) csvRow(line []byte) (cc.Candle, bool, error) {
	fs, err := p.split(line)
	if err != nil {
		return cc.Candle{}, false, err
	}
	if !p.started {
		p.started = true
		if isHeader(fs) {
			header := make([]string, len(fs))
			for i, f := range fs {
				header[i] = string(f)
			}
			if p.lay, err = resolve(p.cols, header, len(fs)); err != nil {
				return cc.Candle{}, false, err
			}
			return cc.Candle{}, false, nil
		}
		if p.lay, err = resolve(p.cols, nil, len(fs)); err != nil {
			return cc.Candle{}, false, err
		}
	}
	if len(fs) != p.lay.fields {
		return cc.Candle{}, false, fmt.Errorf("%d fields, the file's rows have %d", len(fs), p.lay.fields)
	}
	return p.row(func(f Field) []byte {
		if i := p.lay.pos[f]; i >= 0 {
			return fs[i]
		}
		return nil
	})
}

// isHeader: a header row has no field that reads as a number.
func isHeader(fs [][]byte) bool {
	for _, f := range fs {
		if len(f) > 0 {
			if _, err := cc.ParseDecimal(str(f)); err == nil {
				return false
			}
		}
	}
	return true
}

// jsonRow reads one JSONL line: an object (keys mapped as header names)
// or an array (Binance's REST kline row).
func (p *parser) jsonRow(line []byte) (cc.Candle, bool, error) {
	line = bytes.TrimSpace(line)
	switch line[0] {
	case '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(line, &arr); err != nil {
			return cc.Candle{}, false, fmt.Errorf("bad JSON: %v", err)
		}
		if !p.started {
			p.started = true
			var err error
			if p.lay, err = resolve(p.cols, nil, len(arr)); err != nil {
				return cc.Candle{}, false, err
			}
		}
		if len(arr) != p.lay.fields {
			return cc.Candle{}, false, fmt.Errorf("%d fields, the file's rows have %d", len(arr), p.lay.fields)
		}
		return p.row(func(f Field) []byte {
			if i := p.lay.pos[f]; i >= 0 {
				return unquote(arr[i])
			}
			return nil
		})
	case '{':
		clear(p.jsonFields)
		if p.jsonFields == nil {
			p.jsonFields = map[string]json.RawMessage{}
		}
		if err := json.Unmarshal(line, &p.jsonFields); err != nil {
			return cc.Candle{}, false, fmt.Errorf("bad JSON: %v", err)
		}
		if !p.started {
			p.started = true
			p.jsonKeys = p.jsonKeys[:0]
			for k := range p.jsonFields {
				p.jsonKeys = append(p.jsonKeys, k)
			}
			sortStrings(p.jsonKeys)
			var err error
			if p.lay, err = resolve(p.cols, p.jsonKeys, len(p.jsonKeys)); err != nil {
				return cc.Candle{}, false, err
			}
		}
		return p.row(func(f Field) []byte {
			if i := p.lay.pos[f]; i >= 0 {
				return unquote(p.jsonFields[p.jsonKeys[i]])
			}
			return nil
		})
	}
	return cc.Candle{}, false, fmt.Errorf("not a JSON object or array: %.40q", line)
}

func unquote(v json.RawMessage) []byte {
	if len(v) >= 2 && v[0] == '"' {
		if s, err := strconv.Unquote(string(v)); err == nil {
			return []byte(s)
		}
	}
	if string(v) == "null" {
		return nil
	}
	return v
}

// row builds a candle from the fields get returns (nil: absent).
func (p *parser) row(get func(Field) []byte) (cc.Candle, bool, error) {
	var c cc.Candle
	tv := get(FieldTime)
	if len(tv) == 0 {
		return c, false, fmt.Errorf("empty time")
	}
	if p.unitTime == "" {
		p.unitTime = p.unit
		if p.unitTime == TimeAuto {
			p.unitTime = detectUnit(tv)
		}
	}
	var err error
	if c.OpenTime, err = toMillis(tv, p.unitTime); err != nil {
		return c, false, err
	}
	if p.iv.Truncate(c.OpenTime) != c.OpenTime {
		return c, false, fmt.Errorf("open time %q (%d ms) is not the start of a %s candle", tv, c.OpenTime, p.iv)
	}
	if cv := get(FieldCloseTime); len(cv) > 0 {
		if p.unitClose == "" {
			p.unitClose = p.unit
			if p.unitClose == TimeAuto {
				p.unitClose = detectUnit(cv)
			}
		}
		if c.CloseTime, err = toMillis(cv, p.unitClose); err != nil {
			return c, false, fmt.Errorf("close_time: %w", err)
		}
		if c.CloseTime < c.OpenTime {
			return c, false, fmt.Errorf("close_time %q before open time", cv)
		}
	} else {
		c.CloseTime = p.iv.CloseTime(c.OpenTime)
	}
	for _, d := range [...]struct {
		f   Field
		dst *cc.Decimal
	}{{FieldOpen, &c.Open}, {FieldHigh, &c.High}, {FieldLow, &c.Low}, {FieldClose, &c.Close}, {FieldVolume, &c.Volume},
		{FieldQuoteVolume, &c.QuoteVolume}, {FieldTakerBuyBase, &c.TakerBuyBase}, {FieldTakerBuyQuote, &c.TakerBuyQuote}} {
		v := get(d.f)
		if len(v) == 0 {
			if d.f <= FieldClose {
				return c, false, fmt.Errorf("empty %s", d.f)
			}
			continue
		}
		if *d.dst, err = parseDecimal(v); err != nil {
			return c, false, fmt.Errorf("%s: %w", d.f, err)
		}
	}
	if v := get(FieldTrades); len(v) > 0 {
		n, ok := atoi(v)
		if !ok {
			d, err := cc.ParseDecimal(str(v))
			if err != nil || d.Rescale(0).Cmp(d) != 0 {
				return c, false, fmt.Errorf("trades %q is not a whole number", v)
			}
			n = d.Rescale(0).Units
		}
		c.Trades = n
	}
	if err := checkCandle(&c); err != nil {
		return c, false, err
	}
	c.Closed = true
	return c, true, nil
}

// checkCandle refuses a row no market can print: a high below the open,
// close or low, a low above the open or close, a negative price, size or
// trade count, or a taker-buy part larger than its whole — damaged data a
// replay would otherwise serve with a 200.
func checkCandle(c *cc.Candle) error {
	switch {
	case c.High.Cmp(c.Low) < 0:
		return fmt.Errorf("high %s below low %s", c.High, c.Low)
	case c.High.Cmp(c.Open) < 0 || c.High.Cmp(c.Close) < 0:
		return fmt.Errorf("high %s below open %s or close %s", c.High, c.Open, c.Close)
	case c.Low.Cmp(c.Open) > 0 || c.Low.Cmp(c.Close) > 0:
		return fmt.Errorf("low %s above open %s or close %s", c.Low, c.Open, c.Close)
	case c.Low.Units < 0:
		return fmt.Errorf("negative price %s", c.Low)
	case c.Trades < 0:
		return fmt.Errorf("negative trade count %d", c.Trades)
	}
	for _, v := range [...]struct {
		name string
		d    cc.Decimal
	}{{"volume", c.Volume}, {"quote_volume", c.QuoteVolume}, {"taker_buy_base", c.TakerBuyBase}, {"taker_buy_quote", c.TakerBuyQuote}} {
		if v.d.Units < 0 {
			return fmt.Errorf("negative %s %s", v.name, v.d)
		}
	}
	if c.TakerBuyBase.Cmp(c.Volume) > 0 {
		return fmt.Errorf("taker_buy_base %s above volume %s", c.TakerBuyBase, c.Volume)
	}
	if c.TakerBuyQuote.Cmp(c.QuoteVolume) > 0 {
		return fmt.Errorf("taker_buy_quote %s above quote_volume %s", c.TakerBuyQuote, c.QuoteVolume)
	}
	return nil
}

// parseDecimal is cc.ParseDecimal, reading the plain numbers kline files
// hold (at most 18 digits and one point, no sign) straight from b; any
// other input goes to cc.ParseDecimal.
func parseDecimal(b []byte) (cc.Decimal, error) {
	if len(b) == 0 || len(b) > 19 {
		return cc.ParseDecimal(str(b))
	}
	var u int64
	point := -1
	for i, c := range b {
		if c-'0' <= 9 {
			u = u*10 + int64(c-'0')
			continue
		}
		if c == '.' && point < 0 {
			point = i
			continue
		}
		return cc.ParseDecimal(str(b))
	}
	if point < 0 {
		if len(b) == 19 { // 19 digits may not fit
			return cc.ParseDecimal(str(b))
		}
		return cc.Decimal{Units: u}, nil
	}
	if len(b) == 1 { // "."
		return cc.ParseDecimal(str(b))
	}
	return cc.Decimal{Units: u, Scale: int8(len(b) - 1 - point)}, nil
}

// str views b as a string without copying; for parsers that keep none of it.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
