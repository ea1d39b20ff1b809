package binance

import "sort"

// Routes implements plugins.Plugin. The REST list is the handler's own
// table; the WS paths are samples, since isWSPath matches them by prefix.
func (p *Plugin) Routes() (rest, ws []string) {
	for path := range (&server{p: p}).buildRoutes() {
		rest = append(rest, path)
	}
	sort.Strings(rest)
	ws = []string{"/ws", "/ws/btcusdt@kline_1m", "/stream", "/stream?streams=btcusdt@kline_1m/ethusdt@kline_1h", "/stream?streams=%%%",
		"/ws/btcusdt@trade", "/ws/btcusdt@aggTrade?timeUnit=MICROSECOND", "/ws/btcusdt@bookTicker",
		"/stream?streams=!miniTicker@arr/!ticker@arr/btcusdt@miniTicker/btcusdt@ticker"}
	ws = append(ws, p.wsAPIPath(), p.wsAPIPath()+"?timeUnit=MICROSECOND")
	if p.kind == Perpetual {
		ws = append(ws, "/market/ws", "/public/stream?streams=btcusdt@kline_1m", "/market/ws/btcusdt@markPrice@1s",
			"/market/stream?streams=!markPrice@arr/!markPrice@arr@1s/btcusdt@aggTrade")
	}
	return rest, ws
}
