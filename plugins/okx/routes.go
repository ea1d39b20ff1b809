package okx

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (e *Exchange) Routes() (rest, ws []string) {
	return []string{
		"/api/v5/market/candles", "/api/v5/market/history-candles", "/api/v5/market/mark-price-candles",
		"/api/v5/market/history-mark-price-candles", "/api/v5/market/index-candles",
		"/api/v5/market/history-index-candles", "/api/v5/public/instruments", "/api/v5/market/ticker",
		"/api/v5/market/tickers", "/api/v5/public/time",
	}, []string{"/ws/v5/public", "/ws/v5/business"}
}
