package kucoin

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Trades, tickers and the perpetual side: every figure from env.Tape,
// env.Quotes, env.Derivs and the market (cc.RollingStats, KuCoin's
// tickers being rolling 24-hour ones).

const (
	// historySize is how many recent trades market/histories and
	// trade/history answer.
	historySize = 100
	day         = 86_400_000
	// fundingEvery is KuCoin's funding period; fundingCap its bound.
	fundingEvery = 28_800_000
	// fundingPage is the most settlements contract/funding-rates answers.
	fundingPage = 100
)

var fundingCap = cc.NewDecimal(3, 3)

// errNoPair is KuCoin's answer for a symbol it does not list.
func errNoPair(w http.ResponseWriter) { fail(w, "400100", "This pair is not provided at present") }

// errNoContract is KuCoin Futures' answer for a contract it does not list.
func errNoContract(w http.ResponseWriter, sym string) {
	fail(w, "400100", "The contract does not exist: "+sym)
}

// nowMicros is the last instant a trade may have.
func (h *handler) nowMicros() int64 { return h.env.Clock.NowMillis()*1000 + 999 }

// recent are the newest historySize trades, oldest first.
func (h *handler) recent(ctx context.Context, sym string) ([]cc.Trade, error) {
	return h.env.Tape.Trades(ctx, cc.TradeQuery{Symbol: sym, Limit: historySize, Newest: true, Now: h.nowMicros()})
}

// touch is the touch to go with the tape's last trade at now (ms), last
// its price: right after it, at the first second not closed (kit.Through;
// the tape holds no trades of the second in progress), so that it
// straddles the price. One taken at now could be up to a second newer and
// miss it.
func (h *handler) touch(ctx context.Context, sym string, last cc.Decimal, now int64) (cc.Touch, error) {
	return kit.Touch(ctx, h.env, sym, last, kit.Through(now)*1000)
}

// takerSide is the taker's side, lower case.
func takerSide(t cc.Trade) string {
	if t.BuyerMaker {
		return "sell"
	}
	return "buy"
}

// histories serves GET /api/v1/market/histories: the last 100 trades,
// oldest first, time in ns.
func (h *handler) histories(w http.ResponseWriter, r *http.Request) {
	p, found := h.spotPair(r.URL.Query().Get("symbol"))
	if !found || h.env.Tape == nil {
		errNoPair(w)
		return
	}
	ts, err := h.recent(r.Context(), p.Symbol)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	b := []byte{'['}
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHistory(b, t)
	}
	okRaw(w, append(b, ']'))
}

// appendHistory writes one spot histories row.
func appendHistory(b []byte, t cc.Trade) []byte {
	b = append(b, `{"sequence":"`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `","price":"`...)
	b = t.Price.AppendTrim(b, int(t.Price.Scale))
	b = append(b, `","size":"`...)
	b = t.Size.AppendTrim(b, int(t.Size.Scale))
	b = append(b, `","side":"`...)
	b = append(b, takerSide(t)...)
	b = append(b, `","time":`...)
	b = strconv.AppendInt(b, t.Time*1000, 10)
	return append(b, '}')
}

// lastTrade is the newest trade at now, ok false when there is none.
func (h *handler) lastTrade(ctx context.Context, sym string) (cc.Trade, bool, error) {
	ts, err := h.env.Tape.Trades(ctx, cc.TradeQuery{Symbol: sym, Limit: 1, Newest: true, Now: h.nowMicros()})
	if err != nil || len(ts) == 0 {
		return cc.Trade{}, false, err
	}
	return ts[0], true, nil
}

// level1 serves GET /api/v1/market/orderbook/level1: the last trade and
// the touch.
func (h *handler) level1(w http.ResponseWriter, r *http.Request) {
	p, found := h.spotPair(r.URL.Query().Get("symbol"))
	if !found || h.env.Tape == nil {
		errNoPair(w)
		return
	}
	ctx := r.Context()
	now := h.env.Clock.NowMillis()
	t, _, err := h.lastTrade(ctx, p.Symbol)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	tc, err := h.touch(ctx, p.Symbol, t.Price, now)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	ok(w, map[string]any{
		"time": now, "sequence": strconv.FormatInt(t.ID, 10),
		"price": trim(t.Price), "size": trim(t.Size),
		"bestBid": trim(tc.Bid), "bestBidSize": trim(tc.BidSize),
		"bestAsk": trim(tc.Ask), "bestAskSize": trim(tc.AskSize),
	})
}

