package bybit

import (
	"net/http"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.SharedHostRouter = (*Exchange)(nil)

// Siblings implements plugins.SharedHostRouter: Bybit serves every
// category on the same hosts.
func (e *Exchange) Siblings() []string { return []string{Spot.name, Perpetual.name} }

// Owner implements plugins.SharedHostRouter the way Bybit's v5 API tells
// categories apart: the WS path (/v5/public/spot, /v5/public/linear and
// /v5/public/inverse), else the category parameter — spot is bybit_spot's;
// linear and inverse bybit_perpetual's, which answers inverse (and option)
// instruments with an empty list, as ccxt's default loadMarkets asks for
// every category.
func (e *Exchange) Owner(r *http.Request) string {
	switch r.URL.Path {
	case Spot.wsPath:
		return Spot.name
	case Perpetual.wsPath, "/v5/public/inverse":
		return Perpetual.name
	}
	switch r.URL.Query().Get("category") {
	case "spot":
		return Spot.name
	case "linear", "inverse", "option":
		return Perpetual.name
	}
	return e.name
}
