package kraken

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The trade decoder (plugins.TradeDecoder): /0/public/Trades bodies (rows
// ["price","volume",time,"b|s","m|l","",trade_id] oldest first under the
// pair's key; time in seconds with microseconds) and the v2 trade
// channel's messages (snapshot and update, RFC 3339 µs timestamps). The
// symbol is the pair's WS name, as the plugin spells it.

// DecodeTrades implements plugins.TradeDecoder.
func (*Plugin) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/0/public/Trades" {
		return nil, plugins.ErrNotTrades
	}
	var resp struct {
		Error  []string                   `json:"error"`
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if len(resp.Error) > 0 || resp.Result == nil {
		return nil, plugins.ErrNotTrades
	}
	var out []plugins.TradeSet
	for key, raw := range resp.Result {
		if key == "last" {
			continue
		}
		sym, ok := symbolOfKey(key)
		if !ok {
			return nil, fmt.Errorf("kraken: unknown pair key %q", key)
		}
		var rows [][]json.RawMessage
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
		}
		set := plugins.TradeSet{Symbol: sym}
		for i, row := range rows {
			t, err := decodeTradeRow(row)
			if err != nil {
				return nil, fmt.Errorf("kraken: trade row %d: %w", i, err)
			}
			set.Trades = append(set.Trades, t)
		}
		if len(set.Trades) > 0 {
			out = append(out, set)
		}
	}
	return out, nil
}

func decodeTradeRow(row []json.RawMessage) (cc.Trade, error) {
	if len(row) < 7 {
		return cc.Trade{}, fmt.Errorf("%d fields, want 7", len(row))
	}
	var t cc.Trade
	var at cc.Decimal
	var side string
	for i, f := range []func([]byte) error{
		t.Price.UnmarshalJSON, t.Size.UnmarshalJSON, at.UnmarshalJSON,
		func(b []byte) error { return json.Unmarshal(b, &side) },
		nil, nil,
		func(b []byte) error { return json.Unmarshal(b, &t.ID) },
	} {
		if f == nil {
			continue
		}
		if err := f(bytes.TrimSpace(row[i])); err != nil {
			return cc.Trade{}, fmt.Errorf("field %d: %w", i, err)
		}
	}
	t.Time = at.Rescale(6).Units
	t.AggID, t.BuyerMaker = t.ID, side == "s"
	return t, nil
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (*Plugin) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`"trade"`)) {
		return nil, plugins.ErrNotTrades
	}
	var m struct {
		Channel string `json:"channel"`
		Data    []struct {
			Symbol    string     `json:"symbol"`
			Side      string     `json:"side"`
			Price     cc.Decimal `json:"price"`
			Qty       cc.Decimal `json:"qty"`
			TradeID   int64      `json:"trade_id"`
			Timestamp string     `json:"timestamp"`
		} `json:"data"`
	}
	if err := json.Unmarshal(frame, &m); err != nil || m.Channel != "trade" {
		return nil, plugins.ErrNotTrades
	}
	var out []plugins.TradeSet
	for _, r := range m.Data {
		at, err := time.Parse(time.RFC3339Nano, r.Timestamp)
		if err != nil {
			return nil, fmt.Errorf("kraken: trade timestamp %q: %w", r.Timestamp, err)
		}
		t := cc.Trade{ID: r.TradeID, AggID: r.TradeID, Time: at.UnixMicro(), Price: r.Price, Size: r.Qty, BuyerMaker: r.Side == "sell"}
		// WS v2 names the pair BTC/USD; the index keys it by the native
		// wsname (XBT/USD), as REST and the book decoder do.
		sym := namesOfSymbol(r.Symbol).wsname
		k := len(out) - 1
		for ; k >= 0 && out[k].Symbol != sym; k-- {
		}
		if k < 0 {
			out = append(out, plugins.TradeSet{Symbol: sym})
			k = len(out) - 1
		}
		out[k].Trades = append(out[k].Trades, t)
	}
	return out, nil
}
