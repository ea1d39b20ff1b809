package bulk

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Field is a candle field a source column maps to.
type Field int

// The candle fields, in the order of Binance's 12-field kline row.
const (
	FieldTime Field = iota // open time
	FieldOpen
	FieldHigh
	FieldLow
	FieldClose
	FieldVolume
	FieldCloseTime
	FieldQuoteVolume
	FieldTrades
	FieldTakerBuyBase
	FieldTakerBuyQuote
	numFields
)

// fieldNames are the names --columns uses (and export writes).
var fieldNames = [numFields]string{"time", "open", "high", "low", "close", "volume", "close_time",
	"quote_volume", "trades", "taker_buy_base", "taker_buy_quote"}

func (f Field) String() string { return fieldNames[f] }

// aliases are the header names (lower case, no spaces or underscores)
// that map to a field without --columns: Binance's futures headers, the
// names pandas and common kline dumps use.
var aliases = map[string]Field{
	"time": FieldTime, "opentime": FieldTime, "timestamp": FieldTime, "datetime": FieldTime, "date": FieldTime, "t": FieldTime, "ts": FieldTime, "starttime": FieldTime,
	"open": FieldOpen, "o": FieldOpen,
	"high": FieldHigh, "h": FieldHigh,
	"low": FieldLow, "l": FieldLow,
	"close": FieldClose, "c": FieldClose,
	"volume": FieldVolume, "v": FieldVolume, "vol": FieldVolume, "basevolume": FieldVolume,
	"closetime": FieldCloseTime, "endtime": FieldCloseTime,
	"quotevolume": FieldQuoteVolume, "quoteassetvolume": FieldQuoteVolume, "quoteav": FieldQuoteVolume, "q": FieldQuoteVolume, "turnover": FieldQuoteVolume,
	"trades": FieldTrades, "count": FieldTrades, "numberoftrades": FieldTrades, "n": FieldTrades,
	"takerbuybase": FieldTakerBuyBase, "takerbuybasevolume": FieldTakerBuyBase, "takerbuybaseassetvolume": FieldTakerBuyBase, "takerbuyvolume": FieldTakerBuyBase, "tbbaseav": FieldTakerBuyBase,
	"takerbuyquote": FieldTakerBuyQuote, "takerbuyquotevolume": FieldTakerBuyQuote, "takerbuyquoteassetvolume": FieldTakerBuyQuote, "tbquoteav": FieldTakerBuyQuote,
}

func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Columns maps candle fields to source columns: by header name, or by
// 1-based position ("time=1").
type Columns map[Field]string

// ParseColumns reads --columns: comma-separated field=column pairs, e.g.
// "time=open_time,open=o,high=h,low=l,close=c,volume=v".
func ParseColumns(s string) (Columns, error) {
	out := Columns{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--columns: %q: want field=column", kv)
		}
		f := -1
		for i, n := range fieldNames {
			if n == k {
				f = i
			}
		}
		if f < 0 {
			return nil, fmt.Errorf("--columns: unknown field %q (fields: %s)", k, strings.Join(fieldNames[:], ", "))
		}
		out[Field(f)] = v
	}
	return out, nil
}

// layout is where each field is in a row (-1: absent) and how many
// fields a row has.
type layout struct {
	pos    [numFields]int
	fields int
}

// binanceLayout is the 12-field data.binance.vision kline row.
func binanceLayout() layout {
	var l layout
	for i := range l.pos {
		l.pos[i] = i
	}
	l.fields = 12
	return l
}

// resolve builds a layout from cols over a header (nil: none). With no
// mapping, a header is matched by aliases and a headerless row of 12
// fields is Binance's layout.
func resolve(cols Columns, header []string, fields int) (layout, error) {
	var l layout
	l.fields = fields
	for i := range l.pos {
		l.pos[i] = -1
	}
	if len(cols) == 0 {
		if header == nil {
			if fields == 12 || fields == 11 {
				l = binanceLayout()
				l.fields = fields
				return l, nil
			}
			return l, fmt.Errorf("a headerless row of %d fields is not Binance's 12-field kline layout: give --columns", fields)
		}
		for i, h := range header {
			if f, ok := aliases[normName(h)]; ok && l.pos[f] < 0 {
				l.pos[f] = i
			}
		}
	} else {
		for f, col := range cols {
			if n, err := strconv.Atoi(col); err == nil {
				if n < 1 || n > fields {
					return l, fmt.Errorf("--columns %s=%d: rows have %d fields", f, n, fields)
				}
				l.pos[f] = n - 1
				continue
			}
			found := false
			for i, h := range header {
				if strings.EqualFold(strings.TrimSpace(h), col) {
					l.pos[f], found = i, true
					break
				}
			}
			if !found {
				if header == nil {
					return l, fmt.Errorf("--columns %s=%s: the file has no header row; name columns by position (1-based)", f, col)
				}
				return l, fmt.Errorf("--columns %s=%s: no such column in header %q", f, col, strings.Join(header, ","))
			}
		}
	}
	for _, f := range []Field{FieldTime, FieldOpen, FieldHigh, FieldLow, FieldClose} {
		if l.pos[f] < 0 {
			return l, fmt.Errorf("no column for %s (header %q): give --columns", f, strings.Join(header, ","))
		}
	}
	return l, nil
}

// TimeUnit says how a time column is written.
type TimeUnit string

// Time units for --time-unit. TimeAuto decides per file: integers by
// magnitude (seconds below 1e11, microseconds from 1e15, else
// milliseconds: Binance's spot files switched to microseconds on
// 2025-01-01), text as RFC 3339 or "YYYY-MM-DD HH:MM:SS[.fff]" (UTC).
const (
	TimeAuto    TimeUnit = ""
	TimeMillis  TimeUnit = "ms"
	TimeMicros  TimeUnit = "us"
	TimeSeconds TimeUnit = "s"
	TimeText    TimeUnit = "rfc3339"
)

// ParseTimeUnit reads --time-unit.
func ParseTimeUnit(s string) (TimeUnit, error) {
	switch u := TimeUnit(s); u {
	case TimeAuto, TimeMillis, TimeMicros, TimeSeconds, TimeText:
		return u, nil
	case "auto":
		return TimeAuto, nil
	}
	return "", fmt.Errorf("--time-unit %q: want ms, us, s, rfc3339 or auto", s)
}

// detectUnit picks the unit of a file from its first time value.
func detectUnit(v []byte) TimeUnit {
	n, ok := atoi(v)
	if !ok {
		return TimeText
	}
	switch {
	case n >= 1e15 || n <= -1e15:
		return TimeMicros
	case n >= 1e11 || n <= -1e11:
		return TimeMillis
	}
	return TimeSeconds
}

var textLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"}

// toMillis converts a time value in unit u to Unix milliseconds.
func toMillis(v []byte, u TimeUnit) (int64, error) {
	if u != TimeText {
		n, ok := atoi(v)
		if !ok {
			return 0, fmt.Errorf("time %q is not an integer (%s)", v, u)
		}
		switch u {
		case TimeMicros:
			return floorDiv(n, 1000), nil
		case TimeSeconds:
			return n * 1000, nil
		}
		return n, nil
	}
	s := string(v)
	for _, l := range textLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("time %q is neither RFC 3339 nor YYYY-MM-DD HH:MM:SS", s)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// atoi parses a decimal integer without allocating.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
