package bybit

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// day24 is the last 24 hours of sym as one candle: open 24h ago, high,
// low, last price and volumes, from the market's hourly candles.
func day24(ctx context.Context, m cc.Market, sym string, now int64) (cc.Candle, bool) {
	last := cc.Interval1h.Truncate(now)
	cs, err := m.Candles(ctx, sym, cc.Interval1h, last-23*3_600_000, last+3_600_000, now)
	if err != nil || len(cs) == 0 {
		return cc.Candle{}, false
	}
	return cc.Aggregate(cs), true
}

func str(d cc.Decimal) string { return string(num(nil, d)) }

// pcnt is (last-open)/open with 4 decimals, Bybit's price24hPcnt.
func pcnt(open, last cc.Decimal) string {
	o := open.Float64()
	if o == 0 {
		return "0"
	}
	return strconv.FormatFloat((last.Float64()-o)/o, 'f', 4, 64)
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
			if t, ok := h.ticker(r.Context(), p.Symbol, now); ok {
				list = append(list, t)
			}
		}
	}
	h.ok(w, mustJSON(map[string]any{"category": cat, "list": list}))
}

func (h *handler) ticker(ctx context.Context, sym string, now int64) (map[string]string, bool) {
	d, ok := day24(ctx, h.env.Market, sym, now)
	if !ok {
		return nil, false
	}
	tick := cc.Decimal{Units: 1, Scale: d.Close.Scale}
	bid := d.Close.Add(cc.Decimal{Units: -1, Scale: d.Close.Scale})
	ask := d.Close.Add(tick)
	t := map[string]string{
		"symbol":        sym,
		"bid1Price":     str(bid),
		"bid1Size":      "1",
		"ask1Price":     str(ask),
		"ask1Size":      "1",
		"lastPrice":     str(d.Close),
		"prevPrice24h":  str(d.Open),
		"price24hPcnt":  pcnt(d.Open, d.Close),
		"highPrice24h":  str(d.High),
		"lowPrice24h":   str(d.Low),
		"turnover24h":   str(d.QuoteVolume),
		"volume24h":     str(d.Volume),
		"usdIndexPrice": str(d.Close),
	}
	if h.ex.category == "linear" {
		delete(t, "usdIndexPrice")
		const eightHours = 8 * 3_600_000
		t["indexPrice"] = str(d.Close)
		t["markPrice"] = str(d.Close)
		t["prevPrice1h"] = str(d.Close)
		t["openInterest"] = str(d.Volume)
		t["openInterestValue"] = str(d.QuoteVolume)
		t["fundingRate"] = "0.0001"
		t["nextFundingTime"] = strconv.FormatInt((now/eightHours+1)*eightHours, 10)
		t["predictedDeliveryPrice"] = ""
		t["basisRate"] = ""
		t["deliveryFeeRate"] = ""
		t["deliveryTime"] = "0"
		t["basis"] = ""
		t["preOpenPrice"] = ""
		t["preQty"] = ""
		t["curPreListingPhase"] = ""
	}
	return t, true
}
