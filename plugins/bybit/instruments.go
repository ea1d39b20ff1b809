package bybit

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// launchTime is the listing time given to every generated instrument
// (2020-01-01T00:00:00Z): before any candle a client is likely to ask for.
const launchTime = "1577836800000"

type spotInstrument struct {
	SymbolID       int            `json:"symbolId"`
	Symbol         string         `json:"symbol"`
	BaseCoin       string         `json:"baseCoin"`
	QuoteCoin      string         `json:"quoteCoin"`
	Innovation     string         `json:"innovation"`
	Status         string         `json:"status"`
	MarginTrading  string         `json:"marginTrading"`
	StTag          string         `json:"stTag"`
	LotSizeFilter  spotLotFilter  `json:"lotSizeFilter"`
	PriceFilter    spotPrice      `json:"priceFilter"`
	RiskParameters riskParameters `json:"riskParameters"`
	SymbolType     string         `json:"symbolType"`
}

type spotLotFilter struct {
	BasePrecision             string `json:"basePrecision"`
	QuotePrecision            string `json:"quotePrecision"`
	MinOrderQty               string `json:"minOrderQty"`
	MaxOrderQty               string `json:"maxOrderQty"`
	MinOrderAmt               string `json:"minOrderAmt"`
	MaxOrderAmt               string `json:"maxOrderAmt"`
	MaxLimitOrderQty          string `json:"maxLimitOrderQty"`
	MaxMarketOrderQty         string `json:"maxMarketOrderQty"`
	PostOnlyMaxLimitOrderSize string `json:"postOnlyMaxLimitOrderSize"`
}

type spotPrice struct {
	TickSize string `json:"tickSize"`
}

type riskParameters struct {
	PriceLimitRatioX string `json:"priceLimitRatioX"`
	PriceLimitRatioY string `json:"priceLimitRatioY"`
}

type linearInstrument struct {
	Symbol              string          `json:"symbol"`
	SymbolID            int             `json:"symbolId"`
	ContractType        string          `json:"contractType"`
	Status              string          `json:"status"`
	BaseCoin            string          `json:"baseCoin"`
	QuoteCoin           string          `json:"quoteCoin"`
	LaunchTime          string          `json:"launchTime"`
	DeliveryTime        string          `json:"deliveryTime"`
	DeliveryFeeRate     string          `json:"deliveryFeeRate"`
	PriceScale          string          `json:"priceScale"`
	LeverageFilter      leverageFilter  `json:"leverageFilter"`
	PriceFilter         linearPrice     `json:"priceFilter"`
	LotSizeFilter       linearLotFilter `json:"lotSizeFilter"`
	UnifiedMarginTrade  bool            `json:"unifiedMarginTrade"`
	FundingInterval     int             `json:"fundingInterval"`
	SettleCoin          string          `json:"settleCoin"`
	CopyTrading         string          `json:"copyTrading"`
	UpperFundingRate    string          `json:"upperFundingRate"`
	LowerFundingRate    string          `json:"lowerFundingRate"`
	DisplayName         string          `json:"displayName"`
	ForbidUplWithdrawal bool            `json:"forbidUplWithdrawal"`
	IsPreListing        bool            `json:"isPreListing"`
	PreListingInfo      *struct{}       `json:"preListingInfo"`
	RiskParameters      riskParameters  `json:"riskParameters"`
	SymbolType          string          `json:"symbolType"`
}

type leverageFilter struct {
	MinLeverage  string `json:"minLeverage"`
	MaxLeverage  string `json:"maxLeverage"`
	LeverageStep string `json:"leverageStep"`
}

type linearPrice struct {
	MinPrice string `json:"minPrice"`
	MaxPrice string `json:"maxPrice"`
	TickSize string `json:"tickSize"`
}

type linearLotFilter struct {
	MaxOrderQty         string `json:"maxOrderQty"`
	MinOrderQty         string `json:"minOrderQty"`
	QtyStep             string `json:"qtyStep"`
	PostOnlyMaxOrderQty string `json:"postOnlyMaxOrderQty"`
	MaxMktOrderQty      string `json:"maxMktOrderQty"`
	MinNotionalValue    string `json:"minNotionalValue"`
}

// step is 10^-places as Bybit prints it ("0.01", "1").
func step(places int) string {
	return cc.Decimal{Units: 1, Scale: int8(places)}.String()
}

