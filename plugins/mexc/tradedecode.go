package mexc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The trade decoder (plugins.TradeDecoder): spot GET /api/v3/trades
// (oldest first), contract GET /api/v1/contract/deals/{symbol} (newest
// first, v in contracts) and the contract push.deal and spot protobuf
// publicAggreDeals pushes. MEXC sends no trade ids (null): the decoder
// numbers the trades of each millisecond from its last one
// (kit.NumberByMillis), so overlapping pages agree. Spot aggTrades have
// neither ids nor print counts and are not decoded. A contract's v is
// converted to the base asset with the contract size the plugin serves
// for its base (cc.DefaultPairs' price); another base is not decoded.

func addSet(sets []plugins.TradeSet, sym string, t cc.Trade) []plugins.TradeSet {
	for i := range sets {
		if sets[i].Symbol == sym {
			sets[i].Trades = append(sets[i].Trades, t)
			return sets
		}
	}
	return append(sets, plugins.TradeSet{Symbol: sym, Trades: []cc.Trade{t}})
}

func numbered(sets []plugins.TradeSet) []plugins.TradeSet {
	for _, s := range sets {
		kit.NumberByMillis(s.Trades)
	}
	return sets
}

// contractSize is one contract of contract (BTC_USDT) in its base asset.
func contractSize(contract string) (cc.Decimal, bool) {
	base, _, _ := strings.Cut(contract, "_")
	for _, p := range cc.DefaultPairs {
		if p.Base == base {
			return kit.ContractSize(p.Price), true
		}
	}
	return cc.Decimal{}, false
}

type deal struct {
	P cc.Decimal `json:"p"`
	V int64      `json:"v"`
	T int        `json:"T"`
	O int        `json:"O"`
	M int        `json:"M"`
	// Ms is "t", which differs from "T" only in case: encoding/json takes
	// the exact match.
	Ms int64 `json:"t"`
}

func (d deal) trade(contract string) (cc.Trade, error) {
	size, ok := contractSize(contract)
	if !ok {
		return cc.Trade{}, fmt.Errorf("%w: contract size of %s unknown", plugins.ErrNotTrades, contract)
	}
	return cc.Trade{Time: d.Ms * 1000, Price: d.P, Size: cc.NewDecimal(d.V, 0).Mul(size), BuyerMaker: d.T == 2}, nil
}

// DecodeTrades implements plugins.TradeDecoder.
func (a *api) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil {
		return nil, plugins.ErrNotTrades
	}
	if contract, ok := strings.CutPrefix(req.URL.Path, "/api/v1/contract/deals/"); ok && contract != "" {
		var m struct {
			Success bool   `json:"success"`
			Data    []deal `json:"data"`
		}
		if err := json.Unmarshal(body, &m); err != nil || !m.Success {
			return nil, plugins.ErrNotTrades
		}
		var out []plugins.TradeSet
		for i := len(m.Data) - 1; i >= 0; i-- {
			t, err := m.Data[i].trade(contract)
			if err != nil {
				return nil, err
			}
			out = addSet(out, contract, t)
		}
		return numbered(out), nil
	}
	if req.URL.Path != "/api/v3/trades" {
		return nil, plugins.ErrNotTrades
	}
	sym := req.URL.Query().Get("symbol")
	var rows []struct {
		Price cc.Decimal `json:"price"`
		Qty   cc.Decimal `json:"qty"`
		Time  int64      `json:"time"`
		BM    bool       `json:"isBuyerMaker"`
	}
	if err := json.Unmarshal(body, &rows); err != nil || sym == "" {
		return nil, plugins.ErrNotTrades
	}
	var out []plugins.TradeSet
	for _, r := range rows {
		out = addSet(out, sym, cc.Trade{Time: r.Time * 1000, Price: r.Price, Size: r.Qty, BuyerMaker: r.BM})
	}
	return numbered(out), nil
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (a *api) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 {
		return nil, plugins.ErrNotTrades
	}
	if frame[0] == '{' {
		if !bytes.Contains(frame, []byte("push.deal")) {
			return nil, plugins.ErrNotTrades
		}
		var m struct {
			Channel string `json:"channel"`
			Data    []deal `json:"data"`
			Symbol  string `json:"symbol"`
		}
		if err := json.Unmarshal(frame, &m); err != nil || m.Channel != "push.deal" {
			return nil, plugins.ErrNotTrades
		}
		var out []plugins.TradeSet
		for _, d := range m.Data {
			t, err := d.trade(m.Symbol)
			if err != nil {
				return nil, err
			}
			out = addSet(out, m.Symbol, t)
		}
		return numbered(out), nil
	}
	var sym string
	var body []byte
	err := fields(frame, func(num, wire int, v uint64, p []byte) error {
		switch num {
		case fSymbol:
			sym = string(p)
		case fPublicAggreDeals:
			body = p
		}
		return nil
	})
	if err != nil || body == nil || sym == "" {
		return nil, plugins.ErrNotTrades
	}
	var out []plugins.TradeSet
	err = fields(body, func(num, wire int, v uint64, p []byte) error {
		if num != 1 || wire != wireBytes {
			return nil
		}
		var t cc.Trade
		var ferr error
		if err := fields(p, func(num, wire int, v uint64, q []byte) error {
			switch num {
			case 1:
				t.Price, ferr = cc.ParseDecimal(string(q))
			case 2:
				t.Size, ferr = cc.ParseDecimal(string(q))
			case 3:
				t.BuyerMaker = v == 2
			case 4:
				t.Time = int64(v) * 1000
			}
			return ferr
		}); err != nil {
			return err
		}
		out = addSet(out, sym, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	return numbered(out), nil
}
