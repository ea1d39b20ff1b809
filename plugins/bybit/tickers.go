package bybit

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Tickers: the rolling 24 hours (cc.RollingStats, exact at 1s, up to the
// last second closed), the touch from env.Quotes right after their last
// trade (cc.Stats.Through), and for linear the mark, index, funding and
// open interest from env.Derivs.

const day = 86_400_000

func str(d cc.Decimal) string { return string(num(nil, d)) }

// pcnt is (last−open)/open as Bybit's price24hPcnt: a fraction, to 4
// decimals (the percentage to 2).
func pcnt(st cc.Stats) string {
	p := st.ChangePercent(2)
	return str(cc.Decimal{Units: p.Units, Scale: p.Scale + 2})
}

func (h *handler) tickers(w http.ResponseWriter, r *http.Request, q url.Values) {
	cat, ok := h.category(w, q)
	if !ok {
		return
	}
	sym := q.Get("symbol")
	if sym != "" && !h.served(cat, sym) {
		h.fail(w, http.StatusOK, codeParams, msgSymbol)
		return
	}
	now := h.env.Clock.NowMillis()
	list := []map[string]string{}
	if cat == h.ex.category {
		for _, p := range h.env.Pairs {
			if sym != "" && p.Symbol != sym {
				continue
			}
			t, err := h.ticker(r.Context(), p.Symbol, now)
			if err != nil {
				h.sourceError(w, err)
				return
			}
			list = append(list, t)
		}
	}
	h.ok(w, mustJSON(map[string]any{"category": cat, "list": list}))
}

// ticker is sym's ticker object at now (ms), every documented field of
// the category.
func (h *handler) ticker(ctx context.Context, sym string, now int64) (map[string]string, error) {
	st, err := cc.RollingStats(ctx, h.env.Market, h.env.Tape, sym, day, now)
	if err != nil {
		return nil, err
	}
	if st.Last.IsZero() {
		return nil, cc.ErrUnknownSymbol
	}
	// The touch right after the last trade (st.Through), so that the bid
	// and ask straddle lastPrice: one at now could be up to a second newer.
	tc, err := kit.TouchAt(ctx, h.env, sym, st.Last, st.Through*1000)
	if err != nil {
		return nil, err
	}
	t := map[string]string{
		"symbol":        sym,
		"bid1Price":     str(tc.Bid),
		"bid1Size":      str(tc.BidSize),
		"ask1Price":     str(tc.Ask),
		"ask1Size":      str(tc.AskSize),
		"lastPrice":     str(st.Last),
		"prevPrice24h":  str(st.Open),
		"price24hPcnt":  pcnt(st),
		"highPrice24h":  str(st.High),
		"lowPrice24h":   str(st.Low),
		"turnover24h":   str(st.QuoteVolume),
		"volume24h":     str(st.Volume),
		"usdIndexPrice": str(st.Last),
	}
	if h.ex.category != "linear" {
		return t, nil
	}
	delete(t, "usdIndexPrice")
	hour, err := cc.RollingStats(ctx, h.env.Market, nil, sym, 3_600_000, now)
	if err != nil {
		return nil, err
	}
	t["prevPrice1h"] = str(hour.Open)
	if h.env.Derivs == nil {
		return nil, errNoDerivs
	}
	ps, err := h.env.Derivs.Perp(ctx, sym, now)
	if err != nil {
		return nil, err
	}
	t["indexPrice"] = str(ps.Index)
	t["markPrice"] = str(ps.Mark)
	t["openInterest"] = str(ps.OpenInterest)
	t["openInterestValue"] = ps.OpenInterest.Mul(ps.Mark).Fixed(2)
	t["fundingRate"] = str(ps.FundingRate)
	t["nextFundingTime"] = strconv.FormatInt(ps.NextFunding, 10)
	t["fundingIntervalHour"] = "8"
	t["fundingCap"] = fundingCap
	t["predictedDeliveryPrice"] = ""
	t["basisRate"] = ""
	t["deliveryFeeRate"] = ""
	t["deliveryTime"] = "0"
	t["basis"] = ""
	t["preOpenPrice"] = ""
	t["preQty"] = ""
	t["curPreListingPhase"] = ""
	return t, nil
}

// fundingCap is Bybit's funding rate cap on the majors, per settlement.
const fundingCap = "0.00375"

type noDerivs struct{}

func (noDerivs) Error() string { return "bybit: no perpetual data in this mode" }

var errNoDerivs error = noDerivs{}
