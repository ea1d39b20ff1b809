package binance

import (
	"context"
	"net/http"
	"sort"

	cc "github.com/candlecassette/candlecassette"
)

// USD-M's perpetual surfaces: premiumIndex, fundingRate, fundingInfo,
// openInterest and openInterestHist, from env.Derivs.

const eightHours = 8 * 3_600_000

// perpState is the perpetual's state at now: from env.Derivs, or without
// it the last price as mark and index with a flat 0.01% every 8 hours.
func (s *server) perpState(ctx context.Context, sym string, now int64) (cc.PerpState, error) {
	if s.env.Derivs != nil {
		return s.env.Derivs.Perp(ctx, sym, now)
	}
	last, err := s.lastPrice(ctx, sym, now)
	if err != nil {
		return cc.PerpState{}, err
	}
	return cc.PerpState{
		Time: now, Mark: last, Index: last, FundingRate: cc.NewDecimal(1, 4),
		NextFunding: (now/eightHours + 1) * eightHours,
	}, nil
}

// handlePremiumIndex serves /fapi/v1/premiumIndex: mark and index price,
// the estimated rate of the next settlement and its time.
func (s *server) handlePremiumIndex(w http.ResponseWriter, r *http.Request, q params) {
	s.eachPrice(w, r, q, func(sp symbolSpec, _ cc.Decimal, now int64) (any, error) {
		ps, err := s.perpState(r.Context(), sp.symbol, now)
		return object{
			{"symbol", sp.symbol}, {"markPrice", num(ps.Mark, 8)}, {"indexPrice", num(ps.Index, 8)},
			{"estimatedSettlePrice", num(ps.Index, 8)}, {"lastFundingRate", num(ps.FundingRate, 8)},
			{"interestRate", "0.00010000"}, {"nextFundingTime", ps.NextFunding},
			{"time", now},
		}, err
	})
}

// errNoDerivs answers the perpetual routes of a mode without them.
func errNoDerivs() *apiError { return errInvalidSymbol() }

