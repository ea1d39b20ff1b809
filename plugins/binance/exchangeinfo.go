package binance

import (
	"net/http"
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

// rateLimit is one entry of exchangeInfo's rateLimits array.
type rateLimit struct {
	RateLimitType string `json:"rateLimitType"`
	Interval      string `json:"interval"`
	IntervalNum   int    `json:"intervalNum"`
	Limit         int    `json:"limit"`
}

var spotRateLimits = []rateLimit{
	{"REQUEST_WEIGHT", "MINUTE", 1, 6000},
	{"ORDERS", "SECOND", 10, 100},
	{"ORDERS", "DAY", 1, 200000},
	{"RAW_REQUESTS", "MINUTE", 5, 61000},
}

type spotExchangeInfo struct {
	Timezone        string       `json:"timezone"`
	ServerTime      int64        `json:"serverTime"`
	RateLimits      []rateLimit  `json:"rateLimits"`
	ExchangeFilters []any        `json:"exchangeFilters"`
	Symbols         []spotSymbol `json:"symbols"`
}

type spotSymbol struct {
	Symbol                          string     `json:"symbol"`
	Status                          string     `json:"status"`
	BaseAsset                       string     `json:"baseAsset"`
	BaseAssetPrecision              int        `json:"baseAssetPrecision"`
	QuoteAsset                      string     `json:"quoteAsset"`
	QuotePrecision                  int        `json:"quotePrecision"`
	QuoteAssetPrecision             int        `json:"quoteAssetPrecision"`
	BaseCommissionPrecision         int        `json:"baseCommissionPrecision"`
	QuoteCommissionPrecision        int        `json:"quoteCommissionPrecision"`
	OrderTypes                      []string   `json:"orderTypes"`
	IcebergAllowed                  bool       `json:"icebergAllowed"`
	OcoAllowed                      bool       `json:"ocoAllowed"`
	OtoAllowed                      bool       `json:"otoAllowed"`
	QuoteOrderQtyMarketAllowed      bool       `json:"quoteOrderQtyMarketAllowed"`
	AllowTrailingStop               bool       `json:"allowTrailingStop"`
	CancelReplaceAllowed            bool       `json:"cancelReplaceAllowed"`
	AmendAllowed                    bool       `json:"amendAllowed"`
	PegInstructionsAllowed          bool       `json:"pegInstructionsAllowed"`
	IsSpotTradingAllowed            bool       `json:"isSpotTradingAllowed"`
	IsMarginTradingAllowed          bool       `json:"isMarginTradingAllowed"`
	Filters                         []any      `json:"filters"`
	Permissions                     []string   `json:"permissions"`
	PermissionSets                  [][]string `json:"permissionSets"`
	DefaultSelfTradePreventionMode  string     `json:"defaultSelfTradePreventionMode"`
	AllowedSelfTradePreventionModes []string   `json:"allowedSelfTradePreventionModes"`
}

// fixed8 formats 10^-dec with Binance spot's 8 decimals ("0.01000000").
func fixed8(dec int) string { return cc.NewDecimal(1, dec).Fixed(8) }

// pow10Str formats 10^n with 8 decimals ("1000000.00000000").
func pow10Str(n int) string { return "1" + strings.Repeat("0", n) + ".00000000" }

func spotFilters(sp symbolSpec, mag int) []any {
	qtyDec := max(0, min(8, mag+1))
	return []any{
		object{{"filterType", "PRICE_FILTER"}, {"minPrice", fixed8(sp.priceDec)}, {"maxPrice", pow10Str(max(mag+2, 4))}, {"tickSize", fixed8(sp.priceDec)}},
		object{{"filterType", "LOT_SIZE"}, {"minQty", fixed8(qtyDec)}, {"maxQty", "9000.00000000"}, {"stepSize", fixed8(qtyDec)}},
		object{{"filterType", "ICEBERG_PARTS"}, {"limit", 10}},
		object{{"filterType", "MARKET_LOT_SIZE"}, {"minQty", "0.00000000"}, {"maxQty", "100.00000000"}, {"stepSize", "0.00000000"}},
		object{{"filterType", "TRAILING_DELTA"}, {"minTrailingAboveDelta", 10}, {"maxTrailingAboveDelta", 2000}, {"minTrailingBelowDelta", 10}, {"maxTrailingBelowDelta", 2000}},
		object{{"filterType", "PERCENT_PRICE_BY_SIDE"}, {"bidMultiplierUp", "5"}, {"bidMultiplierDown", "0.2"}, {"askMultiplierUp", "5"}, {"askMultiplierDown", "0.2"}, {"avgPriceMins", 5}},
		object{{"filterType", "NOTIONAL"}, {"minNotional", "5.00000000"}, {"applyMinToMarket", true}, {"maxNotional", "9000000.00000000"}, {"applyMaxToMarket", false}, {"avgPriceMins", 5}},
		object{{"filterType", "MAX_NUM_ORDERS"}, {"maxNumOrders", 200}},
		object{{"filterType", "MAX_NUM_ALGO_ORDERS"}, {"maxNumAlgoOrders", 5}},
	}
}

func (s *server) spotSymbol(sp symbolSpec, showSets bool) spotSymbol {
	sets := [][]string{{"SPOT", "MARGIN"}}
	if !showSets {
		sets = [][]string{}
	}
	return spotSymbol{
		Symbol: sp.symbol, Status: "TRADING",
		BaseAsset: strings.ToUpper(sp.pair.Base), BaseAssetPrecision: 8,
		QuoteAsset: strings.ToUpper(sp.pair.Quote), QuotePrecision: 8, QuoteAssetPrecision: 8,
		BaseCommissionPrecision: 8, QuoteCommissionPrecision: 8,
		OrderTypes:     []string{"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"},
		IcebergAllowed: true, OcoAllowed: true, OtoAllowed: true, QuoteOrderQtyMarketAllowed: true,
		AllowTrailingStop: true, CancelReplaceAllowed: true, AmendAllowed: true, PegInstructionsAllowed: true,
		IsSpotTradingAllowed: true, IsMarginTradingAllowed: true,
		Filters:                         spotFilters(sp, magnitude(sp)),
		Permissions:                     []string{},
		PermissionSets:                  sets,
		DefaultSelfTradePreventionMode:  "EXPIRE_MAKER",
		AllowedSelfTradePreventionModes: []string{"EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"},
	}
}

// magnitude is the decimal order of the pair's reference price.
func magnitude(sp symbolSpec) int { return 6 - sp.priceDec }

// selectSymbols applies the symbol / symbols parameters shared by
// exchangeInfo and the tickers: nil means every symbol.
func (s *server) selectSymbols(q params) (specs []symbolSpec, single bool, err *apiError) {
	sym, hasSym, err := q.optSymbol("symbol")
	if err != nil {
		return nil, false, err
	}
	syms, hasSyms, err := q.symbols()
	if err != nil {
		return nil, false, err
	}
	switch {
	case hasSym && hasSyms:
		return nil, false, errBadCombo()
	case hasSym:
		sp, ok := s.spec(sym)
		if !ok {
			return nil, false, errInvalidSymbol()
		}
		return []symbolSpec{sp}, true, nil
	case hasSyms:
		for _, sym := range syms {
			sp, ok := s.spec(sym)
			if !ok {
				return nil, false, errInvalidSymbol()
			}
			specs = append(specs, sp)
		}
		return specs, false, nil
	}
	return s.specs, false, nil
}

func (s *server) handleSpotExchangeInfo(w http.ResponseWriter, _ *http.Request, q params) {
	specs, _, aerr := s.selectSymbols(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if q.has("symbolStatus") {
		switch q.get("symbolStatus") {
		case "TRADING":
		case "HALT", "BREAK":
			specs = nil
		default:
			writeError(w, badRequest(-1122, "Invalid symbolStatus."))
			return
		}
	}
	if perms := q.get("permissions"); perms != "" && !strings.Contains(perms, "SPOT") && !strings.Contains(perms, "MARGIN") {
		specs = nil
	}
	showSets := q.get("showPermissionSets") != "false"
	info := spotExchangeInfo{
		Timezone: "UTC", ServerTime: s.env.Clock.NowMillis(),
		RateLimits: spotRateLimits, ExchangeFilters: []any{}, Symbols: []spotSymbol{},
	}
	for _, sp := range specs {
		info.Symbols = append(info.Symbols, s.spotSymbol(sp, showSets))
	}
	writeJSON(w, http.StatusOK, info)
}
