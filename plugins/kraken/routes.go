package kraken

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister). Kraken's public REST takes GET and POST
// alike.
func (*Plugin) Routes() (rest, ws []string) {
	return []string{
		"/0/public/OHLC", "POST /0/public/OHLC", "/0/public/Assets", "/0/public/AssetPairs", "/0/public/Ticker",
		"/0/public/Time", "/0/public/SystemStatus",
	}, []string{"/v2", "/"}
}
