package mexc

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// num is a JSON number spelled exactly as given.
type num = json.Number

func dnum(d cc.Decimal) num { return num(kit.Trim(d)) }

func (s *server) exchangeInfo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	want := map[string]bool{}
	if v := q.Get("symbol"); v != "" {
		want[v] = true
	}
	if v := q.Get("symbols"); v != "" {
		for _, x := range splitList(v) {
			want[x] = true
		}
	}
	syms := []any{}
	for _, p := range s.env.Pairs {
		if len(want) > 0 && !want[spotName(p)] {
			continue
		}
		dec := kit.PriceDecimals(p.Price)
		syms = append(syms, map[string]any{
			"symbol": spotName(p), "status": "1", "baseAsset": p.Base,
			"baseAssetPrecision": kit.AmountDecimals, "quoteAsset": p.Quote,
			"quotePrecision": dec, "quoteAssetPrecision": dec,
			"baseCommissionPrecision": kit.AmountDecimals, "quoteCommissionPrecision": dec,
			"orderTypes":           []string{"LIMIT", "MARKET", "LIMIT_MAKER"},
			"isSpotTradingAllowed": true, "isMarginTradingAllowed": false,
			"quoteAmountPrecision": "1", "baseSizePrecision": "0",
			"permissions": []string{"SPOT"}, "filters": []any{},
			"maxQuoteAmount": "2000000", "makerCommission": "0", "takerCommission": "0.0005",
			"quoteAmountPrecisionMarket": "1", "maxQuoteAmountMarket": "100000",
			"fullName": kit.AssetName(p.Base), "tradeSideType": 1,
		})
	}
	if len(want) > 0 && len(syms) == 0 {
		spotError(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return
	}
	kit.JSON(w, http.StatusOK, map[string]any{
		"timezone": "CST", "serverTime": s.now(), "rateLimits": []any{},
		"exchangeFilters": []any{}, "symbols": syms,
	})
}

