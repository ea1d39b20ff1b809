package cassettes

import (
	"fmt"
	"os"
	"sort"
)

// Summary is what `candlecassette inspect` prints: everything a person
// needs to know about a cassette without replaying it.
type Summary struct {
	Path string `json:"path"`
	Meta Meta   `json:"meta"`
	// Paths counts interactions per "METHOD /path".
	Paths map[string]int `json:"paths"`
	// Conns is the number of WS connections; Streams counts frames per
	// stream label and ConnPaths frames per connection URL path.
	Conns     int              `json:"conns"`
	Streams   map[string]int64 `json:"streams"`
	ConnPaths map[string]int64 `json:"conn_paths"`
	// Coverage per (symbol, interval), sorted.
	Coverage []CoverageSummary `json:"coverage"`
	// Trades summarizes the trades index per symbol (none: omitted).
	Trades []TradeSpan `json:"trades,omitempty"`
	// Books summarizes the books index per symbol (none: omitted).
	Books []BookSpan `json:"books,omitempty"`
	// FileSize is the file's size in bytes; Ratio is FileSize/RawBytes
	// (0 when nothing was recorded).
	FileSize int64   `json:"file_size"`
	Ratio    float64 `json:"ratio"`
}

// CoverageSummary is one series' coverage with its gaps spelled out.
type CoverageSummary struct {
	Symbol   string  `json:"symbol"`
	Interval string  `json:"interval"`
	Candles  int     `json:"candles"`
	Ranges   []Range `json:"ranges"`
	Gaps     []Range `json:"gaps"`
}

// Summarize reads the whole cassette and summarizes it.
func (c *Cassette) Summarize() (*Summary, error) {
	s := &Summary{Path: c.path, Meta: c.Meta(), Streams: map[string]int64{}, ConnPaths: map[string]int64{}}
	var err error
	if s.Paths, err = c.PathCounts(); err != nil {
		return nil, err
	}
	conns, err := c.Conns()
	if err != nil {
		return nil, err
	}
	s.Conns = len(conns)
	for _, conn := range conns {
		for k, n := range conn.Streams {
			s.Streams[k] += n
		}
		p := conn.URL
		for i := 0; i < len(p); i++ {
			if p[i] == '?' {
				p = p[:i]
				break
			}
		}
		// A cassette recorded before listen keys in paths were redacted
		// must not print them either.
		p = redactPathTokens(p, nil)
		s.ConnPaths[p] += conn.Frames
	}
	series, err := c.Series()
	if err != nil {
		return nil, err
	}
	sort.Slice(series, func(i, j int) bool {
		if series[i].Symbol != series[j].Symbol {
			return series[i].Symbol < series[j].Symbol
		}
		return series[i].Interval.Millis() < series[j].Interval.Millis()
	})
	for _, k := range series {
		cv, err := c.Coverage(k.Symbol, k.Interval)
		if err != nil {
			return nil, err
		}
		s.Coverage = append(s.Coverage, CoverageSummary{
			Symbol: k.Symbol, Interval: string(k.Interval), Candles: cv.Total(),
			Ranges: cv.Ranges, Gaps: cv.Gaps(),
		})
	}
	if s.Trades, err = c.TradeSpans(); err != nil {
		return nil, err
	}
	if s.Books, err = c.BookSpans(); err != nil {
		return nil, err
	}
	if c.file != nil {
		// One exchange of several: what its values take, not the file.
		if s.Meta.RawBytes > 0 {
			s.Ratio = float64(s.Meta.StoredBytes) / float64(s.Meta.RawBytes)
		}
		return s, nil
	}
	if fi, err := os.Stat(c.path); err == nil {
		s.FileSize = fi.Size()
	}
	if s.Meta.RawBytes > 0 {
		s.Ratio = float64(s.FileSize) / float64(s.Meta.RawBytes)
	}
	return s, nil
}

// FileSummary is `candlecassette inspect` of a file of several exchanges
// (format 4): the file's record, and one Summary per exchange, whose
// FileSize is 0 and Ratio is its stored bytes over its raw bytes.
type FileSummary struct {
	Path string `json:"path"`
	// Meta is the file's meta record (format, created, exchanges).
	Meta Meta `json:"meta"`
	// FileSize is the file's size, RawBytes the raw traffic of every
	// exchange, Ratio their quotient (0 when nothing was recorded).
	FileSize  int64      `json:"file_size"`
	RawBytes  int64      `json:"raw_bytes"`
	Ratio     float64    `json:"ratio"`
	Exchanges []*Summary `json:"exchanges"`
}

// Summarize reads the whole file and summarizes each exchange.
func (f *File) Summarize() (*FileSummary, error) {
	s := &FileSummary{Path: f.path, Meta: f.Meta(), Exchanges: []*Summary{}}
	for _, id := range f.Exchanges() {
		c, err := f.Exchange(id, nil)
		if err != nil {
			return nil, err
		}
		es, err := c.Summarize()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		s.RawBytes += es.Meta.RawBytes
		s.Exchanges = append(s.Exchanges, es)
	}
	if fi, err := os.Stat(f.path); err == nil {
		s.FileSize = fi.Size()
	}
	if s.RawBytes > 0 {
		s.Ratio = float64(s.FileSize) / float64(s.RawBytes)
	}
	return s, nil
}
