package bybit

import (
	"fmt"
	"net/http"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Exchange is one Bybit product line (category) served as an exchange id.
type Exchange struct {
	name     string
	category string // spot or linear
	wsPath   string
}

var (
	// Spot is bybit_spot: category spot, WS /v5/public/spot.
	Spot = &Exchange{name: "bybit_spot", category: "spot", wsPath: "/v5/public/spot"}
	// Perpetual is bybit_perpetual: category linear (USDT perpetuals), WS
	// /v5/public/linear.
	Perpetual = &Exchange{name: "bybit_perpetual", category: "linear", wsPath: "/v5/public/linear"}
)

var _ plugins.Plugin = (*Exchange)(nil)

func init() {
	plugins.Register(Spot)
	plugins.Register(Perpetual)
}

// Name implements plugins.Plugin.
func (e *Exchange) Name() string { return e.name }

// Category is the Bybit category the exchange id serves: spot or linear.
func (e *Exchange) Category() string { return e.category }

// Symbol spells a pair the Bybit way: BTCUSDT for spot and linear alike.
func (e *Exchange) Symbol(p cc.Pair) string { return p.Base + p.Quote }

// Defaults implements plugins.Plugin.
func (e *Exchange) Defaults() plugins.Defaults {
	return plugins.Defaults{
		UpstreamREST:  "https://api.bybit.com",
		UpstreamWS:    "wss://stream.bybit.com",
		MaxLimit:      maxLimit,
		Intervals:     intervals.Intervals(),
		IntervalNames: intervals,
		Hosts:         hosts,
		// Signed requests carry their timestamp and receive window in
		// headers (and these params in older clients).
		VolatileParams: []string{"timestamp", "recv_window", "sign"},
		SecretHeaders:  []string{"X-BAPI-API-KEY", "X-BAPI-SIGN", "X-BAPI-TIMESTAMP", "X-BAPI-RECV-WINDOW"},
		SecretParams:   []string{"api_key", "sign"},
		LoginOps:       []string{"auth"}, // {"op":"auth","args":[key, expires, signature]}
	}
}

// hosts are Bybit's mainnet API hosts for every category: REST on
// api.bybit.com and its alternative api.bytick.com, WS on stream.bybit.com
// and stream.bytick.com (/v5/public/spot, /v5/public/linear, ...).
var hosts = []string{"api.bybit.com", "api.bytick.com", "stream.bybit.com", "stream.bytick.com"}

// ServerError implements plugins.Plugin: Bybit's internal-error body
// (retCode 10016) with HTTP 500, as served during an incident.
func (e *Exchange) ServerError() plugins.Response {
	body := fmt.Sprintf(`{"retCode":10016,"retMsg":"Internal System Error.","result":{},"retExtInfo":{},"time":%d}`, time.Now().UnixMilli())
	return plugins.Response{
		Status: http.StatusInternalServerError,
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:   []byte(body),
	}
}
