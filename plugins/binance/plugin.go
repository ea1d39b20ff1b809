package binance

import (
	"net/http"
	"slices"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Kind tells the two Binance APIs apart.
type Kind int

const (
	// Spot is the spot API (binance_spot).
	Spot Kind = iota
	// Perpetual is the USD-M futures API (binance_perpetual).
	Perpetual
)

// The ids the plugins register under.
const (
	SpotName      = "binance_spot"
	PerpetualName = "binance_perpetual"
)

// Options tune a Plugin. The zero value is Binance's own behaviour; tests
// shorten the keepalive rules.
type Options struct {
	// PingEvery is the server ping cadence; 0 means Binance's (spot 20 s,
	// futures 3 min).
	PingEvery time.Duration
	// PongTimeout closes a connection from which nothing arrived for this
	// long; 0 means Binance's (spot 1 min, futures 10 min).
	PongTimeout time.Duration
	// MaxLifetime closes every connection after this long; 0 means 24 h.
	MaxLifetime time.Duration
}

// Plugin is one Binance API. It implements plugins.Plugin.
type Plugin struct {
	kind Kind
	opts Options
}

var _ plugins.Plugin = (*Plugin)(nil)

func init() {
	plugins.Register(New(Spot, Options{}))
	plugins.Register(New(Perpetual, Options{}))
}

// New returns the plugin for kind with opts.
func New(kind Kind, opts Options) *Plugin {
	return &Plugin{kind: kind, opts: opts}
}

// Name implements plugins.Plugin.
func (p *Plugin) Name() string {
	if p.kind == Perpetual {
		return PerpetualName
	}
	return SpotName
}

// Kind reports which API p serves.
func (p *Plugin) Kind() Kind { return p.kind }

// Defaults implements plugins.Plugin.
func (p *Plugin) Defaults() plugins.Defaults {
	d := plugins.Defaults{
		UpstreamREST:   "https://api.binance.com",
		UpstreamWS:     "wss://stream.binance.com:9443",
		MaxLimit:       p.maxLimit(),
		Intervals:      spotIntervals.Intervals(),
		IntervalNames:  spotIntervals,
		VolatileParams: []string{"timestamp", "signature", "recvWindow"},
		SecretHeaders:  []string{"X-MBX-APIKEY"},
		SecretParams:   []string{"signature", "listenKey", "apiKey"}, // apiKey: the WS API's session.logon and signed requests
		LoginOps:       []string{"session.logon"},                    // the WS API's {"method":"session.logon","params":{...}}
	}
	d.Hosts = spotHosts
	if p.kind == Perpetual {
		d.UpstreamREST = "https://fapi.binance.com"
		d.UpstreamWS = "wss://fstream.binance.com"
		d.Hosts = futuresHosts
		d.Intervals, d.IntervalNames = futuresIntervals.Intervals(), futuresIntervals
	}
	return d
}

// spotHosts are the spot API's hosts: REST on api, api1-4, api-gcp and
// the market-data-only data-api.binance.vision; market streams on
// stream.binance.com (ports 9443 and 443) and data-stream.binance.vision;
// the WS API on ws-api.binance.com.
var spotHosts = []string{
	"api.binance.com", "api1.binance.com", "api2.binance.com", "api3.binance.com", "api4.binance.com",
	"api-gcp.binance.com", "data-api.binance.vision",
	"stream.binance.com", "data-stream.binance.vision", "ws-api.binance.com",
}

// futuresHosts are USD-M futures' hosts: REST on fapi, market streams on
// fstream, the WS API on ws-fapi; and COIN-M's REST host dapi, whose
// exchangeInfo (empty), ping and time binance_perpetual answers because
// ccxt binance's default loadMarkets asks for COIN-M markets there and
// waits out a 10 s timeout if nothing answers. (dstream is no id's.)
var futuresHosts = []string{"fapi.binance.com", "fstream.binance.com", "ws-fapi.binance.com", "dapi.binance.com"}

// maxLimit is the largest klines page: 1000 on spot, 1500 on USD-M.
func (p *Plugin) maxLimit() int {
	if p.kind == Perpetual {
		return 1500
	}
	return 1000
}

// spotIntervals are spot's interval names ("interval", the stream
// <symbol>@kline_<interval>): every canonical interval, spelled the
// canonical way, which is Binance's.
var spotIntervals = plugins.CanonicalNames(cc.Intervals)

// futuresIntervals are USD-M's: the canonical intervals but 1s.
var futuresIntervals = plugins.CanonicalNames(slices.DeleteFunc(slices.Clone(cc.Intervals),
	func(iv cc.Interval) bool { return iv == cc.Interval1s }))

// intervals is p's interval-name table.
func (p *Plugin) intervals() plugins.IntervalNames {
	if p.kind == Perpetual {
		return futuresIntervals
	}
	return spotIntervals
}

// validInterval reports whether p serves the interval named s.
func (p *Plugin) validInterval(s string) (cc.Interval, bool) {
	return p.intervals().Parse(s)
}

// spotListed is when Binance spot opened (BTCUSDT's first kline,
// 2017-08-17 04:00 UTC); USD-M futures opened with BTCUSDT on
// futuresOnboard. Klines never reach back before them, as on Binance,
// which also bounds the work an early startTime can ask for.
const spotListed = 1502942400000

func (p *Plugin) listed() int64 {
	if p.kind == Perpetual {
		return futuresOnboard
	}
	return spotListed
}

// Symbol implements plugins.Plugin: BTC-USDT is BTCUSDT.
func (p *Plugin) Symbol(pair cc.Pair) string {
	return strings.ToUpper(pair.Base + pair.Quote)
}

// ServerError implements plugins.Plugin with Binance's -1001 body.
func (p *Plugin) ServerError() plugins.Response {
	return plugins.Response{
		Status: http.StatusInternalServerError,
		Header: http.Header{"Content-Type": {contentType}},
		Body:   []byte(`{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}`),
	}
}

// wsOptions are the keepalive rules for p's WS connections.
func (p *Plugin) wsOptions() plugins.WSOptions {
	o := plugins.WSOptions{PingEvery: 20 * time.Second, ReadTimeout: time.Minute, MaxLifetime: 24 * time.Hour}
	if p.kind == Perpetual {
		o.PingEvery, o.ReadTimeout = 3*time.Minute, 10*time.Minute
	}
	if p.opts.PingEvery > 0 {
		o.PingEvery = p.opts.PingEvery
	}
	if p.opts.PongTimeout > 0 {
		o.ReadTimeout = p.opts.PongTimeout
	}
	if p.opts.MaxLifetime > 0 {
		o.MaxLifetime = p.opts.MaxLifetime
	}
	return o
}

// pushEvery is the kline stream cadence: spot pushes every 2 s (1 s for
// the 1s interval), USD-M futures every 250 ms.
func (p *Plugin) pushEvery(iv cc.Interval) time.Duration {
	switch {
	case p.kind == Perpetual:
		return 250 * time.Millisecond
	case iv == cc.Interval1s:
		return time.Second
	}
	return 2 * time.Second
}
