package gateio

import (
	"net/http"
	"strings"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.SharedHostRouter = (*api)(nil)

// Siblings implements plugins.SharedHostRouter: Gate's REST host
// api.gateio.ws serves every market.
func (a *api) Siblings() []string { return []string{"gate_io_spot", "gate_io_perpetual"} }

// Owner implements plugins.SharedHostRouter by Gate's path prefixes:
// futures, delivery and options (and the futures socket /v4/ws/...) are
// gate_io_perpetual's, which answers delivery contracts and option
// underlyings with an empty list as ccxt's default loadMarkets asks for
// them; spot, margin and the spot socket /ws/v4/ gate_io_spot's.
func (a *api) Owner(r *http.Request) string {
	p := r.URL.Path
	for _, pre := range []string{"/api/v4/futures/", "/api/v4/delivery/", "/api/v4/options/", "/v4/ws/"} {
		if strings.HasPrefix(p, pre) {
			return "gate_io_perpetual"
		}
	}
	return "gate_io_spot"
}
