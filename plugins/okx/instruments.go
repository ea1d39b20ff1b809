package okx

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// listTime is the listing time of every generated instrument
// (2020-01-01T00:00:00Z): before any candle a client is likely to ask for.
const listTime = "1577836800000"

// instrument is OKX's instrument shape, the same for every type; fields
// that do not apply are "".
type instrument struct {
	Alias             string   `json:"alias"`
	AuctionEndTime    string   `json:"auctionEndTime"`
	BaseCcy           string   `json:"baseCcy"`
	Category          string   `json:"category"`
	ContTdSwTime      string   `json:"contTdSwTime"`
	CtMult            string   `json:"ctMult"`
	CtType            string   `json:"ctType"`
	CtVal             string   `json:"ctVal"`
	CtValCcy          string   `json:"ctValCcy"`
	ExpTime           string   `json:"expTime"`
	FutureSettlement  bool     `json:"futureSettlement"`
	GroupID           string   `json:"groupId"`
	InstFamily        string   `json:"instFamily"`
	InstID            string   `json:"instId"`
	InstIDCode        int      `json:"instIdCode"`
	InstType          string   `json:"instType"`
	Lever             string   `json:"lever"`
	ListTime          string   `json:"listTime"`
	LotSz             string   `json:"lotSz"`
	MaxIcebergSz      string   `json:"maxIcebergSz"`
	MaxLmtAmt         string   `json:"maxLmtAmt"`
	MaxLmtSz          string   `json:"maxLmtSz"`
	MaxMktAmt         string   `json:"maxMktAmt"`
	MaxMktSz          string   `json:"maxMktSz"`
	MaxStopSz         string   `json:"maxStopSz"`
	MaxTriggerSz      string   `json:"maxTriggerSz"`
	MaxTwapSz         string   `json:"maxTwapSz"`
	MinSz             string   `json:"minSz"`
	OpenType          string   `json:"openType"`
	OptType           string   `json:"optType"`
	PreMktSwTime      string   `json:"preMktSwTime"`
	QuoteCcy          string   `json:"quoteCcy"`
	RuleType          string   `json:"ruleType"`
	SettleCcy         string   `json:"settleCcy"`
	State             string   `json:"state"`
	Stk               string   `json:"stk"`
	TickSz            string   `json:"tickSz"`
	TradeQuoteCcyList []string `json:"tradeQuoteCcyList"`
	Uly               string   `json:"uly"`
}

// step is 10^-places as OKX prints it ("0.01", "1").
func step(places int) string {
	if places <= 0 {
		return "1"
	}
	return cc.Decimal{Units: 1, Scale: int8(places)}.String()
}

func (h *handler) instruments(w http.ResponseWriter, r *http.Request, q url.Values) {
	typ := q.Get("instType")
	switch typ {
	case "":
		h.emptyParam(w, "instType")
		return
	case "SPOT", "MARGIN", "SWAP", "FUTURES":
	case "OPTION":
		if q.Get("instFamily") == "" && q.Get("uly") == "" {
			h.emptyParam(w, "instFamily")
			return
		}
	default:
		h.paramError(w, "instType")
		return
	}
	list := []instrument{}
	if typ == h.ex.instType {
		id, family := q.Get("instId"), q.Get("instFamily")
		for i, p := range h.env.Pairs {
			if (id != "" && p.Symbol != id) || (family != "" && p.Base+"-"+p.Quote != family) {
				continue
			}
			list = append(list, h.instrument(r.Context(), i, p))
		}
	}
	h.ok(w, mustJSON(list))
}

func (h *handler) instrument(ctx context.Context, i int, p cc.Pair) instrument {
	px, qty := kit.Scales(ctx, h.env.Market, p.Symbol, h.env.Clock.NowMillis())
	in := instrument{
		InstID: p.Symbol, InstIDCode: 1000 + i, InstType: h.ex.instType,
		Category: "1", ListTime: listTime, State: "live", RuleType: "normal",
		TickSz: step(px), TradeQuoteCcyList: []string{},
		MaxIcebergSz: "9999999999", MaxTriggerSz: "9999999999", MaxTwapSz: "9999999999",
		MaxLmtSz: "9999999999", MaxLmtAmt: "20000000",
	}
	if h.ex.instType == "SWAP" {
		exp := ctExp(p)
		lot := max(qty+exp, 0)
		in.GroupID = "2"
		in.CtMult, in.CtType, in.CtValCcy = "1", "linear", p.Base
		if exp < 0 {
			in.CtVal = step(-exp)
		} else {
			in.CtVal = strconv.FormatInt(pow10(exp), 10)
		}
		in.InstFamily, in.Uly, in.SettleCcy = p.Base+"-"+p.Quote, p.Base+"-"+p.Quote, p.Quote
		in.Lever = "100"
		in.LotSz, in.MinSz = step(lot), step(lot)
		in.MaxMktSz, in.MaxStopSz = "100000", "100000"
		return in
	}
	in.GroupID = "1"
	in.BaseCcy, in.QuoteCcy = p.Base, p.Quote
	in.Lever = "10"
	in.LotSz, in.MinSz = step(qty), step(qty)
	in.MaxMktAmt, in.MaxMktSz, in.MaxStopSz = "1000000", "1000000", "1000000"
	in.OpenType = "fix_price"
	in.TradeQuoteCcyList = []string{p.Quote}
	return in
}

