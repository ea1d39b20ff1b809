package ascendex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The trade decoder (plugins.TradeDecoder): /api/pro/v1/trades bodies and
// the trades channel's pushes, both {"m":"trades","symbol","data":[...]}
// (the REST one inside {"code":0,"data":...}), rows {"seqnum","p","q",
// "ts","bm"} oldest first; seqnum is the trade id, ts milliseconds.

type tradeRow struct {
	Seq int64      `json:"seqnum"`
	P   cc.Decimal `json:"p"`
	Q   cc.Decimal `json:"q"`
	Ts  int64      `json:"ts"`
	BM  bool       `json:"bm"`
}

type tradesMsg struct {
	M      string     `json:"m"`
	Symbol string     `json:"symbol"`
	Data   []tradeRow `json:"data"`
}

func (m tradesMsg) sets() ([]plugins.TradeSet, error) {
	if m.M != "trades" || m.Symbol == "" || len(m.Data) == 0 {
		return nil, plugins.ErrNotTrades
	}
	set := plugins.TradeSet{Symbol: m.Symbol, Trades: make([]cc.Trade, len(m.Data))}
	for i, r := range m.Data {
		set.Trades[i] = cc.Trade{ID: r.Seq, AggID: r.Seq, Time: r.Ts * 1000, Price: r.P, Size: r.Q, BuyerMaker: r.BM}
	}
	return []plugins.TradeSet{set}, nil
}

// DecodeTrades implements plugins.TradeDecoder.
func (*Spot) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/api/pro/v1/trades" {
		return nil, plugins.ErrNotTrades
	}
	var env struct {
		Code int       `json:"code"`
		Data tradesMsg `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if env.Code != 0 {
		return nil, plugins.ErrNotTrades
	}
	return env.Data.sets()
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (*Spot) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`"trades"`)) {
		return nil, plugins.ErrNotTrades
	}
	var m tradesMsg
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	return m.sets()
}
