package coinbase

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// product is one entry of the products listing, fields in Coinbase's order.
type product struct {
	ProductID                 string   `json:"product_id"`
	Price                     string   `json:"price"`
	PricePercentageChange24h  string   `json:"price_percentage_change_24h"`
	Volume24h                 string   `json:"volume_24h"`
	VolumePercentageChange24h string   `json:"volume_percentage_change_24h"`
	BaseIncrement             string   `json:"base_increment"`
	QuoteIncrement            string   `json:"quote_increment"`
	QuoteMinSize              string   `json:"quote_min_size"`
	QuoteMaxSize              string   `json:"quote_max_size"`
	BaseMinSize               string   `json:"base_min_size"`
	BaseMaxSize               string   `json:"base_max_size"`
	BaseName                  string   `json:"base_name"`
	QuoteName                 string   `json:"quote_name"`
	Watched                   bool     `json:"watched"`
	IsDisabled                bool     `json:"is_disabled"`
	New                       bool     `json:"new"`
	Status                    string   `json:"status"`
	CancelOnly                bool     `json:"cancel_only"`
	LimitOnly                 bool     `json:"limit_only"`
	PostOnly                  bool     `json:"post_only"`
	TradingDisabled           bool     `json:"trading_disabled"`
	AuctionMode               bool     `json:"auction_mode"`
	ProductType               string   `json:"product_type"`
	QuoteCurrencyID           string   `json:"quote_currency_id"`
	BaseCurrencyID            string   `json:"base_currency_id"`
	FCMTradingSessionDetails  any      `json:"fcm_trading_session_details"`
	MidMarketPrice            string   `json:"mid_market_price"`
	Alias                     string   `json:"alias"`
	AliasTo                   []string `json:"alias_to"`
	BaseDisplaySymbol         string   `json:"base_display_symbol"`
	QuoteDisplaySymbol        string   `json:"quote_display_symbol"`
	ViewOnly                  bool     `json:"view_only"`
	PriceIncrement            string   `json:"price_increment"`
	DisplayName               string   `json:"display_name"`
	ProductVenue              string   `json:"product_venue"`
	ApproximateQuote24hVolume string   `json:"approximate_quote_24h_volume"`
}

// day is the products' 24-hour window, ms.
const day = 86_400_000

// stats are a pair's figures over the last 24 hours (cc.RollingStats),
// the 24 hours before them for the volume change, and the touch right
// after their last trade (st.Through), whose mid goes with their price.
type stats struct {
	cc.Stats
	prevVolume cc.Decimal
	touch      cc.Touch
	scale      int
}

func (h *handler) stats(ctx context.Context, sym string) (stats, error) {
	now := h.env.Clock.NowMillis()
	st, err := cc.RollingStats(ctx, h.env.Market, h.env.Tape, sym, day, now)
	if err != nil {
		return stats{}, err
	}
	prev, err := cc.WindowStats(ctx, h.env.Market, nil, sym, now-2*day, now-day-1)
	if err != nil {
		return stats{}, err
	}
	out := stats{Stats: st, prevVolume: prev.Volume, scale: int(st.Last.Scale)}
	if st.Last.IsZero() && st.Trades == 0 && st.Open.IsZero() {
		out.scale = 2
	}
	out.touch, err = kit.Touch(ctx, h.env, sym, st.Last, st.Through*1000)
	return out, err
}

// percent is 100×(to − from)/from with 12 decimals, trimmed.
func percent(from, to cc.Decimal) string {
	return trim(cc.Stats{Open: from, Last: to}.ChangePercent(12))
}

// mid is (a+b)/2, exact.
func mid(a, b cc.Decimal) cc.Decimal {
	s := a.Add(b)
	return cc.Decimal{Units: s.Units * 5, Scale: s.Scale + 1}
}

func (h *handler) productOf(ctx context.Context, p cc.Pair) (product, error) {
	st, err := h.stats(ctx, p.Symbol)
	if err != nil {
		return product{}, err
	}
	inc := cc.NewDecimal(1, st.scale).String()
	price := st.Last.Float64()
	return product{
		ProductID:                 p.Symbol,
		Price:                     trim(st.Last),
		PricePercentageChange24h:  percent(st.Open, st.Last),
		Volume24h:                 trim(st.Volume),
		VolumePercentageChange24h: percent(st.prevVolume, st.Volume),
		BaseIncrement:             "0.00000001",
		QuoteIncrement:            inc,
		QuoteMinSize:              "1",
		QuoteMaxSize:              "150000000",
		BaseMinSize:               "0.00000001",
		BaseMaxSize:               strconv.FormatFloat(math.Round(150000000/math.Max(price, 1e-9)), 'f', -1, 64),
		BaseName:                  currencyName(p.Base),
		QuoteName:                 currencyName(p.Quote),
		Status:                    "online",
		ProductType:               "SPOT",
		QuoteCurrencyID:           p.Quote,
		BaseCurrencyID:            p.Base,
		MidMarketPrice:            trim(mid(st.touch.Bid, st.touch.Ask)),
		AliasTo:                   []string{},
		BaseDisplaySymbol:         p.Base,
		QuoteDisplaySymbol:        p.Quote,
		PriceIncrement:            inc,
		DisplayName:               p.Symbol,
		ProductVenue:              "CBE",
		ApproximateQuote24hVolume: trim(st.QuoteVolume.Rescale(2)),
	}, nil
}

func trim(d cc.Decimal) string { return string(d.AppendTrim(nil, int(d.Scale))) }

