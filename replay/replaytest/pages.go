package replaytest

import (
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// PagesJoin pages through the 1m candles of sym the way a client does: it
// asks for pages of limit candles from 5 hours ago, each page starting
// after the last candle of the one before, with the plugin's own
// CandlesRequest and DecodeCandles. It fails the test unless every page is
// full, the candles join without gap or overlap and all of them are closed.
func (s *Server) PagesJoin(t testing.TB, sym string, pages, limit int) {
	t.Helper()
	since := cc.Interval1m.Truncate(time.Now().Add(-5 * time.Hour).UnixMilli())
	var all []cc.Candle
	for page := 0; page < pages; page++ {
		q := plugins.Query{Symbol: sym, Interval: cc.Interval1m, Start: since, Limit: limit}
		req, err := s.Plugin.CandlesRequest(q)
		if err != nil {
			t.Fatal(err)
		}
		status, body := s.Do(t, req)
		if status != 200 {
			t.Fatalf("page %d: status %d: %s", page, status, body)
		}
		req, _ = s.Plugin.CandlesRequest(q) // a fresh body to decode against
		set, err := s.Plugin.DecodeCandles(req, body)
		if err != nil || len(set.Candles) != limit {
			t.Fatalf("page %d: %v, %d candles", page, err, len(set.Candles))
		}
		all = append(all, set.Candles...)
		since = set.Candles[limit-1].OpenTime + 60000
	}
	for i := 1; i < len(all); i++ {
		if all[i].OpenTime != all[i-1].OpenTime+60000 {
			t.Fatalf("gap or overlap at %d: %d then %d", i, all[i-1].OpenTime, all[i].OpenTime)
		}
	}
	for i, c := range all {
		if !c.Closed {
			t.Fatalf("candle %d of pages in the past is open", i)
		}
	}
}