// scaled is 10^-places × units with places digits ("1999999.80").
func scaled(units int64, places int) string {
	return cc.Decimal{Units: units, Scale: int8(places)}.String()
}

func (h *handler) instruments(w http.ResponseWriter, r *http.Request, q url.Values) {
	cat, ok := h.category(w, q)
	if !ok {
		return
	}
	limit := 500
	if s := q.Get("limit"); s != "" && cat != "spot" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			h.fail(w, http.StatusOK, codeParams, "params error: limit invalid")
			return
		}
		limit = n
	}
	offset := 0
	if s := q.Get("cursor"); s != "" && cat != "spot" {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "c"))
		if err != nil || !strings.HasPrefix(s, "c") || n < 0 {
			h.fail(w, http.StatusOK, codeParams, "params error: cursor invalid")
			return
		}
		offset = n
	}
	// Only Trading instruments exist here: a status filter for anything
	// else (ccxt asks for PreLaunch) finds none, as do other categories.
	var list []any
	status := q.Get("status")
	if cat == h.ex.category && (status == "" || status == "Trading") {
		sym, base := q.Get("symbol"), q.Get("baseCoin")
		for i, p := range h.env.Pairs {
			if (sym != "" && p.Symbol != sym) || (base != "" && cat != "spot" && p.Base != base) {
				continue
			}
			list = append(list, h.instrument(r.Context(), i, p))
		}
	}
	result := map[string]any{"category": cat}
	if cat == "spot" {
		if list == nil {
			list = []any{}
		}
		result["list"] = list
		h.ok(w, mustJSON(result))
		return
	}
	next := ""
	page := []any{}
	if offset < len(list) {
		end := min(offset+limit, len(list))
		page = list[offset:end]
		if end < len(list) {
			next = "c" + strconv.Itoa(end)
		}
	}
	result["list"] = page
	result["nextPageCursor"] = next
	h.ok(w, mustJSON(result))
}

func (h *handler) instrument(ctx context.Context, i int, p cc.Pair) any {
	px, qty := kit.Scales(ctx, h.env.Market, p.Symbol, h.env.Clock.NowMillis())
	risk := riskParameters{PriceLimitRatioX: "0.01", PriceLimitRatioY: "0.02"}
	if h.ex.category == "spot" {
		return spotInstrument{
			SymbolID: i + 1, Symbol: p.Symbol, BaseCoin: p.Base, QuoteCoin: p.Quote,
			Innovation: "0", Status: "Trading", MarginTrading: "utaOnly", StTag: "0",
			LotSizeFilter: spotLotFilter{
				BasePrecision:             step(qty),
				QuotePrecision:            step(min(px+qty, 10)),
				MinOrderQty:               step(qty),
				MaxOrderQty:               "100000",
				MinOrderAmt:               "5",
				MaxOrderAmt:               "8000000",
				MaxLimitOrderQty:          "100000",
				MaxMarketOrderQty:         "50000",
				PostOnlyMaxLimitOrderSize: "500000",
			},
			PriceFilter:    spotPrice{TickSize: step(px)},
			RiskParameters: risk,
		}
	}
	return linearInstrument{
		Symbol: p.Symbol, SymbolID: i + 1, ContractType: "LinearPerpetual", Status: "Trading",
		BaseCoin: p.Base, QuoteCoin: p.Quote, LaunchTime: launchTime, DeliveryTime: "0",
		PriceScale: strconv.Itoa(px),
		LeverageFilter: leverageFilter{
			MinLeverage: "1", MaxLeverage: "100.00", LeverageStep: "0.01",
		},
		PriceFilter: linearPrice{
			MinPrice: step(px),
			MaxPrice: scaled(1999999*pow10(px), px),
			TickSize: step(px),
		},
		LotSizeFilter: linearLotFilter{
			MaxOrderQty: "1000000", MinOrderQty: step(qty), QtyStep: step(qty),
			PostOnlyMaxOrderQty: "1000000", MaxMktOrderQty: "500000", MinNotionalValue: "5",
		},
		UnifiedMarginTrade: true, FundingInterval: 480, SettleCoin: p.Quote,
		CopyTrading: "both", UpperFundingRate: "0.005", LowerFundingRate: "-0.005",
		DisplayName: "", RiskParameters: risk,
	}
}

func pow10(n int) int64 {
	v := int64(1)
	for ; n > 0; n-- {
		v *= 10
	}
	return v
}
