package serve

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// The admin API's read-only views of the market, for the dashboard
// (/__admin/ui) and for anyone who would rather not decode an exchange's
// own format:
//
//	GET /__admin/market           the pairs and intervals served, the virtual now
//	GET /__admin/candles          normalized candles with the source of each
//	GET /__admin/coverage         the cassette's candle index per series (replay)
//	GET /__admin/limits/usage     rate-limit usage per client

// MarketView is what a mode tells the admin API about the market an
// exchange serves (Stack.SetMarket). Record mode, which serves the real
// exchange's answers, has none.
type MarketView struct {
	// Market is the market the exchange's handler answers from.
	Market cc.Market
	// Clock is the virtual clock; nil means real time.
	Clock *cc.Clock
	// Pairs are the pairs served, with their native symbols.
	Pairs []cc.Pair
	// Coverage, set when a cassette is replayed, lists its candle index
	// per series on the time line served (shifted as the market is, with
	// --clock now). A candle inside a range is served from the index,
	// any other from the synthetic market.
	Coverage func() ([]SeriesCoverage, error)
}

// SeriesCoverage is the recorded candles of one series: runs of
// consecutive candles, oldest first; the gaps are between them.
type SeriesCoverage struct {
	Symbol   string          `json:"symbol"`
	Interval cc.Interval     `json:"interval"`
	Ranges   []CoverageRange `json:"ranges"`
}

// CoverageRange is one run of recorded candles: open times in [Start, End)
// Unix ms.
type CoverageRange struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	Count int   `json:"count"`
}

// SetMarket tells the admin API what the exchange serves; the mode calls
// it beside Handle.
func (st *Stack) SetMarket(v MarketView) { st.market.Store(&v) }

// maxAdminCandles caps one /__admin/candles answer.
const maxAdminCandles = 1500

// AdminCandle is a candle as /__admin/candles gives it: the decimals as
// the exchange would print them, and where it came from.
type AdminCandle struct {
	Time   int64  `json:"time"` // open time, Unix ms
	Open   string `json:"open"`
	High   string `json:"high"`
	Low    string `json:"low"`
	Close  string `json:"close"`
	Volume string `json:"volume"`
	Closed bool   `json:"closed"`
	Source Source `json:"source"`
}

