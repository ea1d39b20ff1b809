package kucoin

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (p *Plugin) Routes() (rest, ws []string) {
	return []string{
		"/api/v1/market/candles", "/api/v1/kline/query", "/api/v2/symbols", "/api/v1/symbols", "/api/v3/currencies",
		"/api/v1/currencies", "/api/v1/market/allTickers", "/api/v1/contracts/active", "/api/v1/contracts/XBTUSDTM",
		"/api/v1/timestamp", "/api/v1/status", "POST /api/v1/bullet-public",
	}, []string{"/endpoint", "/endpoint?token=x", "/endpoint?token=conformance&connectId=%ff"}
}