// products serves GET /api/v3/brokerage/market/products.
func (h *handler) products(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("product_type") {
	case "", "SPOT", "UNKNOWN_PRODUCT_TYPE":
	case "FUTURE":
		// Only spot products are served.
		writeJSON(w, struct {
			Products    []product `json:"products"`
			NumProducts int       `json:"num_products"`
		}{[]product{}, 0})
		return
	default:
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid value for enum type: "+strconv.Quote(q.Get("product_type")))
		return
	}
	var ids []string
	for _, v := range q["product_ids"] {
		ids = append(ids, strings.Split(v, ",")...)
	}
	limit, offset := 0, 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid limit: "+strconv.Quote(s))
			return
		}
		limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid offset: "+strconv.Quote(s))
			return
		}
		offset = n
	}
	out := []product{}
	for _, p := range h.env.Pairs {
		if len(ids) > 0 && !slices.Contains(ids, p.Symbol) {
			continue
		}
		pr, err := h.productOf(r.Context(), p)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "INTERNAL", "internal server error")
			return
		}
		out = append(out, pr)
	}
	n := len(out)
	out = out[min(offset, len(out)):]
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	writeJSON(w, struct {
		Products    []product `json:"products"`
		NumProducts int       `json:"num_products"`
	}{out, n})
}

// product serves GET /api/v3/brokerage/market/products/{id}.
func (h *handler) product(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := h.env.PairBySymbol(id)
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "ProductID "+id+" could not be found")
		return
	}
	pr, err := h.productOf(r.Context(), p)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL", "internal server error")
		return
	}
	writeJSON(w, pr)
}

var names = map[string]string{
	"BTC": "Bitcoin", "ETH": "Ethereum", "SOL": "Solana", "BNB": "BNB", "XRP": "XRP",
	"USDT": "Tether", "USDC": "USDC", "DOGE": "Dogecoin", "LTC": "Litecoin", "ADA": "Cardano",
	"USD": "US Dollar", "EUR": "Euro", "GBP": "British Pound",
}

func currencyName(code string) string {
	if n, ok := names[code]; ok {
		return n
	}
	return code
}

var fiat = map[string]bool{"USD": true, "EUR": true, "GBP": true, "JPY": true, "CAD": true, "AUD": true, "CHF": true}

// currencies splits the served assets into fiat and crypto, in order of
// first appearance.
func (h *handler) currencies() (fiats, cryptos []string) {
	seen := map[string]bool{}
	add := func(c string) {
		if seen[c] {
			return
		}
		seen[c] = true
		if fiat[c] {
			fiats = append(fiats, c)
		} else {
			cryptos = append(cryptos, c)
		}
	}
	add("USD")
	add("EUR")
	add("GBP")
	for _, p := range h.env.Pairs {
		add(p.Base)
		add(p.Quote)
	}
	return fiats, cryptos
}

// fiatCurrencies serves Coinbase App GET /v2/currencies.
func (h *handler) fiatCurrencies(w http.ResponseWriter, r *http.Request) {
	type cur struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		MinSize string `json:"min_size"`
	}
	fiats, _ := h.currencies()
	out := make([]cur, 0, len(fiats))
	for _, c := range fiats {
		out = append(out, cur{c, currencyName(c), "0.01"})
	}
	writeJSON(w, struct {
		Data []cur `json:"data"`
	}{out})
}

// cryptoCurrencies serves Coinbase App GET /v2/currencies/crypto.
func (h *handler) cryptoCurrencies(w http.ResponseWriter, r *http.Request) {
	type cur struct {
		AssetID      string `json:"asset_id"`
		Code         string `json:"code"`
		Name         string `json:"name"`
		Color        string `json:"color"`
		SortIndex    int    `json:"sort_index"`
		Exponent     int    `json:"exponent"`
		Type         string `json:"type"`
		AddressRegex string `json:"address_regex"`
	}
	_, cryptos := h.currencies()
	out := make([]cur, 0, len(cryptos))
	for i, c := range cryptos {
		out = append(out, cur{assetID(c), c, currencyName(c), "#0052FF", 100 + i, 8, "crypto", "^(?:0x)?[0-9a-fA-F]{40}$"})
	}
	writeJSON(w, struct {
		Data []cur `json:"data"`
	}{out})
}

// assetID is a stable UUID-shaped id per currency code.
func assetID(code string) string {
	h := fnv.New128a()
	h.Write([]byte("coinbase-asset:" + code))
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// exchangeRates serves Coinbase App GET /v2/exchange-rates: how much of
// each currency one unit of `currency` (default USD) buys. Dollar
// stablecoins count as dollars.
func (h *handler) exchangeRates(w http.ResponseWriter, r *http.Request) {
	base := strings.ToUpper(r.URL.Query().Get("currency"))
	if base == "" {
		base = "USD"
	}
	usd := map[string]float64{"USD": 1, "USDT": 1, "USDC": 1, "EUR": 1.08, "GBP": 1.27}
	for _, p := range h.env.Pairs {
		q, ok := usd[p.Quote]
		if !ok {
			continue
		}
		st, err := h.stats(r.Context(), p.Symbol)
		if err != nil || st.Last.IsZero() {
			continue
		}
		if _, done := usd[p.Base]; !done {
			usd[p.Base] = st.Last.Float64() * q
		}
	}
	bv, ok := usd[base]
	if !ok {
		// The Coinbase App v2 API has its own error list shape.
		writeRaw(w, http.StatusBadRequest, []byte(`{"errors":[{"id":"invalid_request","message":"Invalid currency (`+base+`)"}]}`))
		return
	}
	rates := map[string]string{}
	for c, v := range usd {
		rates[c] = strconv.FormatFloat(bv/v, 'f', -1, 64)
	}
	type data struct {
		Currency string            `json:"currency"`
		Rates    map[string]string `json:"rates"`
	}
	writeJSON(w, struct {
		Data data `json:"data"`
	}{data{base, rates}})
}
