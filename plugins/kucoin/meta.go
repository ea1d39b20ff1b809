package kucoin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// day is a pair's rolling 24-hour aggregate.
func (h *handler) day(ctx context.Context, p cc.Pair) (cc.Candle, error) {
	now := h.env.Clock.NowMillis()
	iv := cc.Interval1h
	cur := iv.Truncate(now)
	cs, err := h.env.Market.Candles(ctx, p.Symbol, iv, cur-23*iv.Millis(), iv.Next(cur), now)
	if err != nil || len(cs) == 0 {
		return cc.Candle{}, err
	}
	return cc.Aggregate(cs), nil
}

func inc(scale int) string { return cc.NewDecimal(1, scale).String() }

func trim(d cc.Decimal) string { return string(d.AppendTrim(nil, int(d.Scale))) }

// symbols serves GET /api/v2/symbols (and the v1 alias).
func (h *handler) symbols(w http.ResponseWriter, r *http.Request) {
	market := r.URL.Query().Get("market")
	out := []map[string]any{}
	for _, p := range h.env.Pairs {
		mk := "USDS"
		if p.Quote == "BTC" {
			mk = "BTC"
		}
		if market != "" && market != mk {
			continue
		}
		d, err := h.day(r.Context(), p)
		if err != nil {
			fail(w, "500000", "Internal Server Error")
			return
		}
		out = append(out, map[string]any{
			"symbol": spotSymbol(p), "name": spotSymbol(p),
			"baseCurrency": p.Base, "quoteCurrency": p.Quote, "feeCurrency": p.Quote,
			"market": mk, "baseMinSize": "0.00001", "quoteMinSize": "0.1",
			"baseMaxSize": "10000000000", "quoteMaxSize": "99999999",
			"baseIncrement": "0.00000001", "quoteIncrement": "0.000001",
			"priceIncrement": inc(int(d.Close.Scale)), "priceLimitRate": "0.1", "minFunds": "0.1",
			"isMarginEnabled": true, "enableTrading": true, "feeCategory": 1,
			"makerFeeCoefficient": "1.00", "takerFeeCoefficient": "1.00", "st": false,
			"callauctionIsEnabled": false, "callauctionPriceFloor": nil, "callauctionPriceCeiling": nil,
			"callauctionFirstStageStartTime": nil, "callauctionSecondStageStartTime": nil,
			"callauctionThirdStageStartTime": nil, "tradingStartTime": nil,
		})
	}
	ok(w, out)
}

var fullNames = map[string]string{
	"BTC": "Bitcoin", "ETH": "Ethereum", "SOL": "Solana", "BNB": "BNB", "XRP": "XRP",
	"USDT": "Tether", "USDC": "USD Coin", "DOGE": "Dogecoin", "USD": "US Dollar",
}

// currencies serves GET /api/v3/currencies (and v1): every base and quote.
func (h *handler) currencies(w http.ResponseWriter, r *http.Request) {
	seen := map[string]bool{}
	out := []map[string]any{}
	for _, p := range h.env.Pairs {
		for _, c := range []string{p.Base, p.Quote} {
			if seen[c] {
				continue
			}
			seen[c] = true
			full := fullNames[c]
			if full == "" {
				full = c
			}
			out = append(out, map[string]any{
				"currency": c, "name": c, "fullName": full, "precision": 8,
				"confirms": nil, "contractAddress": nil,
				"isMarginEnabled": true, "isDebitEnabled": true,
				"chains": []map[string]any{{
					"chainName": c, "withdrawalMinSize": "0.001", "depositMinSize": "0.0001",
					"withdrawFeeRate": "0", "withdrawalMinFee": "0.0005",
					"isWithdrawEnabled": true, "isDepositEnabled": true,
					"confirms": 3, "preConfirms": 1, "contractAddress": "",
					"withdrawPrecision": 8, "maxWithdraw": nil, "maxDeposit": nil,
					"needTag": false, "chainId": "chain-" + c,
				}},
			})
		}
	}
	ok(w, out)
}

