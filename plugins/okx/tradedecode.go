package okx

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

// The trade decoder (plugins.TradeDecoder): /api/v5/market/trades and
// history-trades bodies (newest first; rows of a single print) and the
// trades channel's pushes, one aggregate each, whose tradeId is the
// aggregate's last print and count its prints. Times are milliseconds.
// A swap's sz counts contracts, converted to the base asset with the
// contract value the plugin serves for the instrument's base (OKX's own
// for well-known bases, else from cc.DefaultPairs); a swap of another
// base cannot be converted and is not decoded.

type tradeRow struct {
	InstID  string `json:"instId"`
	Side    string `json:"side"`
	Sz      string `json:"sz"`
	Px      string `json:"px"`
	TradeID string `json:"tradeId"`
	Ts      string `json:"ts"`
	Count   string `json:"count"`
}

type tradesBody struct {
	Code string     `json:"code"`
	Data []tradeRow `json:"data"`
}

type tradesPush struct {
	Arg  wsArg      `json:"arg"`
	Data []tradeRow `json:"data"`
}

// swapExp is the contract value's power of ten for a swap instrument.
func swapExp(instID string) (int, bool) {
	base, _, _ := strings.Cut(instID, "-")
	if e, ok := ctExps[base]; ok {
		return e, true
	}
	for _, p := range cc.DefaultPairs {
		if p.Base == base {
			return ctExp(p), true
		}
	}
	return 0, false
}

// trade reads a row as a print (count 1) or an aggregate: the trade of
// its first print and its last print's id.
func (r tradeRow) trade() (cc.Trade, int64, error) {
	id, err := strconv.ParseInt(r.TradeID, 10, 64)
	if err != nil {
		return cc.Trade{}, 0, fmt.Errorf("okx: tradeId %q: %w", r.TradeID, err)
	}
	ms, err := strconv.ParseInt(r.Ts, 10, 64)
	if err != nil {
		return cc.Trade{}, 0, fmt.Errorf("okx: ts %q: %w", r.Ts, err)
	}
	px, err := cc.ParseDecimal(r.Px)
	if err != nil {
		return cc.Trade{}, 0, err
	}
	sz, err := cc.ParseDecimal(r.Sz)
	if err != nil {
		return cc.Trade{}, 0, err
	}
	if isSwap(r.InstID) {
		exp, ok := swapExp(r.InstID)
		if !ok {
			return cc.Trade{}, 0, fmt.Errorf("%w: contract value of %s unknown", plugins.ErrNotTrades, r.InstID)
		}
		sz = shift(sz, exp)
	}
	n := int64(1)
	if r.Count != "" {
		if n, err = strconv.ParseInt(r.Count, 10, 64); err != nil || n < 1 {
			return cc.Trade{}, 0, fmt.Errorf("okx: count %q", r.Count)
		}
	}
	first := id - n + 1
	return cc.Trade{ID: first, AggID: first, Time: ms * 1000, Price: px, Size: sz, BuyerMaker: r.Side == "sell"}, id, nil
}

// DecodeTrades implements plugins.TradeDecoder.
func (e *Exchange) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil || (req.URL.Path != "/api/v5/market/trades" && req.URL.Path != "/api/v5/market/history-trades") {
		return nil, plugins.ErrNotTrades
	}
	var tb tradesBody
	if err := json.Unmarshal(body, &tb); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if tb.Code != "0" {
		return nil, plugins.ErrNotTrades
	}
	return decodeRows(tb.Data, false)
}

// decodeRows groups rows (newest first) by instrument, oldest first.
func decodeRows(rows []tradeRow, aggs bool) ([]plugins.TradeSet, error) {
	var out []plugins.TradeSet
	idx := map[string]int{}
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		t, last, err := r.trade()
		if err != nil {
			return nil, err
		}
		k, ok := idx[r.InstID]
		if !ok {
			k = len(out)
			idx[r.InstID] = k
			out = append(out, plugins.TradeSet{Symbol: r.InstID})
		}
		out[k].Trades = append(out[k].Trades, t)
		if aggs {
			out[k].Last = append(out[k].Last, last)
		}
	}
	return out, nil
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (e *Exchange) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`"trades"`)) {
		return nil, plugins.ErrNotTrades
	}
	var f tradesPush
	if err := json.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if f.Arg.Channel != "trades" || len(f.Data) == 0 {
		return nil, plugins.ErrNotTrades
	}
	// A push lists its aggregates oldest first; decodeRows reads newest
	// first.
	rows := make([]tradeRow, len(f.Data))
	for i, r := range f.Data {
		rows[len(rows)-1-i] = r
	}
	return decodeRows(rows, true)
}
