package plugins

import (
	"errors"
	"log/slog"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
)

// ErrNotCandles is returned by DecodeCandles for a response that is not a
// candle listing, and by DecodeFrame for a frame that holds no kline.
var ErrNotCandles = errors.New("plugins: not a candle payload")

// ErrNotTrades is returned by a TradeDecoder for a payload that carries
// no trades.
var ErrNotTrades = errors.New("plugins: not a trades payload")

// ErrNotBook is returned by a BookDecoder for a payload that carries no
// order book.
var ErrNotBook = errors.New("plugins: not an order book payload")

// Defaults describe an exchange's real endpoints and limits.
type Defaults struct {
	UpstreamREST string // e.g. https://api.binance.com
	UpstreamWS   string // e.g. wss://stream.binance.com:9443
	MaxLimit     int    // most candles one REST request returns
	// Intervals are the canonical intervals the exchange serves.
	Intervals []cc.Interval
	// IntervalNames spells each of Intervals the way the exchange's
	// candles requests do, both ways; Register checks that it names
	// exactly Intervals. Nil means the canonical spelling (Binance's).
	IntervalNames IntervalNames
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
	// Hosts are the real exchange's host names that clients reach the
	// REST and WS APIs this id serves at — every one its official docs
	// and ccxt name (api.binance.com, api1.binance.com, ...,
	// stream.binance.com) — lower case, without scheme or port. Proxy
	// mode routes a request by its host with the port stripped
	// (stream.binance.com:9443 is stream.binance.com), and the local CA
	// signs for these names only. Several ids may share a host (www.okx.com
	// serves okx_spot and okx_perpetual): see Hosts(). The hosts of
	// UpstreamREST and UpstreamWS must be listed; only a plugin whose
	// upstreams are loopback (a test double) may leave Hosts empty.
	Hosts []string
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

// TradeSet is what a TradeDecoder found in one payload for one symbol.
type TradeSet struct {
	Symbol string // exchange-native
	// Trades are oldest first. AggID is the exchange's aggregate id where
	// the payload names one (Binance's "a"), else the trade's own ID.
	Trades []cc.Trade
	// Last is nil when Trades are single prints. For aggregates (Binance's
	// aggTrades and aggTrade stream, MEXC's aggTrades) it is as long as
	// Trades: Trades[i] stands for the prints [Trades[i].ID, Last[i]] at
	// its price, time and side, its Size their total.
	Last []int64
}

// BookSet is what a BookDecoder found in one payload for one symbol:
// a snapshot (Diff nil) or a diff (Diff set).
type BookSet struct {
	Symbol string // exchange-native
	// Book is the snapshot: Seq its update id (0: not given), Time its
	// instant (0: not given), levels best first.
	Book cc.Book
	// Depth is how many levels a side the snapshot was asked for (a
	// partial stream's 5, a REST limit), 0 when it is the exchange's
	// whole stream depth or unknown.
	Depth int
	// Diff is a diff push: the levels that changed (size 0: removed),
	// FirstSeq/LastSeq the update ids it covers.
	Diff *cc.BookDiff
}

// Response is a canned HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Env is what a plugin's handler answers from: the market, its feed and
// clock, the configured pairs, and the Hub its WS connections are served
// through (which gives each the front's network link and rate limit).
type Env struct {
	Market cc.Market
	Feed   cc.Feed
	Clock  *cc.Clock
	// Tape, Quotes and Derivs serve trades, the touch and a perpetual's
	// mark, index and funding, from the same market as Market. Each is
	// nil when the mode has none; a plugin then answers those routes with
	// the exchange's own error.
	Tape   cc.Tape
	Quotes cc.Quoter
	Derivs cc.Derivatives
	// Books serves L2 order books consistent with Tape and Quotes; nil
	// when the mode has none (the plugin answers with the exchange's
	// own error).
	Books cc.Books
	// Pairs are the configured pairs with Symbol filled in by the plugin.
	Pairs []cc.Pair
	// Hub tracks WS sessions so the admin API can list and close them,
	// and admits them under the front's policy.
	Hub    *Hub
	Logger *slog.Logger
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
