package ascendex

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (*Spot) Routes() (rest, ws []string) {
	return []string{
			"/api/pro/v1/barhist", "/api/pro/v1/barhist/info", "/api/pro/v1/products", "/api/pro/v1/cash/products",
			"/api/pro/v1/assets", "/api/pro/v2/assets", "/api/pro/v1/exchange-info", "/api/pro/v1/ticker",
			"/api/pro/v2/futures/contract",
		}, []string{
			"/api/pro/v1/stream", "/api/pro/v2/stream", "/1/api/pro/v2/stream",
		}
}