func pow10(n int) int64 {
	v := int64(1)
	for ; n > 0; n-- {
		v *= 10
	}
	return v
}

func str(d cc.Decimal) string { return string(num(nil, d)) }

// tickerOf is OKX's ticker for instID at now: the rolling 24 hours
// (cc.RollingStats, exact at 1s) up to the last second closed, the last
// trade's size and the touch right after it from the quoter. A
// perpetual's sizes are in contracts, its volCcy24h in base currency.
func (h *handler) tickerOf(ctx context.Context, instID string, now int64) (map[string]string, bool) {
	d, err := cc.RollingStats(ctx, h.env.Market, h.env.Tape, instID, 24*hour, now)
	if err != nil && h.env.Tape != nil {
		// A socket carrying both markets has one market's tape: the other's
		// tickers go without the last trade's size.
		d, err = cc.RollingStats(ctx, h.env.Market, nil, instID, 24*hour, now)
	}
	if err != nil || d.Last.IsZero() {
		return nil, false
	}
	exp, swap := h.contractExp(instID)
	size := func(x cc.Decimal) string {
		if swap {
			return str(shift(x, -exp))
		}
		return str(x)
	}
	vol, volCcy := str(d.Volume), str(d.QuoteVolume)
	if swap {
		vol, volCcy = size(d.Volume), str(d.Volume)
	}
	lastSz := "0"
	if d.LastID >= 0 {
		lastSz = size(d.LastQty)
	}
	// The touch right after the last trade (d.Through), so that bidPx and
	// askPx straddle last: one at now could be up to a second newer.
	t, err := kit.TouchAt(ctx, h.env, instID, d.Last, d.Through*1000)
	if err != nil {
		return nil, false
	}
	// Start of day: the open of the day candle in UTC and in UTC+8.
	sod := func(b bar) string {
		cs, err := b.candles(ctx, h.env.Market, instID, b.open(now), b.open(now), now)
		if err != nil || len(cs) == 0 {
			return str(d.Last)
		}
		return str(cs[0].Open)
	}
	return map[string]string{
		"instType":  typeName(instID),
		"instId":    instID,
		"last":      str(d.Last),
		"lastSz":    lastSz,
		"askPx":     str(t.Ask),
		"askSz":     size(t.AskSize),
		"bidPx":     str(t.Bid),
		"bidSz":     size(t.BidSize),
		"open24h":   str(d.Open),
		"high24h":   str(d.High),
		"low24h":    str(d.Low),
		"volCcy24h": volCcy,
		"vol24h":    vol,
		"ts":        strconv.FormatInt(now, 10),
		"sodUtc0":   sod(bars["1Dutc"]),
		"sodUtc8":   sod(bars["1D"]),
	}, true
}

// typeName is the instType of an instrument id in market data.
func typeName(id string) string {
	if isSwap(id) {
		return "SWAP"
	}
	return "SPOT"
}

func (h *handler) ticker(w http.ResponseWriter, r *http.Request, q url.Values) {
	id := q.Get("instId")
	if id == "" {
		h.emptyParam(w, "instId")
		return
	}
	if _, ok := h.pairOf(id); !ok {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return
	}
	t, ok := h.tickerOf(r.Context(), id, h.env.Clock.NowMillis())
	if !ok {
		h.fail(w, http.StatusServiceUnavailable, "50001", msgUnavailable)
		return
	}
	h.ok(w, mustJSON([]map[string]string{t}))
}

func (h *handler) tickers(w http.ResponseWriter, r *http.Request, q url.Values) {
	typ := q.Get("instType")
	switch typ {
	case "":
		h.emptyParam(w, "instType")
		return
	case "SPOT", "SWAP", "FUTURES", "OPTION", "MARGIN":
	default:
		h.paramError(w, "instType")
		return
	}
	list := []map[string]string{}
	if typ == h.ex.instType {
		now := h.env.Clock.NowMillis()
		for _, p := range h.env.Pairs {
			if t, ok := h.tickerOf(r.Context(), p.Symbol, now); ok {
				list = append(list, t)
			}
		}
	}
	h.ok(w, mustJSON(list))
}
