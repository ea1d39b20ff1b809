package coinbase

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (*Plugin) Routes() (rest, ws []string) {
	return []string{
		"/api/v3/brokerage/market/products", "/api/v3/brokerage/market/products/BTC-USD",
		"/api/v3/brokerage/market/products/BTC-USD/candles", "/api/v3/brokerage/time",
		"/v2/time", "/v2/currencies", "/v2/currencies/crypto", "/v2/exchange-rates",
	}, []string{"/"}
}
