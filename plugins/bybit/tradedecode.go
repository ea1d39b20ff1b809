package bybit

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

// The trade decoder (plugins.TradeDecoder): /v5/market/recent-trade bodies
// (newest first) and publicTrade.{symbol} pushes (oldest first). Times
// are milliseconds; sizes are in the base asset (linear contracts are one
// base unit). Bybit's execId is a decimal string here; a real spot execId
// is too, a real derivatives execId is a UUID, which gives ID 0 (left out
// of the index).

type tradeRow struct {
	ExecID string     `json:"execId"`
	Symbol string     `json:"symbol"`
	Price  cc.Decimal `json:"price"`
	Size   cc.Decimal `json:"size"`
	Side   string     `json:"side"`
	Time   string     `json:"time"`
}

type tradeBody struct {
	RetCode int `json:"retCode"`
	Result  struct {
		List []tradeRow `json:"list"`
	} `json:"result"`
}

// pushRow is a publicTrade entry; Sym and Side differ only in case, which
// encoding/json tells apart by exact match.
type pushRow struct {
	T    int64      `json:"T"`
	Sym  string     `json:"s"`
	Side string     `json:"S"`
	V    cc.Decimal `json:"v"`
	P    cc.Decimal `json:"p"`
	I    string     `json:"i"`
}

type tradePush struct {
	Topic string    `json:"topic"`
	Data  []pushRow `json:"data"`
}

// execID reads a numeric trade id, 0 when it is not one.
func execID(s string) int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// DecodeTrades implements plugins.TradeDecoder.
func (e *Exchange) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/v5/market/recent-trade" {
		return nil, plugins.ErrNotTrades
	}
	var tb tradeBody
	if err := json.Unmarshal(body, &tb); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if tb.RetCode != 0 {
		return nil, plugins.ErrNotTrades
	}
	var out []plugins.TradeSet
	for i := len(tb.Result.List) - 1; i >= 0; i-- {
		r := tb.Result.List[i]
		ms, err := strconv.ParseInt(r.Time, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bybit: trade time %q: %w", r.Time, err)
		}
		id := execID(r.ExecID)
		out = addTrade(out, r.Symbol, cc.Trade{ID: id, AggID: id, Time: ms * 1000, Price: r.Price, Size: r.Size, BuyerMaker: r.Side == "Sell"})
	}
	return out, nil
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

// DecodeTradeFrame implements plugins.TradeDecoder.
func (e *Exchange) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte("publicTrade.")) {
		return nil, plugins.ErrNotTrades
	}
	var f tradePush
	if err := json.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if !strings.HasPrefix(f.Topic, "publicTrade.") || len(f.Data) == 0 {
		return nil, plugins.ErrNotTrades
	}
	var out []plugins.TradeSet
	for _, r := range f.Data {
		id := execID(r.I)
		out = addTrade(out, r.Sym, cc.Trade{ID: id, AggID: id, Time: r.T * 1000, Price: r.P, Size: r.V, BuyerMaker: r.Side == "Sell"})
	}
	return out, nil
}
