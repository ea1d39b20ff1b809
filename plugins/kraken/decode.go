package kraken

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// DecodeCandles implements plugins.Plugin for /0/public/OHLC responses.
// The last row is the candle in progress.
func (*Plugin) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	if req.URL.Path != "/0/public/OHLC" {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	q := req.URL.Query()
	m := 1
	if s := q.Get("interval"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			return plugins.CandleSet{}, plugins.ErrNotCandles
		}
		m = v
	}
	iv, ok := intervalOf(m)
	if !ok {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	var resp struct {
		Error  []string                   `json:"error"`
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return plugins.CandleSet{}, fmt.Errorf("kraken: OHLC body: %w", err)
	}
	if len(resp.Error) > 0 || resp.Result == nil {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	for key, raw := range resp.Result {
		if key == "last" {
			continue
		}
		sym, ok := symbolOfKey(key)
		if !ok {
			return plugins.CandleSet{}, fmt.Errorf("kraken: unknown pair key %q", key)
		}
		var rows [][]json.RawMessage
		if err := json.Unmarshal(raw, &rows); err != nil {
			return plugins.CandleSet{}, fmt.Errorf("kraken: OHLC rows: %w", err)
		}
		set := plugins.CandleSet{Symbol: sym, Interval: iv, Candles: make([]cc.Candle, 0, len(rows))}
		for i, row := range rows {
			c, err := decodeRow(row, iv)
			if err != nil {
				return plugins.CandleSet{}, err
			}
			c.Closed = i < len(rows)-1
			set.Candles = append(set.Candles, c)
		}
		return set, nil
	}
	return plugins.CandleSet{}, plugins.ErrNotCandles
}

func decodeRow(row []json.RawMessage, iv cc.Interval) (cc.Candle, error) {
	if len(row) < 8 {
		return cc.Candle{}, fmt.Errorf("kraken: OHLC row has %d columns, want 8", len(row))
	}
	sec, err := strconv.ParseInt(string(row[0]), 10, 64)
	if err != nil {
		return cc.Candle{}, fmt.Errorf("kraken: OHLC time %s: %w", row[0], err)
	}
	var d [6]cc.Decimal
	for i := range d {
		if err := d[i].UnmarshalJSON(row[i+1]); err != nil {
			return cc.Candle{}, fmt.Errorf("kraken: OHLC column %d: %w", i+1, err)
		}
	}
	trades, err := strconv.ParseInt(string(bytes.TrimSpace(row[7])), 10, 64)
	if err != nil {
		return cc.Candle{}, fmt.Errorf("kraken: OHLC count %s: %w", row[7], err)
	}
	open := sec * 1000
	// The quote volume is left out: vwap × volume only approximates it.
	return cc.Candle{
		OpenTime: open, CloseTime: iv.CloseTime(open),
		Open: d[0], High: d[1], Low: d[2], Close: d[3], Volume: d[5],
		Trades: trades,
	}, nil
}

// DecodeFrame implements plugins.Plugin for WS v2 ohlc messages and v1
// ohlc arrays.
func (*Plugin) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	if t := bytes.TrimSpace(frame); len(t) > 0 && t[0] == '[' {
		return decodeV1(t)
	}
	var msg struct {
		Channel   string `json:"channel"`
		Timestamp string `json:"timestamp"`
		Data      []struct {
			Symbol        string          `json:"symbol"`
			Open          json.RawMessage `json:"open"`
			High          json.RawMessage `json:"high"`
			Low           json.RawMessage `json:"low"`
			Close         json.RawMessage `json:"close"`
			Trades        int64           `json:"trades"`
			Volume        json.RawMessage `json:"volume"`
			VWAP          json.RawMessage `json:"vwap"`
			IntervalBegin string          `json:"interval_begin"`
			Interval      int             `json:"interval"`
		} `json:"data"`
	}
	if err := json.Unmarshal(frame, &msg); err != nil || msg.Channel != "ohlc" || len(msg.Data) == 0 {
		return nil, plugins.ErrNotCandles
	}
	at, err := time.Parse(time.RFC3339Nano, msg.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("kraken: frame timestamp %q: %w", msg.Timestamp, err)
	}
	out := make([]cc.Update, 0, len(msg.Data))
	for _, d := range msg.Data {
		iv, ok := intervalOf(d.Interval)
		if !ok {
			// The 15-day candle has no canonical interval to index.
			return nil, plugins.ErrNotCandles
		}
		begin, err := time.Parse(time.RFC3339Nano, d.IntervalBegin)
		if err != nil {
			return nil, fmt.Errorf("kraken: interval_begin %q: %w", d.IntervalBegin, err)
		}
		sym, ok := symbolOfKey(d.Symbol)
		if !ok {
			return nil, fmt.Errorf("kraken: symbol %q", d.Symbol)
		}
		var v [6]cc.Decimal
		for i, raw := range []json.RawMessage{d.Open, d.High, d.Low, d.Close, d.Volume, d.VWAP} {
			if err := v[i].UnmarshalJSON(raw); err != nil {
				return nil, fmt.Errorf("kraken: ohlc value %s: %w", raw, err)
			}
		}
		open := begin.UnixMilli()
		c := cc.Candle{
			OpenTime: open, CloseTime: iv.CloseTime(open),
			Open: v[0], High: v[1], Low: v[2], Close: v[3], Volume: v[4],
			Trades: d.Trades,
			Closed: iv.CloseTime(open) <= at.UnixMilli(),
		}
		out = append(out, cc.Update{Symbol: sym, Interval: iv, EventTime: at.UnixMilli(), Candle: c})
	}
	return out, nil
}

