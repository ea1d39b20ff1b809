package kucoin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// DecodeCandles implements plugins.Plugin for this plugin's own candle
// endpoint (spot: /api/v1/market/candles; futures: /api/v1/kline/query).
func (p *Plugin) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	q := req.URL.Query()
	var iv cc.Interval
	var ok bool
	switch {
	case !p.futures && req.URL.Path == "/api/v1/market/candles":
		iv, ok = typeNames.Parse(q.Get("type"))
	case p.futures && req.URL.Path == "/api/v1/kline/query":
		iv, ok = granularity(q.Get("granularity"))
	}
	sym := q.Get("symbol")
	if !ok || sym == "" {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	var resp struct {
		Code string              `json:"code"`
		Data [][]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return plugins.CandleSet{}, fmt.Errorf("kucoin: candles body: %w", err)
	}
	if resp.Code != "200000" {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	now := time.Now().UnixMilli()
	set := plugins.CandleSet{Symbol: sym, Interval: iv, Candles: make([]cc.Candle, 0, len(resp.Data))}
	for _, row := range resp.Data {
		var c cc.Candle
		var err error
		if p.futures {
			c, err = futuresRow(row, iv, sym)
		} else {
			c, err = spotRow(row, iv)
		}
		if err != nil {
			return plugins.CandleSet{}, err
		}
		c.Closed = c.CloseTime < now
		set.Candles = append(set.Candles, c)
	}
	if !p.futures {
		// Spot lists newest first.
		for i, j := 0, len(set.Candles)-1; i < j; i, j = i+1, j-1 {
			set.Candles[i], set.Candles[j] = set.Candles[j], set.Candles[i]
		}
	}
	return set, nil
}

func decimals(cols []json.RawMessage) ([]cc.Decimal, error) {
	out := make([]cc.Decimal, len(cols))
	for i, c := range cols {
		if err := out[i].UnmarshalJSON(c); err != nil {
			return nil, fmt.Errorf("kucoin: candle column %s: %w", c, err)
		}
	}
	return out, nil
}

// spotRow decodes ["time(s)","open","close","high","low","volume","turnover"].
func spotRow(row []json.RawMessage, iv cc.Interval) (cc.Candle, error) {
	if len(row) < 7 {
		return cc.Candle{}, fmt.Errorf("kucoin: spot candle has %d columns, want 7", len(row))
	}
	d, err := decimals(row[:7])
	if err != nil {
		return cc.Candle{}, err
	}
	open := d[0].Units * 1000
	if d[0].Scale != 0 {
		return cc.Candle{}, fmt.Errorf("kucoin: candle time %s", row[0])
	}
	return cc.Candle{OpenTime: open, CloseTime: iv.CloseTime(open), Open: d[1], Close: d[2], High: d[3], Low: d[4], Volume: d[5], QuoteVolume: d[6]}, nil
}

// futuresRow decodes [time(ms),open,high,low,close,volume(contracts),turnover].
func futuresRow(row []json.RawMessage, iv cc.Interval, contract string) (cc.Candle, error) {
	if len(row) < 6 {
		return cc.Candle{}, fmt.Errorf("kucoin: futures candle has %d columns, want 6 or 7", len(row))
	}
	d, err := decimals(row)
	if err != nil {
		return cc.Candle{}, err
	}
	open := d[0].Units
	c := cc.Candle{OpenTime: open, CloseTime: iv.CloseTime(open), Open: d[1], High: d[2], Low: d[3], Close: d[4]}
	c.Volume, c.QuoteVolume = fromContracts(d[5], c.Close, contract)
	if len(d) > 6 && !inverse(contract) {
		c.QuoteVolume = d[6]
	}
	return c, nil
}

// mulLots turns a contract count back into base volume.
func mulLots(n, mult cc.Decimal) cc.Decimal {
	return cc.Decimal{Units: n.Units * mult.Units, Scale: n.Scale + mult.Scale}
}

// DecodeFrame implements plugins.Plugin for candle pushes.
func (p *Plugin) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var msg struct {
		Type  string `json:"type"`
		Topic string `json:"topic"`
		Data  struct {
			Symbol  string            `json:"symbol"`
			Candles []json.RawMessage `json:"candles"`
			Time    int64             `json:"time"`
		} `json:"data"`
	}
	if err := json.Unmarshal(frame, &msg); err != nil || msg.Type != "message" {
		return nil, plugins.ErrNotCandles
	}
	futures := strings.HasPrefix(msg.Topic, futuresTopic)
	if !futures && !strings.HasPrefix(msg.Topic, spotTopic) {
		return nil, plugins.ErrNotCandles
	}
	i := strings.LastIndexByte(msg.Topic, '_')
	iv, ok := typeNames.Parse(msg.Topic[i+1:])
	if i < 0 || !ok || len(msg.Data.Candles) < 7 {
		return nil, plugins.ErrNotCandles
	}
	c, err := spotRow(msg.Data.Candles, iv)
	if err != nil {
		return nil, err
	}
	at := msg.Data.Time / 1_000_000
	if futures {
		at = msg.Data.Time
		vol, err := decimals(msg.Data.Candles[6:7])
		if err != nil {
			return nil, err
		}
		c.Volume, c.QuoteVolume = fromContracts(vol[0], c.Close, msg.Data.Symbol)
	}
	c.Closed = c.CloseTime <= at
	return []cc.Update{{Symbol: msg.Data.Symbol, Interval: iv, EventTime: at, Candle: c}}, nil
}