// spotTicker is a symbol's 24-hour statistics object (stats and
// allTickers share it; allTickers adds symbolName and the sizes).
func (h *handler) spotTicker(ctx context.Context, p cc.Pair, now int64, all bool) (map[string]any, error) {
	st, err := cc.RollingStats(ctx, h.env.Market, h.env.Tape, p.Symbol, day, now)
	if err != nil {
		return nil, err
	}
	tc, err := kit.Touch(ctx, h.env, p.Symbol, st.Last, st.Through*1000)
	if err != nil {
		return nil, err
	}
	places := int(st.Last.Scale)
	m := map[string]any{
		"symbol": spotSymbol(p), "buy": trim(tc.Bid), "sell": trim(tc.Ask),
		"changeRate":  trim(rate(st)),
		"changePrice": trim(st.Change()),
		"high":        trim(st.High), "low": trim(st.Low), "vol": trim(st.Volume), "volValue": trim(st.QuoteVolume),
		"last": trim(st.Last), "averagePrice": trim(st.WeightedAvg(places)),
		"open":         trim(st.Open),
		"takerFeeRate": "0.001", "makerFeeRate": "0.001",
		"takerCoefficient": "1", "makerCoefficient": "1",
	}
	if all {
		m["symbolName"] = spotSymbol(p)
		m["bestBidSize"], m["bestAskSize"] = trim(tc.BidSize), trim(tc.AskSize)
	} else {
		m["time"] = now
	}
	return m, nil
}

// rate is (last − open)/open with four decimals, as KuCoin's changeRate.
func rate(st cc.Stats) cc.Decimal {
	pct := st.ChangePercent(6) // 100×, six places: the rate to eight
	return cc.Decimal{Units: pct.Units, Scale: pct.Scale + 2}.Rescale(4)
}

// stats serves GET /api/v1/market/stats.
func (h *handler) stats(w http.ResponseWriter, r *http.Request) {
	p, found := h.spotPair(r.URL.Query().Get("symbol"))
	if !found {
		errNoPair(w)
		return
	}
	m, err := h.spotTicker(r.Context(), p, h.env.Clock.NowMillis(), false)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	delete(m, "open") // the snapshot push's, not a stats field
	ok(w, m)
}

// allTickers serves GET /api/v1/market/allTickers.
func (h *handler) allTickers(w http.ResponseWriter, r *http.Request) {
	now := h.env.Clock.NowMillis()
	tickers := []map[string]any{}
	for _, p := range h.env.Pairs {
		m, err := h.spotTicker(r.Context(), p, now, true)
		if err != nil {
			fail(w, "500000", "Internal Server Error")
			return
		}
		delete(m, "open")
		tickers = append(tickers, m)
	}
	ok(w, map[string]any{"time": now, "ticker": tickers})
}

// tradeContracts is a print's size in contracts: base over the multiplier
// (linear), the USD amount (inverse).
func tradeContracts(t cc.Trade, contract string) cc.Decimal {
	if inverse(contract) {
		return t.Quote()
	}
	return lots(t.Size, multiplier(contract))
}

// futuresPair reads symbol= for the futures endpoints.
func (h *handler) futuresPair(w http.ResponseWriter, sym string) (cc.Pair, bool) {
	p, found := h.contractPair(sym)
	if !found || h.env.Tape == nil {
		errNoContract(w, sym)
		return cc.Pair{}, false
	}
	return p, true
}

// futuresTicker serves GET /api/v1/ticker (futures): the last trade and
// the touch, sizes in contracts, times in ns.
func (h *handler) futuresTicker(w http.ResponseWriter, r *http.Request) {
	sym := r.URL.Query().Get("symbol")
	p, found := h.futuresPair(w, sym)
	if !found {
		return
	}
	m, err := h.futuresTickerObject(r.Context(), p, sym, h.env.Clock.NowMillis())
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	ok(w, m)
}

// tradeHistory serves GET /api/v1/trade/history (futures): the last 100
// trades, newest first.
func (h *handler) tradeHistory(w http.ResponseWriter, r *http.Request) {
	sym := r.URL.Query().Get("symbol")
	p, found := h.futuresPair(w, sym)
	if !found {
		return
	}
	ts, err := h.recent(r.Context(), p.Symbol)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	out := make([]map[string]any, 0, len(ts))
	for i := len(ts) - 1; i >= 0; i-- {
		out = append(out, historyEntry(ts[i], sym))
	}
	ok(w, out)
}

