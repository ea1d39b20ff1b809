package hyperliquid

import (
	"encoding/json"
	"fmt"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The trade decoder (plugins.TradeDecoder): POST /info {"type":
// "recentTrades"} bodies and the trades channel's pushes, rows {"coin",
// "side","px","sz","time","hash","tid","users"} oldest first; tid is the
// trade id, time milliseconds, side B when the taker bought. Consecutive
// rows of one hash (one taker order) get the first one's tid as AggID.

type tradeRow struct {
	Coin string     `json:"coin"`
	Side string     `json:"side"`
	Px   cc.Decimal `json:"px"`
	Sz   cc.Decimal `json:"sz"`
	Time int64      `json:"time"`
	Hash string     `json:"hash"`
	Tid  int64      `json:"tid"`
}

func decodeRows(rows []tradeRow) []plugins.TradeSet {
	var out []plugins.TradeSet
	for i, r := range rows {
		t := cc.Trade{ID: r.Tid, AggID: r.Tid, Time: r.Time * 1000, Price: r.Px, Size: r.Sz, BuyerMaker: r.Side == "A"}
		k := len(out) - 1
		for ; k >= 0 && out[k].Symbol != r.Coin; k-- {
		}
		if k < 0 {
			out = append(out, plugins.TradeSet{Symbol: r.Coin})
			k = len(out) - 1
		}
		if n := len(out[k].Trades); n > 0 && i > 0 && rows[i-1].Coin == r.Coin && rows[i-1].Hash == r.Hash && r.Hash != "" {
			t.AggID = out[k].Trades[n-1].AggID
		}
		out[k].Trades = append(out[k].Trades, t)
	}
	return out
}

// DecodeTrades implements plugins.TradeDecoder.
func (a *api) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/info" {
		return nil, plugins.ErrNotTrades
	}
	var r struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(requestBody(req), &r); err != nil || r.Type != "recentTrades" {
		return nil, plugins.ErrNotTrades
	}
	var rows []tradeRow
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	return decodeRows(rows), nil
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (a *api) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	data, ok := channelData(frame, "trades")
	if !ok {
		return nil, plugins.ErrNotTrades
	}
	var rows []tradeRow
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	return decodeRows(rows), nil
}