// decodeV1 decodes [channelID,["time","etime",open,high,low,close,vwap,
// volume,count],"ohlc-N","XBT/USD"].
func decodeV1(frame []byte) ([]cc.Update, error) {
	var msg []json.RawMessage
	if err := json.Unmarshal(frame, &msg); err != nil || len(msg) != 4 {
		return nil, plugins.ErrNotCandles
	}
	var name, pair string
	if json.Unmarshal(msg[2], &name) != nil || !strings.HasPrefix(name, "ohlc-") || json.Unmarshal(msg[3], &pair) != nil {
		return nil, plugins.ErrNotCandles
	}
	m, err := strconv.Atoi(strings.TrimPrefix(name, "ohlc-"))
	iv, ok := intervalOf(m)
	if err != nil || !ok {
		return nil, plugins.ErrNotCandles
	}
	var cols []json.RawMessage
	if err := json.Unmarshal(msg[1], &cols); err != nil || len(cols) < 9 {
		return nil, fmt.Errorf("kraken: v1 ohlc row: %s", msg[1])
	}
	var d [8]cc.Decimal
	for i := range d {
		if err := d[i].UnmarshalJSON(cols[i]); err != nil {
			return nil, fmt.Errorf("kraken: v1 ohlc column %d: %w", i, err)
		}
	}
	trades, err := strconv.ParseInt(string(cols[8]), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("kraken: v1 ohlc count %s: %w", cols[8], err)
	}
	at := d[0].Rescale(3).Units
	end := d[1].Rescale(3).Units
	open := iv.Truncate(end - 1)
	sym, ok := symbolOfKey(pair)
	if !ok {
		return nil, fmt.Errorf("kraken: v1 pair %q", pair)
	}
	c := cc.Candle{
		OpenTime: open, CloseTime: iv.CloseTime(open),
		Open: d[2], High: d[3], Low: d[4], Close: d[5], Volume: d[7], Trades: trades,
		Closed: iv.CloseTime(open) <= at,
	}
	return []cc.Update{{Symbol: sym, Interval: iv, EventTime: at, Candle: c}}, nil
}