// historyEntry is one futures trade history entry.
func historyEntry(t cc.Trade, sym string) map[string]any {
	id := strconv.FormatInt(t.ID, 10)
	return map[string]any{
		"sequence": t.ID, "contractId": 1, "tradeId": id,
		"makerOrderId": "m" + strconv.FormatInt(t.AggID, 10) + "-" + id, "takerOrderId": "t" + strconv.FormatInt(t.AggID, 10),
		"ts": t.Time * 1000, "size": num(tradeContracts(t, sym)), "price": trim(t.Price), "side": takerSide(t),
	}
}

// perp is the contract's state at now from env.Derivs.
func (h *handler) perp(w http.ResponseWriter, r *http.Request) (cc.Pair, string, cc.PerpState, bool) {
	sym := r.PathValue("symbol")
	if sym == "" {
		sym = r.URL.Query().Get("symbol")
	}
	p, found := h.contractPair(sym)
	if !found || h.env.Derivs == nil {
		errNoContract(w, sym)
		return cc.Pair{}, "", cc.PerpState{}, false
	}
	st, err := h.env.Derivs.Perp(r.Context(), p.Symbol, h.env.Clock.NowMillis())
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return cc.Pair{}, "", cc.PerpState{}, false
	}
	return p, sym, st, true
}

// markPrice serves GET /api/v1/mark-price/{symbol}/current.
func (h *handler) markPrice(w http.ResponseWriter, r *http.Request) {
	_, sym, st, found := h.perp(w, r)
	if !found {
		return
	}
	ok(w, map[string]any{"symbol": sym, "granularity": 1000, "timePoint": st.Time, "value": num(st.Mark), "indexPrice": num(st.Index)})
}

// fundingCurrent serves GET /api/v1/funding-rate/{symbol}/current: the
// rate of the settlement in progress and the predicted one.
func (h *handler) fundingCurrent(w http.ResponseWriter, r *http.Request) {
	_, sym, st, found := h.perp(w, r)
	if !found {
		return
	}
	ok(w, map[string]any{
		"symbol": "." + sym + "FPI8H", "granularity": fundingEvery, "timePoint": st.NextFunding - fundingEvery,
		"value": num(st.FundingRate), "predictedValue": num(st.FundingRate),
		"fundingRateCap": num(fundingCap), "fundingRateFloor": num(fundingCap.Neg()),
		"period": 0, "fundingTime": st.NextFunding,
	})
}

// fundingHistory serves GET /api/v1/contract/funding-rates?symbol=&from=&to=
// (ms, both required): the settlements in [from, to], newest first, at
// most the newest 100.
func (h *handler) fundingHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sym := q.Get("symbol")
	p, found := h.contractPair(sym)
	if !found || h.env.Derivs == nil {
		errNoContract(w, sym)
		return
	}
	from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
	if err1 != nil || err2 != nil || from < 0 || to < from {
		fail(w, "400100", "Param validation error: from and to are required")
		return
	}
	now := h.env.Clock.NowMillis()
	to = min(to, now)
	// At most the newest fundingPage settlements of the window.
	from = max(from, to-fundingPage*fundingEvery)
	fs, err := h.env.Derivs.FundingHistory(r.Context(), p.Symbol, from, to+1, now)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	out := make([]map[string]any, 0, len(fs))
	for i := len(fs) - 1; i >= 0; i-- {
		out = append(out, map[string]any{"symbol": sym, "fundingRate": num(fs[i].Rate), "timepoint": fs[i].Time})
	}
	ok(w, out)
}

// futuresTickerObject is one contract's ticker (GET /api/v1/ticker and
// each entry of /api/v1/allTickers).
func (h *handler) futuresTickerObject(ctx context.Context, p cc.Pair, sym string, now int64) (map[string]any, error) {
	t, _, err := h.lastTrade(ctx, p.Symbol)
	if err != nil {
		return nil, err
	}
	tc, err := h.touch(ctx, p.Symbol, t.Price, now)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"sequence": t.ID, "symbol": sym, "side": takerSide(t),
		"size": num(tradeContracts(t, sym)), "tradeId": strconv.FormatInt(t.ID, 10),
		"price": trim(t.Price), "bestBidPrice": trim(tc.Bid), "bestBidSize": num(lots(tc.BidSize, multiplier(sym))),
		"bestAskPrice": trim(tc.Ask), "bestAskSize": num(lots(tc.AskSize, multiplier(sym))),
		"ts": now * 1_000_000,
	}, nil
}

