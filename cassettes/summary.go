package cassettes

import (
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
	if fi, err := os.Stat(c.path); err == nil {
		s.FileSize = fi.Size()
	}
	if s.Meta.RawBytes > 0 {
		s.Ratio = float64(s.FileSize) / float64(s.Meta.RawBytes)
	}
	return s, nil
}
