package gateio

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// listed is when every served market opened, as Gate reports it (seconds).
const listed = 1516378650

func currencyInfo(code string) map[string]any {
	chain := map[string]any{
		"name": code, "addr": "", "withdraw_disabled": false,
		"withdraw_delayed": false, "deposit_disabled": false,
	}
	return map[string]any{
		"currency": code, "name": kit.AssetName(code), "delisted": false,
		"withdraw_disabled": false, "withdraw_delayed": false, "deposit_disabled": false,
		"trade_disabled": false, "fixed_rate": "", "chain": code, "chains": []any{chain},
	}
}

func (s *server) currencies(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, c := range kit.Assets(s.env.Pairs) {
		out = append(out, currencyInfo(c))
	}
	kit.JSON(w, http.StatusOK, out)
}

func (s *server) currency(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("currency")
	for _, c := range kit.Assets(s.env.Pairs) {
		if c == code {
			kit.JSON(w, http.StatusOK, currencyInfo(c))
			return
		}
	}
	apiError(w, http.StatusNotFound, "INVALID_CURRENCY", "Invalid currency "+code)
}

func pairInfo(p cc.Pair) map[string]any {
	dec := kit.PriceDecimals(p.Price)
	return map[string]any{
		"id": p.Symbol, "base": p.Base, "base_name": kit.AssetName(p.Base),
		"quote": p.Quote, "quote_name": kit.AssetName(p.Quote), "fee": "0.2",
		"min_base_amount": kit.Pow10(kit.AmountDecimals), "min_quote_amount": "3",
		"max_base_amount": "", "max_quote_amount": "5000000",
		"amount_precision": kit.AmountDecimals, "precision": dec,
		"trade_status": "tradable", "sell_start": listed, "buy_start": listed,
		"delisting_time": 0, "type": "normal",
		"trade_url": "https://www.gate.io/trade/" + p.Symbol, "st_tag": false,
	}
}

func (s *server) currencyPairs(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, p := range s.env.Pairs {
		out = append(out, pairInfo(p))
	}
	kit.JSON(w, http.StatusOK, out)
}

func (s *server) currencyPair(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("pair")
	p, ok := s.env.PairBySymbol(id)
	if !ok {
		apiError(w, http.StatusBadRequest, "INVALID_CURRENCY_PAIR", "Invalid currency pair "+id)
		return
	}
	kit.JSON(w, http.StatusOK, pairInfo(p))
}

func (s *server) marginPairs(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, p := range s.env.Pairs {
		out = append(out, map[string]any{
			"id": p.Symbol, "base": p.Base, "quote": p.Quote, "leverage": 10,
			"min_base_amount": kit.Pow10(kit.AmountDecimals), "min_quote_amount": "3",
			"max_quote_amount": "5000000", "status": 1,
		})
	}
	kit.JSON(w, http.StatusOK, out)
}

func changePct(st kit.Stats) string {
	o := st.Open.Float64()
	if o == 0 {
		return "0"
	}
	return strconv.FormatFloat((st.Last.Float64()/o-1)*100, 'f', 2, 64)
}

// spotTicker is a pair's ticker at now.
func (s *server) spotTicker(ctx context.Context, p cc.Pair, now int64) (map[string]any, error) {
	t, err := s.tick(ctx, p.Symbol, now)
	if err != nil {
		return nil, err
	}
	st := t.day
	return map[string]any{
		"currency_pair": p.Symbol, "last": kit.Trim(st.Last),
		"lowest_ask": kit.Trim(t.touch.Ask), "lowest_size": kit.Trim(t.touch.AskSize),
		"highest_bid": kit.Trim(t.touch.Bid), "highest_size": kit.Trim(t.touch.BidSize),
		"change_percentage": pct(st), "change_utc0": pct(t.utc0), "change_utc8": pct(t.utc8),
		"base_volume": kit.Trim(st.Volume), "quote_volume": kit.Trim(st.QuoteVolume),
		"high_24h": kit.Trim(st.High), "low_24h": kit.Trim(st.Low),
		"etf_net_value": "", "etf_pre_net_value": "", "etf_pre_timestamp": 0, "etf_leverage": "",
	}, nil
}

func (s *server) spotTickers(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query().Get("currency_pair")
	out := []any{}
	now := s.now()
	for _, p := range s.env.Pairs {
		if want != "" && want != p.Symbol {
			continue
		}
		row, err := s.spotTicker(r.Context(), p, now)
		if err != nil {
			s.internal(w, err)
			return
		}
		out = append(out, row)
	}
	if want != "" && len(out) == 0 {
		apiError(w, http.StatusBadRequest, "INVALID_CURRENCY_PAIR", "Invalid currency pair "+want)
		return
	}
	kit.JSON(w, http.StatusOK, out)
}

