package hyperliquid

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.SharedHostRouter = (*api)(nil)

// Siblings implements plugins.SharedHostRouter: api.hyperliquid.xyz
// serves spot and perpetuals alike.
func (a *api) Siblings() []string { return []string{"hyperliquid_spot", "hyperliquid_perpetual"} }

// spotInfo and perpInfo are the /info request types about one market
// only; the rest (exchangeStatus, allMids, ...) any sibling answers.
var (
	spotInfo = map[string]bool{"spotMeta": true, "spotMetaAndAssetCtxs": true, "spotClearinghouseState": true}
	perpInfo = map[string]bool{"meta": true, "metaAndAssetCtxs": true, "perpDexs": true, "clearinghouseState": true, "fundingHistory": true}
)

// Owner implements plugins.SharedHostRouter the way Hyperliquid's one
// endpoint tells markets apart: by the /info body's type (spotMeta... are
// spot's, meta... perpetuals'), and for candleSnapshot by its coin — a
// spot market is "@index" or "BASE/QUOTE", a perpetual its base. The body
// is put back for the handler. A WS connection (/ws) carries both markets.
func (a *api) Owner(r *http.Request) string {
	if r.URL.Path == "/ws" {
		return ""
	}
	if r.URL.Path != "/info" || r.Method != http.MethodPost || r.Body == nil {
		return a.Name()
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return a.Name()
	}
	var req snapshotReq
	if json.Unmarshal(b, &req) != nil {
		return a.Name()
	}
	if req.Type == "recentTrades" { // {"type":"recentTrades","coin":...}
		var c struct{ Coin string }
		if json.Unmarshal(b, &c) == nil && c.Coin != "" {
			if isSpotCoin(c.Coin) {
				return "hyperliquid_spot"
			}
			return "hyperliquid_perpetual"
		}
	}
	switch {
	case spotInfo[req.Type]:
		return "hyperliquid_spot"
	case perpInfo[req.Type]:
		return "hyperliquid_perpetual"
	case req.Type == "candleSnapshot" && req.Req != nil && req.Req.Coin != "":
		if isSpotCoin(req.Req.Coin) {
			return "hyperliquid_spot"
		}
		return "hyperliquid_perpetual"
	}
	return a.Name()
}

// isSpotCoin says whether coin names a spot market: "@142", "PURR/USDC".
func isSpotCoin(coin string) bool {
	return strings.HasPrefix(coin, "@") || strings.Contains(coin, "/")
}
