package okx

import (
	"math"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Exchange is one OKX instrument type served as an exchange id.
type Exchange struct {
	name     string
	instType string // SPOT or SWAP
}

var (
	// Spot is okx_spot: instType SPOT, instruments such as BTC-USDT.
	Spot = &Exchange{name: "okx_spot", instType: "SPOT"}
	// Perpetual is okx_perpetual: instType SWAP, instruments such as
	// BTC-USDT-SWAP (USDT-margined linear perpetuals).
	Perpetual = &Exchange{name: "okx_perpetual", instType: "SWAP"}
)

var _ plugins.Plugin = (*Exchange)(nil)

func init() {
	plugins.Register(Spot)
	plugins.Register(Perpetual)
}

// Name implements plugins.Plugin.
func (e *Exchange) Name() string { return e.name }

// InstType is the OKX instrument type the exchange id serves.
func (e *Exchange) InstType() string { return e.instType }

// Symbol spells a pair the OKX way: BTC-USDT, or BTC-USDT-SWAP for the
// perpetual.
func (e *Exchange) Symbol(p cc.Pair) string {
	if e.instType == "SWAP" {
		return p.Base + "-" + p.Quote + "-SWAP"
	}
	return p.Base + "-" + p.Quote
}

// Defaults implements plugins.Plugin.
func (e *Exchange) Defaults() plugins.Defaults {
	return plugins.Defaults{
		UpstreamREST:   "https://www.okx.com",
		UpstreamWS:     "wss://ws.okx.com:8443",
		MaxLimit:       maxLimit,
		Intervals:      barNames.Intervals(),
		IntervalNames:  barNames,
		VolatileParams: nil, // OKX signs with headers only
		Hosts:          hosts,
		SecretHeaders:  []string{"OK-ACCESS-KEY", "OK-ACCESS-SIGN", "OK-ACCESS-PASSPHRASE", "OK-ACCESS-TIMESTAMP"},
		SecretParams:   []string{"apiKey", "passphrase", "sign"}, // the WS {"op":"login","args":[...]}
		LoginOps:       []string{"login"},
	}
}

// hosts are OKX's API hosts, the same for every instrument type: REST on
// www.okx.com (and aws.okx.com for clients hosted on AWS), WS on
// ws.okx.com:8443 (wsaws.okx.com on AWS) and demo trading's
// wspap.okx.com:8443 (its REST is www.okx.com with a header).
var hosts = []string{"www.okx.com", "aws.okx.com", "ws.okx.com", "wsaws.okx.com", "wspap.okx.com"}

// ServerError implements plugins.Plugin: OKX's 50001 "Service temporarily
// unavailable" with HTTP 503.
func (e *Exchange) ServerError() plugins.Response {
	return plugins.Response{
		Status: http.StatusServiceUnavailable,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   []byte(`{"code":"50001","msg":"Service temporarily unavailable. Please try again later.","data":[]}`),
	}
}

// ctExps are the powers of ten of OKX's own contract values (ctVal) for
// the USDT perpetuals of well-known bases: BTC-USDT-SWAP is 0.01 BTC.
var ctExps = map[string]int{
	"BTC": -2, "ETH": -1, "BNB": -2, "SOL": 0, "LTC": 0, "LINK": 0, "DOT": 0, "AVAX": 0,
	"XRP": 2, "ADA": 2, "DOGE": 3, "TRX": 3,
}

// ctExp is the power of ten of a perpetual's contract value: OKX's own for
// well-known bases, else the one that makes a contract worth about 100
// quote units at the pair's price, as OKX's are.
func ctExp(p cc.Pair) int {
	if e, ok := ctExps[p.Base]; ok {
		return e
	}
	if p.Price <= 0 {
		return 0
	}
	return int(math.Ceil(math.Log10(100 / p.Price)))
}

// shift returns d × 10^e exactly (e may be negative).
func shift(d cc.Decimal, e int) cc.Decimal {
	for ; e > 0; e-- {
		if d.Scale > 0 {
			d.Scale--
		} else {
			d.Units *= 10
		}
	}
	for ; e < 0; e++ {
		d.Scale++
	}
	return d
}

// pairOf finds the configured pair of an instrument id.
func (h *handler) pairOf(instID string) (cc.Pair, bool) { return h.env.PairBySymbol(instID) }
