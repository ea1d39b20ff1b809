package kraken

import (
	"net/http"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// Kraken's public REST budget: about one call per second per IP, with
// short bursts tolerated.
const (
	publicCalls  = 15
	publicPeriod = 15 * time.Second
)

// RateLimits implements plugins.Plugin: Kraken's public endpoints
// allow about one call per second per IP; it is modelled as 15 calls per
// 15-second window so that the short bursts Kraken lets through (a client
// loading Assets, AssetPairs and Time together) pass. A refused call gets
// Kraken's own error array, EGeneral:Too many requests. Kraken publishes
// no per-message limit for public WS data.
func (*Plugin) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST: []ratelimit.Window{{Name: "public", Limit: publicCalls, Period: publicPeriod}},
		Refuse: func(f ratelimit.Refusal) ratelimit.Response {
			return ratelimit.Response{
				Status: f.Status,
				Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
				Body:   []byte(`{"error":["EGeneral:Too many requests"]}`),
			}
		},
	}
}
