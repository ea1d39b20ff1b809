package okx

import (
	"net/http"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// restWindow is OKX's most generous public limit, candles' 40 requests per
// 2 seconds per IP; endpoints with lower limits weigh more so that each
// alone hits its own documented limit.
const (
	restLimit  = 40
	restPeriod = 2 * time.Second
)

// weights per path: 40/limit of each endpoint's documented requests per 2s.
var weights = map[string]int{
	"/api/v5/market/candles":                    1, // 40 / 2s
	"/api/v5/market/history-candles":            2, // 20 / 2s
	"/api/v5/public/instruments":                2, // 20 / 2s
	"/api/v5/market/ticker":                     2, // 20 / 2s
	"/api/v5/market/tickers":                    2, // 20 / 2s
	"/api/v5/public/time":                       4, // 10 / 2s
	"/api/v5/market/mark-price-candles":         2, // 20 / 2s
	"/api/v5/market/index-candles":              2, // 20 / 2s
	"/api/v5/market/history-mark-price-candles": 4, // 10 / 2s
	"/api/v5/market/history-index-candles":      4, // 10 / 2s
}

// RateLimits implements plugins.Plugin: OKX's per-IP public limits
// (candles 40; history-candles, mark and index candles, instruments and
// tickers 20; time and the mark and index histories 10 requests per 2
// seconds) in one 2-second window of 40 with matching
// weights, so that one endpoint alone is refused exactly where OKX refuses
// it (mixing endpoints shares the budget, which is stricter than OKX). A
// refused request gets HTTP 429 {"msg":"Too Many Requests","code":"50011"}.
// On WS, at most 3 connection attempts per second per IP.
func (e *Exchange) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST:   []ratelimit.Window{{Name: "IP", Limit: restLimit, Period: restPeriod}},
		Weight: ratelimit.ByPath(weights, 2),
		Refuse: func(f ratelimit.Refusal) ratelimit.Response {
			return ratelimit.Response{
				Status: http.StatusTooManyRequests,
				Header: http.Header{"Content-Type": {"application/json"}},
				Body:   []byte(`{"msg":"Too Many Requests","code":"50011"}`),
			}
		},
		WS: ratelimit.WSModel{ConnAttempts: 3, ConnPeriod: time.Second},
	}
}
