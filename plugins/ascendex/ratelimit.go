package ascendex

import (
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// RateLimits implements plugins.Plugin: AscendEX's all-endpoint pool
// of 100 requests per second per IP (the limit long-lived connectors
// throttle to; AscendEX's pages give no public-data figure); the request
// over it gets HTTP 429 with a body in AscendEX's error shape.
func (*Spot) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST:   []ratelimit.Window{{Name: "all_endpoints", Limit: 100, Period: time.Second}},
		Refuse: kit.RefuseJSON(`{"code":100101,"reason":"TOO_MANY_REQUESTS","message":"Too many requests"}`),
	}
}