func splitList(v string) []string {
	var out []string
	var arr []string
	if json.Unmarshal([]byte(v), &arr) == nil {
		return arr
	}
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ',' {
			if i > start {
				out = append(out, v[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func (s *server) defaultSymbols(w http.ResponseWriter, r *http.Request) {
	syms := []string{}
	for _, p := range s.env.Pairs {
		syms = append(syms, spotName(p))
	}
	kit.JSON(w, http.StatusOK, map[string]any{"code": 0, "data": syms, "msg": nil})
}

func (s *server) ticker24h(w http.ResponseWriter, r *http.Request) {
	s.spotTickers(w, r, false, func(p cc.Pair, st stats) any {
		chg := st.Change()
		pct := "0"
		if o := st.Open.Float64(); o != 0 {
			pct = strconv.FormatFloat(st.Last.Float64()/o-1, 'f', 8, 64)
		}
		return map[string]any{
			"symbol": spotName(p), "priceChange": kit.Trim(chg), "priceChangePercent": pct,
			"prevClosePrice": kit.Trim(st.Open), "lastPrice": kit.Trim(st.Last),
			"bidPrice": kit.Trim(st.touch.Bid), "bidQty": kit.Trim(st.touch.BidSize),
			"askPrice": kit.Trim(st.touch.Ask), "askQty": kit.Trim(st.touch.AskSize),
			"openPrice": kit.Trim(st.Open), "highPrice": kit.Trim(st.High), "lowPrice": kit.Trim(st.Low),
			"volume": kit.Trim(st.Volume), "quoteVolume": kit.Trim(st.QuoteVolume),
			"openTime": st.OpenTime, "closeTime": st.CloseTime, "count": nil,
		}
	})
}

func (s *server) tickerPrice(w http.ResponseWriter, r *http.Request) {
	s.spotTickers(w, r, false, func(p cc.Pair, st stats) any {
		return map[string]any{"symbol": spotName(p), "price": kit.Trim(st.Last)}
	})
}

// spotTickers answers a spot ticker endpoint: a row built by row from each
// pair's 24-hour figures (with the touch now when book), for every pair
// or, as one object, for the symbol asked for.
func (s *server) spotTickers(w http.ResponseWriter, r *http.Request, book bool, row func(cc.Pair, stats) any) {
	want := r.URL.Query().Get("symbol")
	ps := s.symbolFilter(want, spotName)
	if want != "" && len(ps) == 0 {
		spotError(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return
	}
	out := []any{}
	now := s.now()
	for _, p := range ps {
		st, err := s.stats(r.Context(), p.Symbol, now, book)
		if err != nil {
			s.failed(w, false, err)
			return
		}
		out = append(out, row(p, st))
	}
	if want != "" {
		kit.JSON(w, http.StatusOK, out[0])
		return
	}
	kit.JSON(w, http.StatusOK, out)
}

func contractInfo(p cc.Pair, id int) map[string]any {
	dec := kit.PriceDecimals(p.Price)
	return map[string]any{
		"symbol": contractName(p), "displayName": contractName(p) + "永续",
		"displayNameEn": contractName(p) + " PERPETUAL", "positionOpenType": 3,
		"baseCoin": p.Base, "quoteCoin": p.Quote, "settleCoin": p.Quote,
		"contractSize": dnum(kit.ContractSize(p.Price)), "minLeverage": 1, "maxLeverage": 200,
		"priceScale": dec, "volScale": 0, "amountScale": 4,
		"priceUnit": num(kit.Pow10(dec)), "volUnit": 1, "minVol": 1, "maxVol": 1000000,
		"bidLimitPriceRate": num("0.2"), "askLimitPriceRate": num("0.2"),
		"takerFeeRate": num("0.0002"), "makerFeeRate": 0,
		"maintenanceMarginRate": num("0.004"), "initialMarginRate": num("0.005"),
		"riskBaseVol": 10000, "riskIncrVol": 200000, "riskIncrMmr": num("0.004"),
		"riskIncrImr": num("0.004"), "riskLevelLimit": 5, "priceCoefficientVariation": num("0.1"),
		"indexOrigin": []string{"BINANCE", "GATEIO", "HUOBI", "MXC"}, "state": 0,
		"isNew": false, "isHot": true, "isHidden": false, "conceptPlate": []string{},
		"riskLimitType": "BY_VOLUME", "maxNumOrders": []int{200, 50},
		"marketOrderMaxLevel": 20, "marketOrderPriceLimitRate1": num("0.2"),
		"marketOrderPriceLimitRate2": num("0.005"), "triggerProtect": num("0.1"),
		"appraisal": 0, "showAppraisalCountdown": 0, "automaticDelivery": 0,
		"apiAllowed": false, "depthStepList": []string{kit.Pow10(dec)},
		"limitMaxVol": 1000000, "threshold": 0, "baseCoinIconUrl": "",
		"id": id, "vid": "128f589271cb4951b03e71e6323eb7be", "baseCoinId": "",
		"createTime": 1591242684000, "openingTime": 0, "openingCountdownOption": 1,
		"showBeforeOpen": true, "isMaxLeverage": true, "isZeroFeeRate": false,
	}
}

func (s *server) contractDetail(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query().Get("symbol")
	if want != "" {
		for i, p := range s.env.Pairs {
			if contractName(p) == want {
				contractOK(w, contractInfo(p, i+1))
				return
			}
		}
		contractError(w, 1001, "Contract does not exist!")
		return
	}
	out := []any{}
	for i, p := range s.env.Pairs {
		out = append(out, contractInfo(p, i+1))
	}
	contractOK(w, out)
}

func (s *server) contractTicker(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query().Get("symbol")
	ps := s.symbolFilter(want, contractName)
	if want != "" && len(ps) == 0 {
		contractError(w, 1001, "Contract does not exist!")
		return
	}
	out := []any{}
	now := s.now()
	for _, p := range ps {
		row, err := s.contractTickerRow(r.Context(), p, now)
		if err != nil {
			s.failed(w, true, err)
			return
		}
		out = append(out, row)
	}
	if want != "" {
		contractOK(w, out[0])
		return
	}
	contractOK(w, out)
}

// contractTickerRow is a contract's ticker at now (REST and push.ticker).
func (s *server) contractTickerRow(ctx context.Context, p cc.Pair, now int64) (map[string]any, error) {
	st, err := s.stats(ctx, p.Symbol, now, false)
	if err != nil {
		return nil, err
	}
	ps, err := s.perp(ctx, p.Symbol, st.Last, now)
	if err != nil {
		return nil, err
	}
	rise := "0"
	if o := st.Open.Float64(); o != 0 {
		rise = strconv.FormatFloat(st.Last.Float64()/o-1, 'f', 4, 64)
	}
	size := kit.ContractSize(p.Price)
	return map[string]any{
		"contractId": s.contractID(p), "symbol": contractName(p), "lastPrice": dnum(st.Last),
		"bid1": dnum(st.touch.Bid), "ask1": dnum(st.touch.Ask),
		"volume24": kit.Contracts(st.Volume, size),
		"amount24": dnum(st.QuoteVolume), "holdVol": kit.Contracts(ps.OpenInterest, size),
		"lower24Price": dnum(st.Low), "high24Price": dnum(st.High),
		"riseFallRate": num(rise), "riseFallValue": dnum(st.Change()),
		"indexPrice": dnum(ps.Index), "fairPrice": dnum(ps.Mark), "fundingRate": dnum(ps.FundingRate),
		"maxBidPrice": dnum(ps.Index.Mul(cc.NewDecimal(12, 1)).Rescale(int(st.Last.Scale))),
		"minAskPrice": dnum(ps.Index.Mul(cc.NewDecimal(8, 1)).Rescale(int(st.Last.Scale))),
		"timestamp":   now,
	}, nil
}

// contractID is the pair's contractId: its place among the pairs, from 1.
func (s *server) contractID(p cc.Pair) int {
	for i, q := range s.env.Pairs {
		if q.Symbol == p.Symbol {
			return i + 1
		}
	}
	return 0
}