func (st *Stack) registerMarket(mux *http.ServeMux) {
	mux.HandleFunc("GET /__admin/market", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"exchanges": []any{st.marketInfo()}})
	})
	mux.HandleFunc("GET /__admin/candles", st.serveCandles)
	mux.HandleFunc("GET /__admin/coverage", func(w http.ResponseWriter, r *http.Request) {
		v := st.market.Load()
		out := map[string]any{"exchange": st.plugin.Name(), "replay": v != nil && v.Coverage != nil, "series": []SeriesCoverage{}}
		if v != nil && v.Coverage != nil {
			cv, err := v.Coverage()
			if err != nil {
				writeError(w, http.StatusInternalServerError, "coverage: "+err.Error())
				return
			}
			if cv != nil {
				out["series"] = cv
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /__admin/limits/usage", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"exchange": st.plugin.Name(), "clients": st.limiter.Usage()})
	})
}

// marketInfo is the exchange's entry in /__admin/market.
func (st *Stack) marketInfo() map[string]any {
	v := st.market.Load()
	pairs := []map[string]string{}
	info := map[string]any{
		"id":        st.plugin.Name(),
		"intervals": st.plugin.Defaults().Intervals,
		"pairs":     pairs,
		"market":    v != nil && v.Market != nil,
		"replay":    v != nil && v.Coverage != nil,
	}
	if v == nil {
		return info
	}
	for _, p := range v.Pairs {
		pairs = append(pairs, map[string]string{"symbol": p.Symbol, "base": p.Base, "quote": p.Quote})
	}
	info["pairs"] = pairs
	info["now"] = v.now()
	return info
}

func (v *MarketView) now() int64 {
	if v.Clock == nil {
		return time.Now().UnixMilli()
	}
	return v.Clock.NowMillis()
}

// serveCandles answers GET /__admin/candles?symbol=S&interval=I[&start=MS]
// [&end=MS][&limit=N]: the candles opening in [start, end), the newest
// limit (default 300) up to now when start is not given.
func (st *Stack) serveCandles(w http.ResponseWriter, r *http.Request) {
	v := st.market.Load()
	if v == nil || v.Market == nil {
		writeError(w, http.StatusNotFound, "candles: this mode serves no market of its own (record mode answers from the real exchange)")
		return
	}
	q := r.URL.Query()
	sym := q.Get("symbol")
	if !slices.ContainsFunc(v.Pairs, func(p cc.Pair) bool { return p.Symbol == sym }) {
		syms := make([]string, len(v.Pairs))
		for i, p := range v.Pairs {
			syms[i] = p.Symbol
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf("candles: symbol %q is not served; served: %s", sym, strings.Join(syms, ", ")))
		return
	}
	iv := cc.Interval(q.Get("interval"))
	if ivs := st.plugin.Defaults().Intervals; !slices.Contains(ivs, iv) {
		names := make([]string, len(ivs))
		for i, x := range ivs {
			names[i] = string(x)
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf("candles: interval %q is not served by %s; served: %s", iv, st.plugin.Name(), strings.Join(names, ", ")))
		return
	}
	num := func(name string, def int64) (int64, bool) {
		s := q.Get(name)
		if s == "" {
			return def, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("candles: %s=%q is not a non-negative integer (Unix ms for start and end)", name, s))
			return 0, false
		}
		return n, true
	}
	limit, ok := num("limit", 300)
	if !ok {
		return
	}
	if limit < 1 || limit > maxAdminCandles {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("candles: limit %d is out of 1..%d", limit, maxAdminCandles))
		return
	}
	now := v.now()
	end, ok := num("end", iv.Next(iv.Truncate(now)))
	if !ok {
		return
	}
	start, ok := num("start", -1)
	if !ok {
		return
	}
	end = iv.Truncate(end - 1)
	end = iv.Next(end)
	if start < 0 {
		start = end
		for i := int64(0); i < limit; i++ {
			start = iv.Prev(start)
		}
	} else {
		start = iv.Truncate(start)
		if s := start; iv.Count(s, end-1) > limit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("candles: the window holds %d candles, more than limit %d", iv.Count(s, end-1), limit))
			return
		}
	}
	var out []AdminCandle
	if start < end {
		cs, err := v.Market.Candles(r.Context(), sym, iv, start, end, now)
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, cc.ErrUnknownSymbol) {
				status = http.StatusBadRequest
			}
			writeError(w, status, "candles: "+err.Error())
			return
		}
		src := sourcesOf(v, sym, iv)
		out = make([]AdminCandle, len(cs))
		for i, c := range cs {
			out[i] = AdminCandle{Time: c.OpenTime, Open: c.Open.String(), High: c.High.String(), Low: c.Low.String(),
				Close: c.Close.String(), Volume: c.Volume.String(), Closed: c.Closed, Source: src(c.OpenTime)}
		}
	}
	if out == nil {
		out = []AdminCandle{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"exchange": st.plugin.Name(), "symbol": sym, "interval": iv,
		"start": start, "end": end, "now": now, "candles": out})
}

// sourcesOf says where the candle of (sym, iv) opening at t comes from:
// the cassette's index where it covers t, the synthetic market elsewhere.
func sourcesOf(v *MarketView, sym string, iv cc.Interval) func(int64) Source {
	var ranges []CoverageRange
	if v.Coverage != nil {
		if cv, err := v.Coverage(); err == nil {
			for _, s := range cv {
				if s.Symbol == sym && s.Interval == iv {
					ranges = s.Ranges
				}
			}
		}
	}
	return func(t int64) Source {
		i := sort.Search(len(ranges), func(i int) bool { return ranges[i].End > t })
		if i < len(ranges) && ranges[i].Start <= t {
			return SourceIndex
		}
		return SourceSynthetic
	}
}
