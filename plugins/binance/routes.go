package binance

import "sort"

// Routes implements plugins.Plugin. The REST list is the handler's own
// table; the WS paths are samples, since isWSPath matches them by prefix.
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
