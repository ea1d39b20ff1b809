package coinbase

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// wireCandle is a candle as REST and WS send it.
type wireCandle struct {
	Start     string     `json:"start"`
	Low       cc.Decimal `json:"low"`
	High      cc.Decimal `json:"high"`
	Open      cc.Decimal `json:"open"`
	Close     cc.Decimal `json:"close"`
	Volume    cc.Decimal `json:"volume"`
	ProductID string     `json:"product_id"`
}

func (w wireCandle) candle(iv cc.Interval, now int64) (cc.Candle, error) {
	sec, err := strconv.ParseInt(w.Start, 10, 64)
	if err != nil {
		return cc.Candle{}, fmt.Errorf("coinbase: candle start %q: %w", w.Start, err)
	}
	open := sec * 1000
	return cc.Candle{
		OpenTime: open, CloseTime: iv.CloseTime(open),
		Open: w.Open, High: w.High, Low: w.Low, Close: w.Close, Volume: w.Volume,
		Closed: iv.CloseTime(open) < now,
	}, nil
}

// DecodeCandles implements plugins.Plugin for candles responses.
func (*Plugin) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	path := req.URL.Path
	if !strings.HasPrefix(path, candlesPrefix) || !strings.HasSuffix(path, "/candles") {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	id := strings.TrimSuffix(strings.TrimPrefix(path, candlesPrefix), "/candles")
	iv, ok := granularities.Parse(req.URL.Query().Get("granularity"))
	if !ok || id == "" || strings.Contains(id, "/") {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	var resp struct {
		Candles *[]wireCandle `json:"candles"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return plugins.CandleSet{}, fmt.Errorf("coinbase: candles body: %w", err)
	}
	if resp.Candles == nil {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	now := time.Now().UnixMilli()
	set := plugins.CandleSet{Symbol: id, Interval: iv, Candles: make([]cc.Candle, 0, len(*resp.Candles))}
	for i := len(*resp.Candles) - 1; i >= 0; i-- {
		c, err := (*resp.Candles)[i].candle(iv, now)
		if err != nil {
			return plugins.CandleSet{}, err
		}
		set.Candles = append(set.Candles, c)
	}
	return set, nil
}

// DecodeFrame implements plugins.Plugin for candles channel messages.
func (*Plugin) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var msg struct {
		Channel   string `json:"channel"`
		Timestamp string `json:"timestamp"`
		Events    []struct {
			Type    string       `json:"type"`
			Candles []wireCandle `json:"candles"`
		} `json:"events"`
	}
	if err := json.Unmarshal(frame, &msg); err != nil || msg.Channel != "candles" {
		return nil, plugins.ErrNotCandles
	}
	at, err := time.Parse(time.RFC3339Nano, msg.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("coinbase: frame timestamp %q: %w", msg.Timestamp, err)
	}
	now := at.UnixMilli()
	var out []cc.Update
	for _, ev := range msg.Events {
		for _, w := range ev.Candles {
			c, err := w.candle(wsInterval, now+1)
			if err != nil {
				return nil, err
			}
			out = append(out, cc.Update{Symbol: w.ProductID, Interval: wsInterval, EventTime: now, Candle: c})
		}
	}
	if len(out) == 0 {
		return nil, plugins.ErrNotCandles
	}
	return out, nil
}
