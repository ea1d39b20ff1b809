package bybit

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (e *Exchange) Routes() (rest, ws []string) {
	return []string{
		"/v5/market/kline", "/v5/market/mark-price-kline", "/v5/market/index-price-kline",
		"/v5/market/instruments-info", "/v5/market/tickers", "/v5/market/time",
	}, []string{e.wsPath}
}
