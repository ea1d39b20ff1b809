package binance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The trade decoder (plugins.TradeDecoder): trades, historicalTrades and
// aggTrades bodies (spot /api/v3, USD-M /fapi/v1) and trade and aggTrade
// events, raw or in a combined stream's {"stream","data"}. A time of 16
// digits or more is microseconds (spot's X-MBX-TIME-UNIT: MICROSECOND and
// timeUnit=MICROSECOND streams), a shorter one milliseconds. Prints carry
// no aggregate id: their AggID is their own id.

var (
	printPaths = map[string]bool{
		"/api/v3/trades": true, "/api/v3/historicalTrades": true,
		"/fapi/v1/trades": true, "/fapi/v1/historicalTrades": true,
	}
	aggPaths = map[string]bool{"/api/v3/aggTrades": true, "/fapi/v1/aggTrades": true}
)

// tradeMicros reads a trade time in ms or µs as µs.
func tradeMicros(t int64) int64 {
	if t >= 1e14 || t <= -1e14 {
		return t
	}
	return t * 1000
}

type restPrint struct {
	ID    *int64     `json:"id"`
	Price cc.Decimal `json:"price"`
	Qty   cc.Decimal `json:"qty"`
	Time  int64      `json:"time"`
	BM    bool       `json:"isBuyerMaker"`
}

// aggRow is a REST aggTrades row and the fields of an aggTrade event.
type aggRow struct {
	E     string          `json:"e"`
	S     string          `json:"s"`
	A     *int64          `json:"a"`
	P     cc.Decimal      `json:"p"`
	Q     cc.Decimal      `json:"q"`
	F     int64           `json:"f"`
	L     int64           `json:"l"`
	T     int64           `json:"T"`
	M     bool            `json:"m"`
	TID   *int64          `json:"t"` // trade events
	Strm  string          `json:"stream"`
	Inner json.RawMessage `json:"data"`
	// Fields whose names differ from the above only in case, so that
	// encoding/json (case-insensitive) does not fill the above with them.
	EvTime    int64 `json:"E"`
	BestMatch bool  `json:"M"`
}

func (a aggRow) agg() cc.Trade {
	return cc.Trade{ID: a.F, AggID: *a.A, Time: tradeMicros(a.T), Price: a.P, Size: a.Q, BuyerMaker: a.M}
}

// DecodeTrades implements plugins.TradeDecoder.
func (p *Plugin) DecodeTrades(req *http.Request, body []byte) ([]plugins.TradeSet, error) {
	if req == nil || req.URL == nil || (!printPaths[req.URL.Path] && !aggPaths[req.URL.Path]) {
		return nil, plugins.ErrNotTrades
	}
	sym := strings.ToUpper(req.URL.Query().Get("symbol"))
	if sym == "" {
		return nil, plugins.ErrNotTrades
	}
	set := plugins.TradeSet{Symbol: sym}
	if aggPaths[req.URL.Path] {
		var rows []aggRow
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
		}
		for i, r := range rows {
			if r.A == nil {
				return nil, fmt.Errorf("%w: aggTrades row %d without \"a\"", plugins.ErrNotTrades, i)
			}
			set.Trades = append(set.Trades, r.agg())
			set.Last = append(set.Last, r.L)
		}
	} else {
		var rows []restPrint
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
		}
		for i, r := range rows {
			if r.ID == nil {
				return nil, fmt.Errorf("%w: trades row %d without \"id\"", plugins.ErrNotTrades, i)
			}
			set.Trades = append(set.Trades, cc.Trade{ID: *r.ID, AggID: *r.ID, Time: tradeMicros(r.Time), Price: r.Price, Size: r.Qty, BuyerMaker: r.BM})
		}
	}
	if len(set.Trades) == 0 {
		return nil, nil
	}
	return []plugins.TradeSet{set}, nil
}

// DecodeTradeFrame implements plugins.TradeDecoder.
func (p *Plugin) DecodeTradeFrame(path string, frame []byte) ([]plugins.TradeSet, error) {
	// Only trade and aggTrade events name a "…rade" (a cheap test first:
	// most frames are klines and tickers).
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`rade"`)) {
		return nil, plugins.ErrNotTrades
	}
	var ev aggRow
	if err := json.Unmarshal(frame, &ev); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
	}
	if ev.Strm != "" && len(ev.Inner) > 0 {
		inner := ev.Inner
		ev = aggRow{}
		if err := json.Unmarshal(inner, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotTrades, err)
		}
	}
	set := plugins.TradeSet{Symbol: strings.ToUpper(ev.S)}
	switch {
	case ev.E == "trade" && ev.TID != nil && set.Symbol != "":
		set.Trades = []cc.Trade{{ID: *ev.TID, AggID: *ev.TID, Time: tradeMicros(ev.T), Price: ev.P, Size: ev.Q, BuyerMaker: ev.M}}
	case ev.E == "aggTrade" && ev.A != nil && set.Symbol != "":
		set.Trades, set.Last = []cc.Trade{ev.agg()}, []int64{ev.L}
	default:
		return nil, plugins.ErrNotTrades
	}
	return []plugins.TradeSet{set}, nil
}
