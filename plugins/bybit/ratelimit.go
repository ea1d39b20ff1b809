package bybit

import (
	"net/http"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// Bybit's IP limits, from its V5 rate-limit page.
const (
	ipLimit     = 600             // requests per IP ...
	ipPeriod    = 5 * time.Second // ... per 5-second window
	ipBan       = 10 * time.Minute
	wsConnLimit = 500 // connections per IP ...
	wsConnSpan  = 5 * time.Minute
)

// RateLimits implements plugins.Plugin: at most 600 requests per IP
// in a 5-second window; the request over it gets HTTP 403 "access too
// frequent" and the IP stays refused (403) for 10 minutes. On WS, at most
// 500 connections per IP in 5 minutes.
//
// Bybit's X-Bapi-Limit* headers report per-UID limits of private
// endpoints and are not sent for this public data.
func (e *Exchange) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST: []ratelimit.Window{{Name: "IP", Limit: ipLimit, Period: ipPeriod}},
		Refuse: func(f ratelimit.Refusal) ratelimit.Response {
			return ratelimit.Response{
				Status: http.StatusForbidden,
				Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
				Body:   []byte("access too frequent"),
			}
		},
		Ban: &ratelimit.Ban{After: 0, Durations: []time.Duration{ipBan}},
		WS:  ratelimit.WSModel{ConnAttempts: wsConnLimit, ConnPeriod: wsConnSpan},
	}
}
