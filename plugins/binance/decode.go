package binance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// klinesPath is where p lists trade klines.
func (p *Plugin) klinesPath() string {
	if p.kind == Perpetual {
		return "/fapi/v1/klines"
	}
	return "/api/v3/klines"
}

// CandlesRequest implements plugins.Plugin: GET <klines>?symbol=&interval=
// with startTime, endTime and limit when set.
func (p *Plugin) CandlesRequest(q plugins.Query) (*http.Request, error) {
	if q.Symbol == "" {
		return nil, fmt.Errorf("binance: candles request without a symbol")
	}
	name, ok := p.intervals().Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("binance: %s does not serve interval %q", p.Name(), q.Interval)
	}
	v := url.Values{}
	v.Set("symbol", q.Symbol)
	v.Set("interval", name)
	if q.Start != 0 {
		v.Set("startTime", strconv.FormatInt(q.Start, 10))
	}
	if q.End != 0 {
		v.Set("endTime", strconv.FormatInt(q.End, 10))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return http.NewRequest(http.MethodGet, p.klinesPath()+"?"+v.Encode(), nil)
}

// candlePaths are the endpoints whose rows are trade candles.
var candlePaths = map[string]bool{
	"/api/v3/klines": true, "/api/v3/uiKlines": true,
	"/fapi/v1/klines": true, "/fapi/v1/continuousKlines": true,
}

// DecodeCandles implements plugins.Plugin for klines, uiKlines and
// continuousKlines bodies. Every row but the last is closed; the last may
// still be in progress, which a body alone cannot tell, so it is marked
// open and the caller decides from its own clock.
func (p *Plugin) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	if req == nil || req.URL == nil || !candlePaths[req.URL.Path] {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	q := req.URL.Query()
	sym := q.Get("symbol")
	if sym == "" {
		sym = q.Get("pair")
	}
	iv, err := cc.ParseInterval(q.Get("interval"))
	if err != nil {
		return plugins.CandleSet{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
	}
	var rows [][]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		return plugins.CandleSet{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
	}
	set := plugins.CandleSet{Symbol: sym, Interval: iv, Candles: make([]cc.Candle, 0, len(rows))}
	for i, row := range rows {
		c, err := decodeRow(row)
		if err != nil {
			return plugins.CandleSet{}, fmt.Errorf("binance: kline row %d: %w", i, err)
		}
		c.Closed = i < len(rows)-1
		set.Candles = append(set.Candles, c)
	}
	return set, nil
}

func decodeRow(row []json.RawMessage) (cc.Candle, error) {
	if len(row) < 11 {
		return cc.Candle{}, fmt.Errorf("%d fields, want 12", len(row))
	}
	var c cc.Candle
	ints := []struct {
		i int
		p *int64
	}{{0, &c.OpenTime}, {6, &c.CloseTime}, {8, &c.Trades}}
	for _, f := range ints {
		if err := json.Unmarshal(row[f.i], f.p); err != nil {
			return c, fmt.Errorf("field %d: %w", f.i, err)
		}
	}
	decs := []struct {
		i int
		p *cc.Decimal
	}{{1, &c.Open}, {2, &c.High}, {3, &c.Low}, {4, &c.Close}, {5, &c.Volume}, {7, &c.QuoteVolume}, {9, &c.TakerBuyBase}, {10, &c.TakerBuyQuote}}
	for _, f := range decs {
		if err := f.p.UnmarshalJSON(bytes.TrimSpace(row[f.i])); err != nil {
			return c, fmt.Errorf("field %d: %w", f.i, err)
		}
	}
	return c, nil
}

// wsKline is the k object of a kline event.
type wsKline struct {
	T0 int64      `json:"t"`
	T1 int64      `json:"T"`
	S  string     `json:"s"`
	I  string     `json:"i"`
	F  int64      `json:"f"`
	LT int64      `json:"L"`
	O  cc.Decimal `json:"o"`
	C  cc.Decimal `json:"c"`
	H  cc.Decimal `json:"h"`
	L  cc.Decimal `json:"l"`
	V  cc.Decimal `json:"v"`
	N  int64      `json:"n"`
	X  bool       `json:"x"`
	Q  cc.Decimal `json:"q"`
	VB cc.Decimal `json:"V"`
	QB cc.Decimal `json:"Q"`
}

type wsEvent struct {
	E    string          `json:"e"`
	Time int64           `json:"E"`
	S    string          `json:"s"`
	PS   string          `json:"ps"`
	K    *wsKline        `json:"k"`
	Data json.RawMessage `json:"data"`
	Strm string          `json:"stream"`
}

// DecodeFrame implements plugins.Plugin for kline and continuous_kline
// events, raw or wrapped in a combined stream's {"stream","data"}.
func (p *Plugin) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var ev wsEvent
	if err := json.Unmarshal(frame, &ev); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
	}
	if ev.Strm != "" && len(ev.Data) > 0 {
		inner := ev.Data
		ev = wsEvent{}
		if err := json.Unmarshal(inner, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
	}
	if (ev.E != "kline" && ev.E != "continuous_kline") || ev.K == nil {
		return nil, plugins.ErrNotCandles
	}
	k := ev.K
	iv, err := cc.ParseInterval(k.I)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
	}
	sym := strings.ToUpper(ev.S)
	if sym == "" {
		sym = strings.ToUpper(ev.PS)
	}
	return []cc.Update{{
		Symbol: sym, Interval: iv, EventTime: ev.Time,
		Candle: cc.Candle{
			OpenTime: k.T0, CloseTime: k.T1, Open: k.O, High: k.H, Low: k.L, Close: k.C,
			Volume: k.V, QuoteVolume: k.Q, Trades: k.N, TakerBuyBase: k.VB, TakerBuyQuote: k.QB,
			Closed: k.X,
		},
	}}, nil
}