// contractInfo is a contract's details with its funding fields, prices and
// open interest at now.
func (s *server) contractInfo(r *http.Request, p cc.Pair) (map[string]any, error) {
	now := s.now()
	st, err := cc.RollingStats(r.Context(), s.env.Market, s.env.Tape, p.Symbol, day, now)
	if err != nil {
		return nil, err
	}
	ps, err := s.perp(r.Context(), p.Symbol, st.Last, now)
	if err != nil {
		return nil, err
	}
	mult := multiplier(p.Price)
	return map[string]any{
		"name": p.Symbol, "type": "direct", "quanto_multiplier": mult.String(),
		"ref_discount_rate": "0", "order_price_deviate": "0.5", "maintenance_rate": "0.005",
		"mark_type": "index", "last_price": kit.Trim(st.Last), "mark_price": kit.Trim(ps.Mark), "index_price": kit.Trim(ps.Index),
		"funding_rate_indicative": kit.Trim(ps.FundingRate), "mark_price_round": kit.Pow10(kit.PriceDecimals(p.Price)),
		"funding_offset": 0, "in_delisting": false, "risk_limit_base": "1000000",
		"interest_rate": "0.0003", "order_price_round": kit.Pow10(kit.PriceDecimals(p.Price)),
		"order_size_min": 1, "ref_rebate_rate": "0.2", "funding_interval": 28800,
		"risk_limit_step": "1000000", "leverage_min": "1", "leverage_max": "100",
		"risk_limit_max": "8000000", "maker_fee_rate": "-0.0001", "taker_fee_rate": "0.00075",
		"funding_rate": kit.Trim(ps.FundingRate), "order_size_max": 1000000,
		"funding_next_apply": ps.NextFunding / 1000, "short_users": 0,
		"config_change_time": listed, "trade_size": 0, "position_size": contracts(ps.OpenInterest, mult), "long_users": 0,
		"funding_impact_value": "60000", "orders_limit": 50, "trade_id": max(st.LastID, 0), "orderbook_id": 0,
		"enable_bonus": true, "enable_credit": true, "create_time": listed,
		"funding_cap_ratio": "0.75", "status": "trading", "launch_time": listed,
		"enable_decimal": false, "is_pre_market": false, "contract_type": "",
	}, nil
}

func (s *server) contracts(w http.ResponseWriter, r *http.Request) {
	settle := r.PathValue("settle")
	out := []any{}
	for _, p := range s.settlePairs(settle) {
		c, err := s.contractInfo(r, p)
		if err != nil {
			s.internal(w, err)
			return
		}
		out = append(out, c)
	}
	kit.JSON(w, http.StatusOK, out)
}

func (s *server) contract(w http.ResponseWriter, r *http.Request) {
	settle, id := r.PathValue("settle"), r.PathValue("contract")
	p, ok := s.contractPair(settle, id)
	if !ok {
		apiError(w, http.StatusNotFound, "CONTRACT_NOT_FOUND", "Contract not found")
		return
	}
	c, err := s.contractInfo(r, p)
	if err != nil {
		s.internal(w, err)
		return
	}
	kit.JSON(w, http.StatusOK, c)
}

// futuresTicker is a contract's ticker at now.
func (s *server) futuresTicker(ctx context.Context, p cc.Pair, now int64) (map[string]any, error) {
	t, err := s.tick(ctx, p.Symbol, now)
	if err != nil {
		return nil, err
	}
	st := t.day
	ps, err := s.perp(ctx, p.Symbol, st.Last, now)
	if err != nil {
		return nil, err
	}
	mult := multiplier(p.Price)
	basis := ps.Mark.Add(ps.Index.Neg())
	basisRate := "0"
	if !ps.Index.IsZero() {
		basisRate = strconv.FormatFloat(basis.Float64()/ps.Index.Float64(), 'f', 6, 64)
	}
	return map[string]any{
		"contract": p.Symbol, "last": kit.Trim(st.Last), "change_percentage": pct(st),
		"change_utc0": pct(t.utc0), "change_utc8": pct(t.utc8), "change_price": kit.Trim(st.Change()),
		"total_size": strconv.FormatInt(contracts(ps.OpenInterest, mult), 10),
		"low_24h":    kit.Trim(st.Low), "high_24h": kit.Trim(st.High),
		"volume_24h":     strconv.FormatInt(contracts(st.Volume, mult), 10),
		"volume_24h_btc": "0", "volume_24h_usd": kit.Trim(st.QuoteVolume),
		"volume_24h_base": kit.Trim(st.Volume), "volume_24h_quote": kit.Trim(st.QuoteVolume),
		"volume_24h_settle": kit.Trim(st.QuoteVolume), "mark_price": kit.Trim(ps.Mark),
		"funding_rate": kit.Trim(ps.FundingRate), "funding_rate_indicative": kit.Trim(ps.FundingRate),
		"index_price": kit.Trim(ps.Index), "quanto_base_rate": "",
		"basis_rate": basisRate, "basis_value": kit.Trim(basis),
		"highest_bid": kit.Trim(t.touch.Bid), "highest_size": strconv.FormatInt(max(1, contracts(t.touch.BidSize, mult)), 10),
		"lowest_ask": kit.Trim(t.touch.Ask), "lowest_size": strconv.FormatInt(max(1, contracts(t.touch.AskSize, mult)), 10),
	}, nil
}

func (s *server) futuresTickers(w http.ResponseWriter, r *http.Request) {
	settle := r.PathValue("settle")
	want := r.URL.Query().Get("contract")
	out := []any{}
	now := s.now()
	for _, p := range s.settlePairs(settle) {
		if want != "" && want != p.Symbol {
			continue
		}
		row, err := s.futuresTicker(r.Context(), p, now)
		if err != nil {
			s.internal(w, err)
			return
		}
		out = append(out, row)
	}
	if want != "" && len(out) == 0 {
		apiError(w, http.StatusBadRequest, "CONTRACT_NOT_FOUND", "Contract not found: "+strings.ToUpper(want))
		return
	}
	kit.JSON(w, http.StatusOK, out)
}
