package gateio

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (a *api) Routes() (rest, ws []string) {
	return []string{
			"/api/v4/spot/time", "/api/v4/spot/currencies", "/api/v4/spot/currencies/BTC", "/api/v4/spot/currency_pairs",
			"/api/v4/spot/currency_pairs/BTC_USDT", "/api/v4/margin/currency_pairs", "/api/v4/spot/tickers",
			"/api/v4/spot/candlesticks", "/api/v4/futures/usdt/contracts", "/api/v4/futures/usdt/contracts/BTC_USDT",
			"/api/v4/futures/usdt/tickers", "/api/v4/futures/usdt/candlesticks", "/api/v4/futures/btc/candlesticks",
			"/api/v4/delivery/usdt/contracts", "/api/v4/options/underlyings",
		}, []string{
			"/ws/v4/", "/v4/ws/usdt", "/v4/ws/btc",
		}
}
