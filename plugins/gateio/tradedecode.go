package gateio

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

// The trade decoder (plugins.TradeDecoder): GET /api/v4/spot/trades and
// /api/v4/futures/{settle}/trades bodies (newest first) and the
// spot.trades and futures.trades pushes. Ids are decimal (strings on
// spot); create_time_ms has the microseconds. A futures size is a signed
// contract count (negative: the taker sold), converted to the base asset
// with the contract size the plugin serves for the contract's base (from
// cc.DefaultPairs' price); a contract of another base is not decoded.
// The plugin writes at least one contract per print, so a print smaller
// than a contract reads back as one contract.

type spotRow struct {
	ID     string     `json:"id"`
	TimeMs cc.Decimal `json:"create_time_ms"`
	Pair   string     `json:"currency_pair"`
	Side   string     `json:"side"`
	Amount cc.Decimal `json:"amount"`
	Price  cc.Decimal `json:"price"`
}

type futuresRow struct {
	ID       int64      `json:"id"`
	TimeMs   cc.Decimal `json:"create_time_ms"`
	Contract string     `json:"contract"`
	Size     int64      `json:"size"`
	Price    cc.Decimal `json:"price"`
}

func (r spotRow) trade() cc.Trade {
	id, err := strconv.ParseInt(r.ID, 10, 64)
	if err != nil || id < 0 {
		id = 0
	}
	return cc.Trade{ID: id, AggID: id, Time: r.TimeMs.Rescale(3).Units, Price: r.Price, Size: r.Amount, BuyerMaker: r.Side == "sell"}
}

// contractSize is the size of one contract of contract (BTC_USDT).
func contractSize(contract string) (cc.Decimal, bool) {
	base, _, _ := strings.Cut(contract, "_")
	for _, p := range cc.DefaultPairs {
		if p.Base == base {
			return multiplier(p.Price), true
		}
	}
	return cc.Decimal{}, false
}

func (r futuresRow) trade() (cc.Trade, error) {
	mult, ok := contractSize(r.Contract)
	if !ok {
		return cc.Trade{}, fmt.Errorf("%w: contract size of %s unknown", plugins.ErrNotTrades, r.Contract)
	}
	n := r.Size
	if n < 0 {
		n = -n
	}
	return cc.Trade{ID: r.ID, AggID: r.ID, Time: r.TimeMs.Rescale(3).Units, Price: r.Price, Size: cc.NewDecimal(n, 0).Mul(mult), BuyerMaker: r.Size < 0}, nil
}

func addTrade(sets []plugins.TradeSet, sym string, t cc.Trade) []plugins.TradeSet {
	for i := range sets {
		if sets[i].Symbol == sym {
			sets[i].Trades = append(sets[i].Trades, t)
			return sets
		}
	}
	return append(sets, plugins.TradeSet{Symbol: sym, Trades: []cc.Trade{t}})
}

// DecodeTrades implements plugins.TradeDecoder.
func (a *api) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil {
		return nil, plugins.ErrNotTrades
	}
	path := req.URL.Path
	futures := strings.HasPrefix(path, "/api/v4/futures/") && strings.HasSuffix(path, "/trades") && strings.Count(path, "/") == 5
	if path != "/api/v4/spot/trades" && !futures {
		return nil, plugins.ErrNotTrades
	}
	var out []plugins.TradeSet
	if futures {
		var rows []futuresRow
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
		}
		for i := len(rows) - 1; i >= 0; i-- {
			t, err := rows[i].trade()
			if err != nil {
				return nil, err
			}
			out = addTrade(out, rows[i].Contract, t)
		}
		return out, nil
	}
	var rows []spotRow
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		out = addTrade(out, rows[i].Pair, rows[i].trade())
	}
	return out, nil
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (a *api) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(".trades")) {
		return nil, plugins.ErrNotTrades
	}
	var m struct {
		Channel string          `json:"channel"`
		Event   string          `json:"event"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(frame, &m); err != nil || m.Event != "update" {
		return nil, plugins.ErrNotTrades
	}
	switch m.Channel {
	case "spot.trades":
		var r spotRow
		if err := json.Unmarshal(m.Result, &r); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
		}
		return addTrade(nil, r.Pair, r.trade()), nil
	case "futures.trades":
		var rows []futuresRow
		if err := json.Unmarshal(m.Result, &rows); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
		}
		var out []plugins.TradeSet
		for _, r := range rows {
			t, err := r.trade()
			if err != nil {
				return nil, err
			}
			out = addTrade(out, r.Contract, t)
		}
		return out, nil
	}
	return nil, plugins.ErrNotTrades
}
