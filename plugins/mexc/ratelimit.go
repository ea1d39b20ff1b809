package mexc

import (
	"net/http"
	"strings"
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// spotWeights are the documented weights of the spot market endpoints;
// others weigh 1.
var spotWeights = map[string]int{
	"/api/v3/exchangeInfo": 10,
	"/api/v3/depth":        1,
	"/api/v3/klines":       1,
	"/api/v3/ticker/price": 1,
}

func spotWeight(r *http.Request) int {
	switch {
	case r.URL.Path == "/api/v3/ticker/24hr" && r.URL.Query().Get("symbol") == "":
		return 40 // every symbol
	case r.URL.Path == "/api/v3/ticker/price" && r.URL.Query().Get("symbol") == "":
		return 2
	}
	if w, ok := spotWeights[r.URL.Path]; ok {
		return w
	}
	return 1
}

// RateLimits implements plugins.Plugin.
//
// mexc_spot: 500 weight per 10 seconds per IP (exchangeInfo weighs 10, an
// all-symbol 24hr ticker 40, most market endpoints 1); over it HTTP 429.
// mexc_perpetual: the contract API's 20 requests per 2 seconds, refused
// with code 510. On WS a connection may send 100 messages a second and
// hold 30 subscriptions.
func (a *api) RateLimits() ratelimit.Model {
	ws := ratelimit.WSModel{MessageRate: 100, MaxStreams: 30, CloseCode: 1008, CloseReason: "too many requests"}
	if a.perp {
		return ratelimit.Model{
			REST:   []ratelimit.Window{{Name: "contract", Limit: 20, Period: 2 * time.Second}},
			Refuse: kit.RefuseJSON(`{"success":false,"code":510,"message":"Requests are too frequent!"}`),
			WS:     ws,
		}
	}
	return ratelimit.Model{
		REST: []ratelimit.Window{{Name: "IP", Limit: 500, Period: 10 * time.Second}},
		Weight: func(r *http.Request) int {
			if strings.HasPrefix(r.URL.Path, "/api/v1/contract/") {
				return 1
			}
			return spotWeight(r)
		},
		Refuse: kit.RefuseJSON(`{"code":429,"msg":"Too many requests, please try again later."}`),
		WS:     ws,
	}
}
