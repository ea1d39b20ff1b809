package kucoin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The trade decoder (plugins.TradeDecoder): spot GET /api/v1/market/
// histories (oldest first, time in ns, sequence the trade id) and futures
// GET /api/v1/trade/history (newest first, ts in ns, tradeId), and the
// spot trade.l3match and futures match messages. A takerOrderId "t<n>"
// (the plugin's: one taker order per aggregate) gives the AggID; real
// KuCoin order ids are hex, which leave AggID the trade's own id.
// Futures sizes count contracts: a linear contract's are multiplied by
// its multiplier; an inverse contract's (…USDM) count USD, converted at
// the trade's price and rounded to 8 places (not exact).

type tradeRow struct {
	Sequence json.RawMessage `json:"sequence"` // spot "123", futures 123
	TradeID  string          `json:"tradeId"`
	Symbol   string          `json:"symbol"`
	Price    cc.Decimal      `json:"price"`
	Size     cc.Decimal      `json:"size"`
	Side     string          `json:"side"`
	Time     json.RawMessage `json:"time"` // ns, number or string
	Ts       int64           `json:"ts"`   // futures, ns
	Taker    string          `json:"takerOrderId"`
}

// trade reads a row of symbol sym (futures: contract sizes).
func (r tradeRow) trade(sym string, futures bool) (cc.Trade, error) {
	idText := r.TradeID
	if idText == "" {
		idText = strings.Trim(string(r.Sequence), `"`)
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id < 0 {
		id = 0
	}
	ns := r.Ts
	if ns == 0 && len(r.Time) > 0 {
		if ns, err = strconv.ParseInt(strings.Trim(string(r.Time), `"`), 10, 64); err != nil {
			return cc.Trade{}, fmt.Errorf("kucoin: trade time %s: %w", r.Time, err)
		}
	}
	t := cc.Trade{ID: id, AggID: id, Time: ns / 1000, Price: r.Price, Size: r.Size, BuyerMaker: r.Side == "sell"}
	if a, err := strconv.ParseInt(strings.TrimPrefix(r.Taker, "t"), 10, 64); err == nil && strings.HasPrefix(r.Taker, "t") && a > 0 && a <= id {
		t.AggID = a
	}
	if futures {
		if inverse(sym) {
			if t.Price.IsZero() {
				return cc.Trade{}, fmt.Errorf("kucoin: inverse trade at price 0")
			}
			t.Size = cc.DecimalFromFloat(t.Size.Float64()/t.Price.Float64(), 8)
		} else {
			t.Size = t.Size.Mul(multiplier(sym))
		}
	}
	return t, nil
}

// DecodeTrades implements plugins.TradeDecoder.
func (p *Plugin) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil {
		return nil, plugins.ErrNotTrades
	}
	futures := false
	switch req.URL.Path {
	case "/api/v1/market/histories":
	case "/api/v1/trade/history":
		futures = true
	default:
		return nil, plugins.ErrNotTrades
	}
	sym := req.URL.Query().Get("symbol")
	var env struct {
		Code string     `json:"code"`
		Data []tradeRow `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if env.Code != "200000" || sym == "" || len(env.Data) == 0 {
		return nil, plugins.ErrNotTrades
	}
	set := plugins.TradeSet{Symbol: sym}
	for i := range env.Data {
		r := env.Data[i]
		if futures { // newest first
			r = env.Data[len(env.Data)-1-i]
		}
		t, err := r.trade(sym, futures)
		if err != nil {
			return nil, err
		}
		set.Trades = append(set.Trades, t)
	}
	return []plugins.TradeSet{set}, nil
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (p *Plugin) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte("match")) {
		return nil, plugins.ErrNotTrades
	}
	var m struct {
		Type    string   `json:"type"`
		Subject string   `json:"subject"`
		Data    tradeRow `json:"data"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if m.Type != "message" || (m.Subject != "trade.l3match" && m.Subject != "match") || m.Data.Symbol == "" {
		return nil, plugins.ErrNotTrades
	}
	t, err := m.Data.trade(m.Data.Symbol, m.Subject == "match")
	if err != nil {
		return nil, err
	}
	return []plugins.TradeSet{{Symbol: m.Data.Symbol, Trades: []cc.Trade{t}}}, nil
}
