package mexc

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (a *api) Routes() (rest, ws []string) {
	return []string{
		"/api/v3/ping", "/api/v3/time", "/api/v3/exchangeInfo", "/api/v3/defaultSymbols", "/api/v3/klines",
		"/api/v3/ticker/24hr", "/api/v3/ticker/price", "/api/v1/contract/ping", "/api/v1/contract/detail",
		"/api/v1/contract/ticker", "/api/v1/contract/kline/BTC_USDT", "/api/v1/contract/kline/",
	}, []string{"/ws", "/edge"}
}
