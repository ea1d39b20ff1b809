package binance

import "sort"

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister). The REST list is the handler's own table.
func (p *Plugin) Routes() (rest, ws []string) {
	for path := range (&server{p: p}).buildRoutes() {
		rest = append(rest, path)
	}
	sort.Strings(rest)
	ws = []string{"/ws", "/ws/btcusdt@kline_1m", "/stream", "/stream?streams=btcusdt@kline_1m/ethusdt@kline_1h", "/stream?streams=%%%"}
	if p.kind == Perpetual {
		ws = append(ws, "/market/ws", "/public/stream?streams=btcusdt@kline_1m")
	}
	return rest, ws
}