// futuresAllTickers serves GET /api/v1/allTickers (futures).
func (h *handler) futuresAllTickers(w http.ResponseWriter, r *http.Request) {
	if h.env.Tape == nil {
		ok(w, []any{})
		return
	}
	now := h.env.Clock.NowMillis()
	out := []map[string]any{}
	for _, p := range h.env.Pairs {
		m, err := h.futuresTickerObject(r.Context(), p, contractSymbol(p), now)
		if err != nil {
			fail(w, "500000", "Internal Server Error")
			return
		}
		out = append(out, m)
	}
	ok(w, out)
}

// utaKline serves the unified account's GET /api/ua/v1/market/kline:
// tradeType SPOT or FUTURES, symbol (a contract's with -mark-price or
// -index-price for those series, from env.Derivs), interval, startAt and
// endAt in seconds; rows [time(s), open, close, high, low, volume,
// turnover], newest first, at most 1500.
func (h *handler) utaKline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	futures := q.Get("tradeType") == "FUTURES"
	if !futures && q.Get("tradeType") != "SPOT" {
		fail(w, "400100", "tradeType is invalid")
		return
	}
	sym, market := q.Get("symbol"), h.env.Market
	for suffix, kind := range map[string]cc.PriceKind{"-mark-price": cc.MarkPrice, "-index-price": cc.IndexPrice, "-premium-index": cc.PremiumIndex} {
		if base, found := strings.CutSuffix(sym, suffix); found && futures {
			if h.env.Derivs == nil {
				errNoContract(w, sym)
				return
			}
			sym, market = base, h.env.Derivs.Prices(kind)
		}
	}
	var p cc.Pair
	var found bool
	if futures {
		p, found = h.contractPair(sym)
	} else {
		p, found = h.spotPair(sym)
	}
	if !found {
		errNoPair(w)
		return
	}
	iv, good := typeNames.Parse(q.Get("interval"))
	if !good {
		iv, good = granularity(q.Get("interval")) // futures minutes
	}
	if !good {
		fail(w, "400100", "interval is invalid")
		return
	}
	now := h.env.Clock.NowMillis()
	end := now
	if s := q.Get("endAt"); s != "" {
		v, err := optInt(s)
		if err != nil {
			fail(w, "400100", "endAt is invalid")
			return
		}
		end = min(v*1000, now)
	}
	const maxRows = 1500
	start := end - maxRows*iv.Millis()
	if s := q.Get("startAt"); s != "" {
		v, err := optInt(s)
		if err != nil {
			fail(w, "400100", "startAt is invalid")
			return
		}
		start = max(start, v*1000)
	}
	var cs []cc.Candle
	var err error
	if end >= 0 && start <= end {
		cs, err = market.Candles(r.Context(), p.Symbol, iv, iv.Truncate(max(start, 0)), iv.Next(iv.Truncate(end)), now)
	}
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	b := append([]byte(`{"tradeType":"`), q.Get("tradeType")...)
	b = append(b, `","symbol":"`...)
	b = append(b, q.Get("symbol")...)
	b = append(b, `","list":[`...)
	for i := len(cs) - 1; i >= 0; i-- {
		if i < len(cs)-1 {
			b = append(b, ',')
		}
		b = appendSpotRow(b, cs[i])
	}
	okRaw(w, append(b, "]}"...))
}

// utaOpenInterest serves GET /api/ua/v1/market/open-interest: each
// contract's (symbol=a,b or all) open interest in contracts, from
// env.Derivs.
func (h *handler) utaOpenInterest(w http.ResponseWriter, r *http.Request) {
	if h.env.Derivs == nil {
		ok(w, []any{})
		return
	}
	want := map[string]bool{}
	for _, s := range strings.Split(r.URL.Query().Get("symbol"), ",") {
		if s != "" {
			want[s] = true
		}
	}
	now := h.env.Clock.NowMillis()
	out := []map[string]any{}
	for _, p := range h.env.Pairs {
		sym := contractSymbol(p)
		if len(want) > 0 && !want[sym] {
			continue
		}
		ps, err := h.env.Derivs.Perp(r.Context(), p.Symbol, now)
		if err != nil {
			fail(w, "500000", "Internal Server Error")
			return
		}
		out = append(out, map[string]any{"symbol": sym, "openInterest": lots(ps.OpenInterest, multiplier(sym)).String(), "ts": now})
	}
	ok(w, out)
}
