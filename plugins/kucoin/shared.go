package kucoin

import (
	"net/http"
	"strings"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.SharedHostRouter = (*Plugin)(nil)

// Siblings implements plugins.SharedHostRouter: kucoin_perpetual also
// claims the spot host api.kucoin.com, for /api/v3/currencies.
func (p *Plugin) Siblings() []string { return []string{SpotName, PerpetualName} }

// Owner implements plugins.SharedHostRouter for api.kucoin.com, the spot
// API's host: it is kucoin_spot's but for the futures API's own paths
// (contracts and kline/query), which a client sends to
// api-futures.kucoin.com anyway.
func (p *Plugin) Owner(r *http.Request) string {
	if r.URL.Path == "/api/v1/kline/query" || strings.HasPrefix(r.URL.Path, "/api/v1/contracts/") {
		return PerpetualName
	}
	return SpotName
}