// handleFundingRate serves /fapi/v1/fundingRate: settlements of symbol (or
// every symbol) with fundingTime in [startTime, endTime], oldest first, at
// most limit (default 100, max 1000): from startTime when it is given,
// else the last ones up to endTime or now.
func (s *server) handleFundingRate(w http.ResponseWriter, r *http.Request, q params) {
	specs := s.specs
	if q.get("symbol") != "" { // go-binance sends symbol= even when unset
		sym, aerr := q.symbol("symbol")
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		sp, ok := s.spec(sym)
		if !ok {
			writeError(w, errInvalidSymbol())
			return
		}
		specs = []symbolSpec{sp}
	}
	start, hasStart, aerr := q.optInt("startTime")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	end, hasEnd, aerr := q.optInt("endTime")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	limit, hasLimit, aerr := q.optInt("limit")
	switch {
	case aerr != nil:
		writeError(w, aerr)
		return
	case !hasLimit:
		limit = 100
	case limit < 1 || limit > 1000:
		writeError(w, errInvalidParam("limit"))
		return
	}
	if s.env.Derivs == nil {
		writeError(w, errNoDerivs())
		return
	}
	now := s.env.Clock.NowMillis()
	stop := now + 1
	if hasEnd {
		stop = min(stop, end+1)
	}
	from := stop - (limit+1)*eightHours
	if hasStart {
		from = start
		stop = min(stop, start+(limit+1)*eightHours)
	}
	from = max(from, s.p.listed())
	type row struct {
		sym string
		f   cc.Funding
	}
	var rows []row
	for _, sp := range specs {
		if from >= stop {
			break
		}
		fs, err := s.env.Derivs.FundingHistory(r.Context(), sp.symbol, from, stop, now)
		if err != nil {
			writeError(w, err)
			return
		}
		for _, f := range fs {
			rows = append(rows, row{sp.symbol, f})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].f.Time < rows[j].f.Time })
	if int64(len(rows)) > limit {
		if hasStart {
			rows = rows[:limit]
		} else {
			rows = rows[int64(len(rows))-limit:]
		}
	}
	out := make([]object, 0, len(rows))
	for _, rw := range rows {
		out = append(out, object{
			{"symbol", rw.sym}, {"fundingRate", num(rw.f.Rate, 8)},
			{"fundingTime", rw.f.Time}, {"markPrice", num(rw.f.MarkPrice, 8)},
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleFundingInfo serves /fapi/v1/fundingInfo: every symbol settles every
// 8 hours within Binance's ±2.5% bounds.
func (s *server) handleFundingInfo(w http.ResponseWriter, _ *http.Request, _ params) {
	out := make([]object, 0, len(s.specs))
	for _, sp := range s.specs {
		out = append(out, object{
			{"symbol", sp.symbol}, {"adjustedFundingRateCap", "0.02500000"},
			{"adjustedFundingRateFloor", "-0.02500000"}, {"fundingIntervalHours", 8}, {"disclaimer", false},
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleOpenInterest serves /fapi/v1/openInterest.
func (s *server) handleOpenInterest(w http.ResponseWriter, r *http.Request, q params) {
	sym, aerr := q.symbol("symbol")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if _, ok := s.spec(sym); !ok || s.env.Derivs == nil {
		writeError(w, errInvalidSymbol())
		return
	}
	now := s.env.Clock.NowMillis()
	ps, err := s.env.Derivs.Perp(r.Context(), sym, now)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, object{{"openInterest", num(ps.OpenInterest, 0)}, {"symbol", sym}, {"time", now}})
}

// oiPeriods are openInterestHist's periods.
var oiPeriods = map[string]cc.Interval{
	"5m": cc.Interval5m, "15m": cc.Interval15m, "30m": cc.Interval30m, "1h": cc.Interval1h, "2h": cc.Interval2h,
	"4h": cc.Interval4h, "6h": cc.Interval6h, "12h": cc.Interval12h, "1d": cc.Interval1d,
}

// handleOpenInterestHist serves /futures/data/openInterestHist: the open
// interest at each period boundary of the last 30 days (limit default 30,
// max 500).
func (s *server) handleOpenInterestHist(w http.ResponseWriter, r *http.Request, q params) {
	sym, aerr := q.symbol("symbol")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	pv := q.get("period")
	if pv == "" {
		writeError(w, errMandatory("period"))
		return
	}
	iv, ok := oiPeriods[pv]
	if !ok {
		writeError(w, errInvalidParam("period"))
		return
	}
	limit, hasLimit, aerr := q.optInt("limit")
	switch {
	case aerr != nil:
		writeError(w, aerr)
		return
	case !hasLimit:
		limit = 30
	case limit < 1 || limit > 500:
		writeError(w, errInvalidParam("limit"))
		return
	}
	start, hasStart, aerr := q.optInt("startTime")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	end, hasEnd, aerr := q.optInt("endTime")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	sp, ok := s.spec(sym)
	if !ok || s.env.Derivs == nil {
		writeError(w, errInvalidSymbol())
		return
	}
	now := s.env.Clock.NowMillis()
	last := iv.Truncate(now)
	if hasEnd {
		last = min(last, iv.Truncate(end))
	}
	oldest := iv.Ceil(now - 30*day)
	first := max(oldest, iv.Add(last, int(1-limit)))
	if hasStart {
		first = max(oldest, iv.Ceil(start))
		last = min(last, iv.Add(first, int(limit-1)))
	}
	out := []object{}
	for t := first; t <= last; t = iv.Next(t) {
		ps, err := s.env.Derivs.Perp(r.Context(), sp.symbol, t)
		if err != nil {
			writeError(w, err)
			return
		}
		value := cc.DecimalFromFloat(ps.OpenInterest.Float64()*ps.Mark.Float64(), 8)
		out = append(out, object{
			{"symbol", sp.symbol}, {"sumOpenInterest", num(ps.OpenInterest, 8)},
			{"sumOpenInterestValue", num(value, 8)}, {"timestamp", t},
		})
	}
	writeJSON(w, http.StatusOK, out)
}
