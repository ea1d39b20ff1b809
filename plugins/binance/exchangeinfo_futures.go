package binance

import (
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

var futuresRateLimits = []rateLimit{
	{"REQUEST_WEIGHT", "MINUTE", 1, 2400},
	{"ORDERS", "MINUTE", 1, 1200},
	{"ORDERS", "SECOND", 10, 300},
}

type futuresExchangeInfo struct {
	Timezone        string          `json:"timezone"`
	ServerTime      int64           `json:"serverTime"`
	FuturesType     string          `json:"futuresType,omitempty"`
	RateLimits      []rateLimit     `json:"rateLimits"`
	ExchangeFilters []any           `json:"exchangeFilters"`
	Assets          []futuresAsset  `json:"assets,omitempty"`
	Symbols         []futuresSymbol `json:"symbols"`
}

type futuresAsset struct {
	Asset             string `json:"asset"`
	MarginAvailable   bool   `json:"marginAvailable"`
	AutoAssetExchange string `json:"autoAssetExchange"`
}

type futuresSymbol struct {
	Symbol                string   `json:"symbol"`
	Pair                  string   `json:"pair"`
	ContractType          string   `json:"contractType"`
	DeliveryDate          int64    `json:"deliveryDate"`
	OnboardDate           int64    `json:"onboardDate"`
	Status                string   `json:"status"`
	MaintMarginPercent    string   `json:"maintMarginPercent"`
	RequiredMarginPercent string   `json:"requiredMarginPercent"`
	BaseAsset             string   `json:"baseAsset"`
	QuoteAsset            string   `json:"quoteAsset"`
	MarginAsset           string   `json:"marginAsset"`
	PricePrecision        int      `json:"pricePrecision"`
	QuantityPrecision     int      `json:"quantityPrecision"`
	BaseAssetPrecision    int      `json:"baseAssetPrecision"`
	QuotePrecision        int      `json:"quotePrecision"`
	UnderlyingType        string   `json:"underlyingType"`
	UnderlyingSubType     []string `json:"underlyingSubType"`
	TriggerProtect        string   `json:"triggerProtect"`
	LiquidationFee        string   `json:"liquidationFee"`
	MarketTakeBound       string   `json:"marketTakeBound"`
	MaxMoveOrderLimit     int      `json:"maxMoveOrderLimit"`
	Filters               []any    `json:"filters"`
	OrderTypes            []string `json:"orderTypes"`
	TimeInForce           []string `json:"timeInForce"`
	PermissionSets        []string `json:"permissionSets"`
}

// Binance dates a perpetual's delivery to 2100-12-25, its "never".
const (
	perpetualDelivery = 4133404800000
	futuresOnboard    = 1569398400000 // 2019-09-25, BTCUSDT's listing
)

// step formats 10^-dec the futures way: "0.01", "1".
func step(dec int) string { return cc.NewDecimal(1, dec).String() }

func futuresFilters(sp symbolSpec) []any {
	mag := magnitude(sp)
	maxPrice := "1" + strings.Repeat("0", max(mag+2, 4))
	return []any{
		object{{"minPrice", step(sp.priceDec)}, {"maxPrice", maxPrice}, {"filterType", "PRICE_FILTER"}, {"tickSize", step(sp.priceDec)}},
		object{{"stepSize", step(sp.qtyDec)}, {"filterType", "LOT_SIZE"}, {"maxQty", "1000000"}, {"minQty", step(sp.qtyDec)}},
		object{{"stepSize", step(sp.qtyDec)}, {"filterType", "MARKET_LOT_SIZE"}, {"maxQty", "100000"}, {"minQty", step(sp.qtyDec)}},
		object{{"limit", 200}, {"filterType", "MAX_NUM_ORDERS"}},
		object{{"limit", 10}, {"filterType", "MAX_NUM_ALGO_ORDERS"}},
		object{{"notional", "5"}, {"filterType", "MIN_NOTIONAL"}},
		object{{"multiplierDecimal", "4"}, {"multiplierUp", "1.0500"}, {"multiplierDown", "0.9500"}, {"filterType", "PERCENT_PRICE"}},
	}
}

func futuresSym(sp symbolSpec) futuresSymbol {
	return futuresSymbol{
		Symbol: sp.symbol, Pair: sp.symbol, ContractType: "PERPETUAL",
		DeliveryDate: perpetualDelivery, OnboardDate: futuresOnboard, Status: "TRADING",
		MaintMarginPercent: "2.5000", RequiredMarginPercent: "5.0000",
		BaseAsset: strings.ToUpper(sp.pair.Base), QuoteAsset: strings.ToUpper(sp.pair.Quote),
		MarginAsset:    strings.ToUpper(sp.pair.Quote),
		PricePrecision: sp.priceDec, QuantityPrecision: sp.qtyDec,
		BaseAssetPrecision: 8, QuotePrecision: 8,
		UnderlyingType: "COIN", UnderlyingSubType: []string{},
		TriggerProtect: "0.0500", LiquidationFee: "0.012500", MarketTakeBound: "0.05",
		MaxMoveOrderLimit: 10000,
		Filters:           futuresFilters(sp),
		OrderTypes:        []string{"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"},
		TimeInForce:       []string{"GTC", "IOC", "FOK", "GTX", "GTD"},
		PermissionSets:    []string{"GRID", "COPY"},
	}
}

// handleFuturesExchangeInfo serves /fapi/v1/exchangeInfo: a perpetual per
// configured pair, margined in its quote asset.
func (s *server) handleFuturesExchangeInfo(w http.ResponseWriter, _ *http.Request, _ params) {
	info := futuresExchangeInfo{
		Timezone: "UTC", ServerTime: s.env.Clock.NowMillis(), FuturesType: "U_MARGINED",
		RateLimits: futuresRateLimits, ExchangeFilters: []any{}, Symbols: []futuresSymbol{},
	}
	seen := map[string]bool{}
	for _, sp := range s.specs {
		info.Symbols = append(info.Symbols, futuresSym(sp))
		for _, a := range []string{strings.ToUpper(sp.pair.Quote), strings.ToUpper(sp.pair.Base)} {
			if !seen[a] {
				seen[a] = true
				info.Assets = append(info.Assets, futuresAsset{Asset: a, MarginAvailable: true, AutoAssetExchange: strconv.Itoa(-10000)})
			}
		}
	}
	writeJSON(w, http.StatusOK, info)
}

// handleDeliveryExchangeInfo serves /dapi/v1/exchangeInfo with no
// symbols: COIN-M delivery futures are not simulated, but ccxt's default
// loadMarkets asks for them and must get a valid answer.
func (s *server) handleDeliveryExchangeInfo(w http.ResponseWriter, _ *http.Request, _ params) {
	writeJSON(w, http.StatusOK, futuresExchangeInfo{
		Timezone: "UTC", ServerTime: s.env.Clock.NowMillis(),
		RateLimits: futuresRateLimits, ExchangeFilters: []any{}, Symbols: []futuresSymbol{},
	})
}
