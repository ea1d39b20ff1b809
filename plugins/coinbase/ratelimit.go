package coinbase

import (
	"net/http"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// Coinbase's published limits for unauthenticated clients.
const (
	publicRequestsPerSecond = 10  // Advanced Trade public REST, per IP
	wsMessagesPerSecond     = 8   // unauthenticated WS messages, per IP
	wsConnectionsPerSecond  = 750 // WS connection attempts, per IP
)

// RateLimits implements plugins.Plugin: Advanced Trade's public REST
// allows 10 requests per second per IP and answers more with 429 and
// RATE_LIMIT_EXCEEDED; the WS feed takes 8 messages per second from an
// unauthenticated client and 750 connection attempts per second per IP.
// Coinbase reports no used-weight headers and has no automated bans.
func (*Plugin) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST: []ratelimit.Window{{Name: "public", Limit: publicRequestsPerSecond, Period: time.Second}},
		Refuse: func(f ratelimit.Refusal) ratelimit.Response {
			return ratelimit.Response{
				Status: f.Status,
				Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
				Body:   errorBody("RATE_LIMIT_EXCEEDED", "Too many requests"),
			}
		},
		WS: ratelimit.WSModel{
			MessageRate:  wsMessagesPerSecond,
			Burst:        wsMessagesPerSecond,
			CloseCode:    1008,
			CloseReason:  "rate limit exceeded",
			ConnAttempts: wsConnectionsPerSecond,
			ConnPeriod:   time.Second,
		},
	}
}
