package bybit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// CandlesRequest implements plugins.Plugin: GET /v5/market/kline with the
// category of this exchange id.
func (e *Exchange) CandlesRequest(q plugins.Query) (*http.Request, error) {
	name, ok := intervals.Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("bybit: interval %q not served", q.Interval)
	}
	v := url.Values{}
	v.Set("category", e.category)
	v.Set("symbol", q.Symbol)
	v.Set("interval", name)
	if q.Start != 0 {
		v.Set("start", strconv.FormatInt(q.Start, 10))
	}
	if q.End != 0 {
		v.Set("end", strconv.FormatInt(q.End, 10))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return http.NewRequest(http.MethodGet, "/v5/market/kline?"+v.Encode(), nil)
}

type klineBody struct {
	RetCode int    `json:"retCode"`
	RetMsg  string `json:"retMsg"`
	Result  struct {
		Symbol string     `json:"symbol"`
		List   [][]string `json:"list"`
	} `json:"result"`
	Time int64 `json:"time"`
}

// DecodeCandles implements plugins.Plugin for /v5/market/kline bodies.
// A candle is taken as closed when its close time is before the
// response's server time; mark and index price klines are not candles.
func (e *Exchange) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/v5/market/kline" {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	iv, ok := intervals.Parse(req.URL.Query().Get("interval"))
	if !ok {
		return plugins.CandleSet{}, fmt.Errorf("%w: interval %q", plugins.ErrNotCandles, req.URL.Query().Get("interval"))
	}
	var kb klineBody
	if err := json.Unmarshal(body, &kb); err != nil {
		return plugins.CandleSet{}, fmt.Errorf("bybit: decode kline body: %w", err)
	}
	if kb.RetCode != 0 {
		return plugins.CandleSet{}, fmt.Errorf("%w: retCode %d %s", plugins.ErrNotCandles, kb.RetCode, kb.RetMsg)
	}
	sym := kb.Result.Symbol
	if sym == "" {
		sym = req.URL.Query().Get("symbol")
	}
	set := plugins.CandleSet{Symbol: sym, Interval: iv, Candles: make([]cc.Candle, 0, len(kb.Result.List))}
	for i := len(kb.Result.List) - 1; i >= 0; i-- {
		c, err := parseRow(iv, kb.Result.List[i])
		if err != nil {
			return plugins.CandleSet{}, err
		}
		c.Closed = kb.Time > c.CloseTime
		set.Candles = append(set.Candles, c)
	}
	return set, nil
}

func parseRow(iv cc.Interval, row []string) (cc.Candle, error) {
	if len(row) < 7 {
		return cc.Candle{}, fmt.Errorf("bybit: kline row has %d fields, want 7", len(row))
	}
	open, err := strconv.ParseInt(row[0], 10, 64)
	if err != nil {
		return cc.Candle{}, fmt.Errorf("bybit: kline start %q: %w", row[0], err)
	}
	c := cc.Candle{OpenTime: open, CloseTime: iv.CloseTime(open)}
	for i, dst := range []*cc.Decimal{&c.Open, &c.High, &c.Low, &c.Close, &c.Volume, &c.QuoteVolume} {
		if *dst, err = cc.ParseDecimal(row[i+1]); err != nil {
			return cc.Candle{}, fmt.Errorf("bybit: kline field %d: %w", i+1, err)
		}
	}
	return c, nil
}

type pushFrame struct {
	Topic string `json:"topic"`
	Ts    int64  `json:"ts"`
	Data  []struct {
		Start     int64  `json:"start"`
		End       int64  `json:"end"`
		Open      string `json:"open"`
		Close     string `json:"close"`
		High      string `json:"high"`
		Low       string `json:"low"`
		Volume    string `json:"volume"`
		Turnover  string `json:"turnover"`
		Confirm   bool   `json:"confirm"`
		Timestamp int64  `json:"timestamp"`
	} `json:"data"`
}

// DecodeFrame implements plugins.Plugin for kline.{interval}.{symbol}
// pushes; acks, pongs and other topics give ErrNotCandles.
func (e *Exchange) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var f pushFrame
	if err := json.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
	}
	parts := strings.Split(f.Topic, ".")
	if len(parts) != 3 || parts[0] != "kline" {
		return nil, plugins.ErrNotCandles
	}
	iv, ok := intervals.Parse(parts[1])
	if !ok {
		return nil, fmt.Errorf("%w: interval %q", plugins.ErrNotCandles, parts[1])
	}
	out := make([]cc.Update, 0, len(f.Data))
	for _, d := range f.Data {
		c := cc.Candle{OpenTime: d.Start, CloseTime: iv.CloseTime(d.Start), Closed: d.Confirm}
		var err error
		for i, p := range []struct {
			dst *cc.Decimal
			s   string
		}{{&c.Open, d.Open}, {&c.High, d.High}, {&c.Low, d.Low}, {&c.Close, d.Close}, {&c.Volume, d.Volume}, {&c.QuoteVolume, d.Turnover}} {
			if *p.dst, err = cc.ParseDecimal(p.s); err != nil {
				return nil, fmt.Errorf("bybit: kline push field %d: %w", i, err)
			}
		}
		at := f.Ts
		if at == 0 {
			at = d.Timestamp
		}
		out = append(out, cc.Update{Symbol: parts[2], Interval: iv, EventTime: at, Candle: c})
	}
	return out, nil
}

// KlineSubscription tells the conformance suite how a client streams
// (symbol, iv) klines: this category's socket and a subscribe message.
func (e *Exchange) KlineSubscription(symbol string, iv cc.Interval) (path string, messages [][]byte) {
	name, _ := intervals.Name(iv)
	msg := fmt.Sprintf(`{"op":"subscribe","req_id":"1","args":["kline.%s.%s"]}`, name, symbol)
	return e.wsPath, [][]byte{[]byte(msg)}
}
