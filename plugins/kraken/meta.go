package kraken

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

type asset struct {
	Aclass          string  `json:"aclass"`
	Altname         string  `json:"altname"`
	Decimals        int     `json:"decimals"`
	DisplayDecimals int     `json:"display_decimals"`
	CollateralValue float64 `json:"collateral_value,omitempty"`
	Status          string  `json:"status"`
}

// assets serves /0/public/Assets: every base and quote of the served
// pairs, keyed by asset id.
func (h *handler) assets(w http.ResponseWriter, r *http.Request) {
	form, _ := params(r)
	want := map[string]bool{}
	for _, a := range strings.Split(get(form, "asset"), ",") {
		if a != "" {
			want[strings.ToUpper(a)] = true
		}
	}
	out := map[string]asset{}
	for _, p := range h.env.Pairs {
		n := namesOf(p)
		for _, side := range []struct{ id, altname string }{{n.base, alt(p.Base)}, {n.quote, alt(p.Quote)}} {
			if len(want) > 0 && !want[side.id] && !want[side.altname] {
				continue
			}
			a := asset{Aclass: "currency", Altname: side.altname, Decimals: 10, DisplayDecimals: 5, CollateralValue: 1, Status: "enabled"}
			if strings.HasPrefix(side.id, "Z") && len(side.id) == 4 {
				a.Decimals, a.DisplayDecimals = 4, 2
			}
			out[side.id] = a
		}
	}
	if len(out) == 0 {
		fail(w, "EQuery:Unknown asset")
		return
	}
	ok(w, out)
}

type assetPair struct {
	Altname           string      `json:"altname"`
	Wsname            string      `json:"wsname"`
	AclassBase        string      `json:"aclass_base"`
	Base              string      `json:"base"`
	AclassQuote       string      `json:"aclass_quote"`
	Quote             string      `json:"quote"`
	Lot               string      `json:"lot"`
	CostDecimals      int         `json:"cost_decimals"`
	PairDecimals      int         `json:"pair_decimals"`
	LotDecimals       int         `json:"lot_decimals"`
	LotMultiplier     int         `json:"lot_multiplier"`
	LeverageBuy       []int       `json:"leverage_buy"`
	LeverageSell      []int       `json:"leverage_sell"`
	Fees              [][]float64 `json:"fees"`
	FeesMaker         [][]float64 `json:"fees_maker"`
	FeeVolumeCurrency string      `json:"fee_volume_currency"`
	MarginCall        int         `json:"margin_call"`
	MarginStop        int         `json:"margin_stop"`
	Ordermin          string      `json:"ordermin"`
	Costmin           string      `json:"costmin"`
	TickSize          string      `json:"tick_size"`
	Status            string      `json:"status"`
}

// assetPairs serves /0/public/AssetPairs.
func (h *handler) assetPairs(w http.ResponseWriter, r *http.Request) {
	form, _ := params(r)
	out := map[string]assetPair{}
	var names []string
	if s := get(form, "pair"); s != "" {
		names = strings.Split(s, ",")
	}
	var pairs []cc.Pair
	if len(names) == 0 {
		pairs = h.env.Pairs
	}
	for _, name := range names {
		p, _, found := h.lookup(name)
		if !found {
			fail(w, "EQuery:Unknown asset pair")
			return
		}
		pairs = append(pairs, p)
	}
	for _, p := range pairs {
		n := namesOf(p)
		places := h.priceDecimals(r.Context(), p)
		out[n.key] = assetPair{
			Altname: n.altname, Wsname: n.wsname,
			AclassBase: "currency", Base: n.base, AclassQuote: "currency", Quote: n.quote,
			Lot: "unit", CostDecimals: 5, PairDecimals: places, LotDecimals: 8, LotMultiplier: 1,
			LeverageBuy: []int{2, 3, 4, 5}, LeverageSell: []int{2, 3, 4, 5},
			Fees:              [][]float64{{0, 0.4}, {10000, 0.35}, {50000, 0.24}, {100000, 0.22}, {250000, 0.2}, {500000, 0.18}, {1000000, 0.16}},
			FeesMaker:         [][]float64{{0, 0.25}, {10000, 0.2}, {50000, 0.14}, {100000, 0.12}, {250000, 0.1}, {500000, 0.08}, {1000000, 0.06}},
			FeeVolumeCurrency: "ZUSD", MarginCall: 80, MarginStop: 40,
			Ordermin: "0.0001", Costmin: "0.5",
			TickSize: cc.NewDecimal(1, places).String(),
			Status:   "online",
		}
	}
	ok(w, out)
}

// ticker serves /0/public/Ticker: "today" since UTC midnight
// (cc.DayStats) and the last 24 hours (cc.RollingStats), the touch from
// env.Quotes.
func (h *handler) ticker(w http.ResponseWriter, r *http.Request) {
	form, _ := params(r)
	var pairs []cc.Pair
	if s := get(form, "pair"); s != "" {
		for _, name := range strings.Split(s, ",") {
			p, _, found := h.lookup(name)
			if !found {
				fail(w, "EQuery:Unknown asset pair")
				return
			}
			pairs = append(pairs, p)
		}
	} else {
		pairs = h.env.Pairs
	}
	now := h.env.Clock.NowMillis()
	out := map[string]any{}
	for _, p := range pairs {
		t, err := h.tickerOf(r.Context(), p, now)
		if err != nil {
			fail(w, "EGeneral:Internal error")
			return
		}
		out[namesOf(p).key] = t
	}
	ok(w, out)
}

// tickerOf is one pair's ticker object at now (ms).
func (h *handler) tickerOf(ctx context.Context, p cc.Pair, now int64) (map[string]any, error) {
	today, err := cc.DayStats(ctx, h.env.Market, h.env.Tape, p.Symbol, now)
	if err != nil {
		return nil, err
	}
	day, err := cc.RollingStats(ctx, h.env.Market, h.env.Tape, p.Symbol, 86_400_000, now)
	if err != nil {
		return nil, err
	}
	if today.Trades == 0 { // just after midnight: today opens at the last price
		today.Open, today.High, today.Low, today.Last = day.Last, day.Last, day.Last, day.Last
	}
	// The touch right after the last trade (day.Through), so that a and b
	// straddle c: one at now could be up to a second newer.
	touch, err := kit.Touch(ctx, h.env, p.Symbol, day.Last, day.Through*1000)
	if err != nil {
		return nil, err
	}
	places := h.priceDecimals(ctx, p)
	f := func(d cc.Decimal) string { return d.Fixed(places) }
	v := func(d cc.Decimal) string { return d.Fixed(8) }
	return map[string]any{
		"a": lotFields(f(touch.Ask), touch.AskSize),
		"b": lotFields(f(touch.Bid), touch.BidSize),
		"c": []string{f(day.Last), v(day.LastQty)},
		"v": []string{v(today.Volume), v(day.Volume)},
		"p": []string{f(today.WeightedAvg(places)), f(day.WeightedAvg(places))},
		"t": []int64{today.Trades, day.Trades},
		"l": []string{f(today.Low), f(day.Low)},
		"h": []string{f(today.High), f(day.High)},
		"o": f(today.Open),
	}, nil
}

// lotFields is [price, whole lot volume, lot volume].
func lotFields(price string, size cc.Decimal) []string {
	whole := size.Units
	for i := 0; i < int(size.Scale); i++ {
		whole /= 10
	}
	return []string{price, strconv.FormatInt(whole, 10), size.Fixed(3)}
}
