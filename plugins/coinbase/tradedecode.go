package coinbase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The trade decoder (plugins.TradeDecoder): market trades bodies (GET
// /api/v3/brokerage/market/products/{id}/ticker, newest first) and the
// market_trades channel's events (snapshot and update, newest first).
// trade_id is a decimal string (a non-numeric one gives ID 0, left out of
// the index); time is RFC 3339 with microseconds; side is the maker's, so
// BUY means the taker sold.

type tradeRow struct {
	TradeID   string     `json:"trade_id"`
	ProductID string     `json:"product_id"`
	Price     cc.Decimal `json:"price"`
	Size      cc.Decimal `json:"size"`
	Time      string     `json:"time"`
	Side      string     `json:"side"`
}

// decodeRows reads rows (newest first) into sets per product, oldest first.
func decodeRows(rows []tradeRow) ([]plugins.TradeSet, error) {
	var out []plugins.TradeSet
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		at, err := time.Parse(time.RFC3339Nano, r.Time)
		if err != nil {
			return nil, fmt.Errorf("coinbase: trade time %q: %w", r.Time, err)
		}
		id, err := strconv.ParseInt(r.TradeID, 10, 64)
		if err != nil || id < 0 {
			id = 0
		}
		t := cc.Trade{ID: id, AggID: id, Time: at.UnixMicro(), Price: r.Price, Size: r.Size, BuyerMaker: r.Side == "BUY"}
		k := len(out) - 1
		for ; k >= 0 && out[k].Symbol != r.ProductID; k-- {
		}
		if k < 0 {
			out = append(out, plugins.TradeSet{Symbol: r.ProductID})
			k = len(out) - 1
		}
		out[k].Trades = append(out[k].Trades, t)
	}
	return out, nil
}

// DecodeTrades implements plugins.TradeDecoder.
func (*Plugin) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil {
		return nil, plugins.ErrNotTrades
	}
	rest, ok := strings.CutPrefix(req.URL.Path, "/api/v3/brokerage/market/products/")
	if !ok || !strings.HasSuffix(rest, "/ticker") {
		return nil, plugins.ErrNotTrades
	}
	var b struct {
		Trades []tradeRow `json:"trades"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	return decodeRows(b.Trades)
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (*Plugin) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`market_trades`)) {
		return nil, plugins.ErrNotTrades
	}
	var m struct {
		Channel string `json:"channel"`
		Events  []struct {
			Trades []tradeRow `json:"trades"`
		} `json:"events"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if m.Channel != "market_trades" {
		return nil, plugins.ErrNotTrades
	}
	var rows []tradeRow
	for i := len(m.Events) - 1; i >= 0; i-- { // events oldest last too
		rows = append(rows, m.Events[i].Trades...)
	}
	return decodeRows(rows)
}
