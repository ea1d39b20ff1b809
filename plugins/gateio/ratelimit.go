package gateio

import (
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// Gate's public limit: 200 requests per 10 seconds per IP (Gate counts it
// per endpoint; one window over all public endpoints is the conservative
// reading).
const (
	publicLimit  = 200
	publicPeriod = 10 * time.Second
)

// RateLimits implements plugins.Plugin: 200 public requests per 10
// seconds per IP; the request over it gets HTTP 429 with Gate's
// {"label":"TOO_MANY_REQUESTS",...} body. On WS, a connection may send at
// most 50 messages a second.
func (a *api) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST:   []ratelimit.Window{{Name: "public", Limit: publicLimit, Period: publicPeriod}},
		Refuse: kit.RefuseJSON(`{"label":"TOO_MANY_REQUESTS","message":"Request Rate limit Exceeded"}`),
		WS:     ratelimit.WSModel{MessageRate: 50, CloseCode: 1008, CloseReason: "too many requests"},
	}
}
