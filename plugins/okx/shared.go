package okx

import (
	"net/http"
	"strings"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.SharedHostRouter = (*Exchange)(nil)

// Siblings implements plugins.SharedHostRouter: OKX serves every
// instrument type on the same hosts.
func (e *Exchange) Siblings() []string { return []string{Spot.name, Perpetual.name} }

// Owner implements plugins.SharedHostRouter the way OKX tells instrument
// types apart: by instType (SPOT and MARGIN are okx_spot's; SWAP, FUTURES
// and OPTION okx_perpetual's, which answers the last two with an empty
// list, as ccxt's default loadMarkets asks all four), else by instId (a
// -SWAP suffix is a perpetual's). A WS connection carries every type
// (ccxt subscribes spot and swap candles on one business socket): it is
// for both.
func (e *Exchange) Owner(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/ws/") {
		return ""
	}
	switch r.URL.Path {
	case "/api/v5/market/index-tickers", "/api/v5/market/index-candles", "/api/v5/market/history-index-candles":
		// Indices (BTC-USDT) are the perpetual's.
		return Perpetual.name
	}
	q := r.URL.Query()
	switch q.Get("instType") {
	case "SPOT", "MARGIN":
		return Spot.name
	case "SWAP", "FUTURES", "OPTION":
		return Perpetual.name
	}
	if id := q.Get("instId"); id != "" {
		if isSwap(id) {
			return Perpetual.name
		}
		return Spot.name
	}
	return e.name
}

// isSwap says whether instID names a perpetual swap (BTC-USDT-SWAP). A
// handler tells spot from swap by the instrument, not by its own id, so
// that one serving both markets (a shared socket) encodes each its way.
func isSwap(instID string) bool { return strings.HasSuffix(instID, "-SWAP") }
