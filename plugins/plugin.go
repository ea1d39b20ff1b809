package plugins

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// ErrNotCandles is returned by DecodeCandles for a response that is not a
// candle listing, and by DecodeFrame for a frame that holds no kline.
var ErrNotCandles = errors.New("plugins: not a candle payload")

// Defaults describe an exchange's real endpoints and limits.
type Defaults struct {
	UpstreamREST string // e.g. https://api.binance.com
	UpstreamWS   string // e.g. wss://stream.binance.com:9443
	MaxLimit     int    // most candles one REST request returns
	// Intervals are the canonical intervals the exchange serves.
	Intervals []cc.Interval
	// VolatileParams are query/body params that replay ignores when it
	// matches a recorded request (timestamps, signatures, ...).
	VolatileParams []string
	// SecretHeaders, SecretParams and LoginOps are the exchange's own
	// secrets, redacted before recording on top of the generic names the
	// cassettes package knows (Authorization, Cookie, signature, apiKey,
	// token, listenKey, ...): its API-key, signature and passphrase
	// headers; the query, form and JSON names that carry credentials; and
	// the op/method/event/channel values of its WS login messages (every
	// string in such a message is redacted but what says what it is). A
	// recording redacts every registered exchange's secrets (see
	// record.Options.BeforeSave).
	SecretHeaders []string
	SecretParams  []string
	LoginOps      []string
}

// Query is a normalized candles request.
type Query struct {
	Symbol   string // exchange-native symbol
	Interval cc.Interval
	Start    int64 // Unix ms; 0 means unset
	End      int64 // Unix ms, inclusive; 0 means unset
	Limit    int   // 0 means the exchange's default
}

// CandleSet is what a decoder found in one payload.
type CandleSet struct {
	Symbol   string
	Interval cc.Interval
	Candles  []cc.Candle // oldest first
}

// Response is a canned HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Env is what the serving stack gives a plugin's handler.
type Env struct {
	Market cc.Market
	Feed   cc.Feed
	Clock  *cc.Clock
	// Pairs are the configured pairs with Symbol filled in by the plugin.
	Pairs []cc.Pair
	// Hub tracks WS sessions so the admin API can list and close them.
	Hub *Hub
	// Shaper, if set, delays, drops or aborts outgoing WS messages (the
	// network simulation).
	Shaper WSShaper
	Logger *slog.Logger
	// Limiter, if set, enforces the rate limits on WS clients' messages and
	// streams (the rate-limit layer).
	Limiter WSLimiter
}

// WSSizeShaper is an optional extension of WSShaper that shapes by message
// size: hold is how long the message occupies a bandwidth-capped link, and
// is added after the previous message of the same connection.
type WSSizeShaper interface {
	ShapeSize(path string, size int) (delay, hold time.Duration, drop, abort bool)
}

// WSLimiter enforces an exchange's limits on WS clients; the ratelimit
// layer implements it. r is the request that opened the connection.
type WSLimiter interface {
	// AllowMessage is asked for every frame a client sends (data, ping,
	// pong); when it says no, the session closes with code and reason.
	AllowMessage(r *http.Request) (ok bool, code int, reason string)
	// MaxStreams is the most streams one connection may subscribe; 0 means
	// no limit. Subscribe beyond it fails with ErrTooManyStreams.
	MaxStreams(r *http.Request) int
}

// WSShaper decides the fate of each server WS message; the netsim layer
// implements it.
type WSShaper interface {
	// Shape returns how long to hold the message, whether to drop it, and
	// whether to close the connection abnormally instead.
	Shape(path string) (delay time.Duration, drop, abort bool)
}

// PairBySymbol finds the configured pair with the given native symbol.
func (e *Env) PairBySymbol(sym string) (cc.Pair, bool) {
	for _, p := range e.Pairs {
		if p.Symbol == sym {
			return p, true
		}
	}
	return cc.Pair{}, false
}
