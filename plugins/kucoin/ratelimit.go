package kucoin

import (
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// KuCoin's public resource pools (VIP0) and WS limits.
const (
	publicPoolQuota    = 2000 // weight per 30 s per IP, spot and futures public pools
	publicPoolPeriod   = 30 * time.Second
	wsMessagesPer10s   = 100
	wsTopicsPerSession = 400
	wsConnectsPerMin   = 30
)

// Request weights in the public pools, from KuCoin's endpoint pages.
var (
	spotWeights = map[string]int{
		"/api/v1/market/candles":    3,
		"/api/v2/symbols":           4,
		"/api/v1/symbols":           4,
		"/api/v3/currencies":        3,
		"/api/v1/currencies":        3,
		"/api/v1/market/allTickers": 15,
		"/api/v1/timestamp":         3,
		"/api/v1/status":            3,
		"/api/v1/bullet-public":     10,
	}
	futuresWeights = map[string]int{
		"/api/v1/kline/query":      3,
		"/api/v1/contracts/active": 3,
		"/api/v1/timestamp":        2,
		"/api/v1/status":           4,
		"/api/v1/bullet-public":    10,
		"/api/v3/currencies":       3,
	}
)

// RateLimits implements plugins.Plugin: KuCoin's public resource pool
// of 2000 weight per 30 seconds per IP with per-endpoint weights; a
// refused call gets HTTP 429 and {"code":"429000","msg":"Too Many
// Requests"}. On WS, 100 client messages per 10 seconds per connection,
// at most 400 topics per connection and 30 connections per minute.
//
// KuCoin reports the pool in gw-ratelimit-limit/-remaining/-reset headers,
// which count down rather than up, so no used-weight header is sent.
func (p *Plugin) RateLimits() ratelimit.Model {
	weights := spotWeights
	if p.futures {
		weights = futuresWeights
	}
	return ratelimit.Model{
		REST:   []ratelimit.Window{{Name: "public", Limit: publicPoolQuota, Period: publicPoolPeriod}},
		Weight: ratelimit.ByPath(weights, 2),
		Refuse: kit.RefuseJSON(`{"code":"429000","msg":"Too Many Requests"}`),
		WS: ratelimit.WSModel{
			MessageRate:  wsMessagesPer10s / 10,
			Burst:        wsMessagesPer10s,
			CloseCode:    1008,
			CloseReason:  "Too many requests",
			MaxStreams:   wsTopicsPerSession,
			ConnAttempts: wsConnectsPerMin,
			ConnPeriod:   time.Minute,
		},
	}
}
