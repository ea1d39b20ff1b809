package okx

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

// CandlesRequest implements plugins.Plugin. Requests with a range go to
// /api/v5/market/history-candles, which serves every bar (the plain
// endpoint only the latest 1,440), with OKX's exclusive cursors: before =
// Start-1 and after = End+1, or Start + Limit bars when End is unset, as
// ccxt asks. Requests without a range get the latest bars from
// /api/v5/market/candles.
func (e *Exchange) CandlesRequest(q plugins.Query) (*http.Request, error) {
	name, ok := barNames.Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("okx: interval %q not served", q.Interval)
	}
	v := url.Values{}
	v.Set("instId", q.Symbol)
	v.Set("bar", name)
	limit := q.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/api/v5/market/candles"
	if q.Start != 0 || q.End != 0 || bars[name].historyOnly {
		path = "/api/v5/market/history-candles"
	}
	if q.Start != 0 {
		v.Set("before", strconv.FormatInt(q.Start-1, 10))
		if q.End == 0 {
			b := bars[name]
			after := b.open(q.Start)
			if after < q.Start {
				after = b.next(after)
			}
			for i := 0; i < limit; i++ {
				after = b.next(after)
			}
			v.Set("after", strconv.FormatInt(after, 10))
		}
	}
	if q.End != 0 {
		v.Set("after", strconv.FormatInt(q.End+1, 10))
	}
	return http.NewRequest(http.MethodGet, path+"?"+v.Encode(), nil)
}

type candlesBody struct {
	Code string     `json:"code"`
	Msg  string     `json:"msg"`
	Data [][]string `json:"data"`
}

// DecodeCandles implements plugins.Plugin for candles and history-candles
// bodies. Bars without a canonical interval (Hong Kong-aligned, 2D, 3M)
// cannot be indexed and give ErrNotCandles.
func (e *Exchange) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	if req == nil || req.URL == nil || (req.URL.Path != "/api/v5/market/candles" && req.URL.Path != "/api/v5/market/history-candles") {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	q := req.URL.Query()
	iv, err := canonical(q.Get("bar"))
	if err != nil {
		return plugins.CandleSet{}, err
	}
	var cb candlesBody
	if err := json.Unmarshal(body, &cb); err != nil {
		return plugins.CandleSet{}, fmt.Errorf("okx: decode candles body: %w", err)
	}
	if cb.Code != "0" {
		return plugins.CandleSet{}, fmt.Errorf("%w: code %s %s", plugins.ErrNotCandles, cb.Code, cb.Msg)
	}
	set := plugins.CandleSet{Symbol: q.Get("instId"), Interval: iv, Candles: make([]cc.Candle, 0, len(cb.Data))}
	for i := len(cb.Data) - 1; i >= 0; i-- {
		c, err := e.parseRow(iv, e.swapRow(set.Symbol), cb.Data[i])
		if err != nil {
			return plugins.CandleSet{}, err
		}
		set.Candles = append(set.Candles, c)
	}
	return set, nil
}

// canonical maps a bar name (default 1m) to its canonical interval.
func canonical(name string) (cc.Interval, error) {
	if name == "" {
		name = "1m"
	}
	if iv, ok := barNames.Parse(name); ok {
		return iv, nil
	}
	if _, ok := bars[name]; ok {
		return "", fmt.Errorf("%w: bar %q has no canonical interval", plugins.ErrNotCandles, name)
	}
	return "", fmt.Errorf("%w: bar %q", plugins.ErrNotCandles, name)
}

// swapRow says whether instID's candle rows are a swap's: by the
// instrument, as the handler encodes them (a socket on the shared business
// host carries spot and swap rows alike), else by this plugin's type.
func (e *Exchange) swapRow(instID string) bool {
	if instID == "" {
		return e.instType == "SWAP"
	}
	return isSwap(instID)
}

// parseRow reads [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]. The base
// volume is vol for spot and volCcy for a swap (whose vol counts
// contracts).
func (e *Exchange) parseRow(iv cc.Interval, swap bool, row []string) (cc.Candle, error) {
	if len(row) < 9 {
		return cc.Candle{}, fmt.Errorf("okx: candle row has %d fields, want 9", len(row))
	}
	ts, err := strconv.ParseInt(row[0], 10, 64)
	if err != nil {
		return cc.Candle{}, fmt.Errorf("okx: candle ts %q: %w", row[0], err)
	}
	c := cc.Candle{OpenTime: ts, CloseTime: iv.CloseTime(ts), Closed: row[8] == "1"}
	baseCol := 5
	if swap {
		baseCol = 6
	}
	for _, f := range []struct {
		dst *cc.Decimal
		col int
	}{{&c.Open, 1}, {&c.High, 2}, {&c.Low, 3}, {&c.Close, 4}, {&c.Volume, baseCol}, {&c.QuoteVolume, 7}} {
		if *f.dst, err = cc.ParseDecimal(row[f.col]); err != nil {
			return cc.Candle{}, fmt.Errorf("okx: candle field %d: %w", f.col, err)
		}
	}
	return c, nil
}

type pushFrame struct {
	Arg  wsArg      `json:"arg"`
	Data [][]string `json:"data"`
}

// DecodeFrame implements plugins.Plugin for candle channel pushes. OKX's
// pushes carry no event time: an update's EventTime is the candle's close
// time once confirmed, else its open time.
func (e *Exchange) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	if len(frame) == 0 || frame[0] != '{' {
		return nil, plugins.ErrNotCandles // "pong"
	}
	var f pushFrame
	if err := json.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
	}
	name, ok := strings.CutPrefix(f.Arg.Channel, "candle")
	if !ok || f.Data == nil {
		return nil, plugins.ErrNotCandles
	}
	iv, err := canonical(name)
	if err != nil {
		return nil, err
	}
	out := make([]cc.Update, 0, len(f.Data))
	for _, row := range f.Data {
		c, err := e.parseRow(iv, e.swapRow(f.Arg.InstID), row)
		if err != nil {
			return nil, err
		}
		at := c.OpenTime
		if c.Closed {
			at = c.CloseTime
		}
		out = append(out, cc.Update{Symbol: f.Arg.InstID, Interval: iv, EventTime: at, Candle: c})
	}
	return out, nil
}

// KlineSubscription tells the conformance suite how a client streams
// (symbol, iv) candles: the business socket and a subscribe message.
func (e *Exchange) KlineSubscription(symbol string, iv cc.Interval) (path string, messages [][]byte) {
	name, _ := barNames.Name(iv)
	msg := fmt.Sprintf(`{"op":"subscribe","args":[{"channel":"candle%s","instId":%q}]}`, name, symbol)
	return "/ws/v5/business", [][]byte{[]byte(msg)}
}