func (h *handler) contractOf(ctx context.Context, p cc.Pair) (map[string]any, error) {
	d, err := h.day(ctx, p)
	if err != nil {
		return nil, err
	}
	sym := contractSymbol(p)
	base := futuresBase(p.Base)
	mult, settle, root := multiplier(sym), p.Quote, p.Quote
	if inverse(sym) {
		mult, settle, root = cc.NewDecimal(-1, 0), base, base
	}
	now := h.env.Clock.NowMillis()
	nextFunding := 28_800_000 - now%28_800_000
	tick := cc.NewDecimal(1, int(d.Close.Scale))
	// The perpetual side where the mode has one.
	mark, index, fr, oi := num(d.Close), num(d.Close), jsonNumber("0.0001"), jsonNumber("1000000")
	if h.env.Derivs != nil {
		ps, err := h.env.Derivs.Perp(ctx, p.Symbol, now)
		if err != nil {
			return nil, err
		}
		mark, index, fr = num(ps.Mark), num(ps.Index), num(ps.FundingRate)
		oi = jsonNumber(strconv.Quote(lots(ps.OpenInterest, multiplier(sym)).String()))
		nextFunding = ps.NextFunding - now
	}
	return map[string]any{
		"symbol": sym, "rootSymbol": root, "type": "FFWCSX",
		"firstOpenDate": int64(1585555200000), "expireDate": nil, "settleDate": nil,
		"baseCurrency": base, "quoteCurrency": p.Quote, "settleCurrency": settle,
		"maxOrderQty": 1000000, "maxPrice": 1000000.0, "lotSize": 1,
		"tickSize": num(tick), "indexPriceTickSize": num(tick), "multiplier": num(mult),
		"initialMargin": 0.008, "maintainMargin": 0.004, "maxRiskLimit": 100000,
		"minRiskLimit": 100000, "riskStep": 50000,
		"makerFeeRate": 0.0002, "takerFeeRate": 0.0006, "takerFixFee": 0.0, "makerFixFee": 0.0,
		"settlementFee": nil, "isDeleverage": true, "isQuanto": base != p.Base && !inverse(sym),
		"isInverse": inverse(sym), "markMethod": "FairPrice", "fairMethod": "FundingRate",
		"fundingBaseSymbol": "." + base + "INT8H", "fundingQuoteSymbol": "." + p.Quote + "INT8H",
		"fundingRateSymbol": "." + sym + "FPI8H", "indexSymbol": ".K" + base + p.Quote,
		"settlementSymbol": "", "status": "Open",
		"fundingFeeRate": fr, "predictedFundingFeeRate": fr, "fundingRateGranularity": 28800000,
		"openInterest": oi, "turnoverOf24h": d.QuoteVolume.Float64(),
		"volumeOf24h": d.Volume.Float64(), "markPrice": mark, "indexPrice": index,
		"lastTradePrice": d.Close.Float64(), "nextFundingRateTime": nextFunding, "maxLeverage": 125,
		"sourceExchanges":  []string{"okex", "binance", "kucoin", "bybit", "bitmart", "gateio"},
		"premiumsSymbol1M": "." + base + "USDTMPI", "premiumsSymbol8H": "." + base + "USDTMPI8H",
		"fundingBaseSymbol1M": "." + base + "INT", "fundingQuoteSymbol1M": "." + p.Quote + "INT",
		"lowPrice": d.Low.Float64(), "highPrice": d.High.Float64(),
		"priceChgPct": 0.0, "priceChg": 0.0, "k": 490.0, "m": 300.0, "f": 1.3,
		"mmrLimit": 0.3, "mmrLevConstant": 125.0, "supportCross": true,
		"buyLimit": d.Close.Float64() * 1.05, "sellLimit": d.Close.Float64() * 0.95,
	}, nil
}

// num renders a decimal as a JSON number.
func num(d cc.Decimal) jsonNumber { return jsonNumber(d.String()) }

type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// contracts serves GET /api/v1/contracts/active.
func (h *handler) contracts(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	for _, p := range h.env.Pairs {
		c, err := h.contractOf(r.Context(), p)
		if err != nil {
			fail(w, "500000", "Internal Server Error")
			return
		}
		out = append(out, c)
	}
	ok(w, out)
}

// contract serves GET /api/v1/contracts/{symbol}.
func (h *handler) contract(w http.ResponseWriter, r *http.Request) {
	p, found := h.contractPair(r.PathValue("symbol"))
	if !found {
		fail(w, "400100", "The contract does not exist: "+r.PathValue("symbol"))
		return
	}
	c, err := h.contractOf(r.Context(), p)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	ok(w, c)
}

// Keepalive figures the bullet hands out, in milliseconds.
const (
	pingInterval = 18000
	pingTimeout  = 10000
)

// bullet serves POST /api/v1/bullet-public: a token and this server's own
// WS endpoint, built from the Host the client used.
func (h *handler) bullet(w http.ResponseWriter, r *http.Request) {
	secure := plugins.ClientTLS(r)
	var tok [48]byte
	rand.Read(tok[:])
	type server struct {
		Endpoint     string `json:"endpoint"`
		Encrypt      bool   `json:"encrypt"`
		Protocol     string `json:"protocol"`
		PingInterval int    `json:"pingInterval"`
		PingTimeout  int    `json:"pingTimeout"`
	}
	ok(w, struct {
		Token           string   `json:"token"`
		InstanceServers []server `json:"instanceServers"`
	}{hex.EncodeToString(tok[:]), []server{{plugins.WSBase(r) + "/endpoint", secure, "websocket", pingInterval, pingTimeout}}})
}
