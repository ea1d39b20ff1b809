package plugins

import (
	"context"
	"net/http"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// This file is the whole plugin contract: Plugin, which every exchange
// implements and Register validates (see Validate), and the optional
// abilities a plugin may add, found by type assertion by the packages
// that use them (record, replay, plugintest). An ability every plugin has
// belongs in Plugin, where the compiler checks it.

// Plugin is one exchange API (an id as the CLI spells it).
type Plugin interface {
	// Name is the exchange id, e.g. "binance_spot": lower-case letters
	// and digits in words joined by '_' (the CLI's spelling).
	Name() string
	// Defaults are the exchange's upstream URLs, candle limits, intervals
	// and the request parts replay ignores or recording redacts.
	Defaults() Defaults
	// Symbol spells a pair the exchange's way (BTCUSDT, BTC-USDT, ...).
	Symbol(p cc.Pair) string
	// Handler serves the exchange's REST and WS API over env. Unknown
	// paths get the exchange's own 404 shape.
	Handler(env *Env) http.Handler
	// Routes lists what Handler serves, so that the robustness suite and
	// the fuzzer reach every route and not only the candles one. REST
	// routes are written "METHOD /path" or "/path" (GET); a route with a
	// path parameter is listed with a sample value ("/products/BTC-USD").
	// WS paths may carry a query (a token, a stream list). Build it from
	// the same table as the handler's dispatch (kit.Table) so the two
	// cannot drift.
	Routes() (rest, ws []string)
	// RateLimits is the exchange's rate-limit model: REST windows and
	// weights, used-weight headers, refusal bodies, bans and WS limits.
	// Flags and the admin API override its numbers, not its shape.
	RateLimits() ratelimit.Model
	// CandlesRequest builds the request a client sends to list candles for
	// q: method, path and query relative to the server root. It lets the
	// conformance suite and benchmarks drive every plugin the same way.
	CandlesRequest(q Query) (*http.Request, error)
	// DecodeCandles decodes the body of a candles response to req, for the
	// cassette index. Other responses give ErrNotCandles.
	DecodeCandles(req *http.Request, body []byte) (CandleSet, error)
	// DecodeFrame decodes a server WS frame into the kline updates it
	// carries; frames without klines give ErrNotCandles.
	DecodeFrame(path string, frame []byte) ([]cc.Update, error)
	// ServerError is the exchange's own body for an internal error, served
	// by the network simulation's error injection: a 5xx with a body.
	ServerError() Response
}

// TradeDecoder is implemented by plugins that can read back the trades
// their own trade routes and streams send, for the cassette's trades
// index: the recorder decodes every 200 REST body and every server WS
// frame it stores with it, and replay serves the indexed trades through
// Env.Tape where the recording has them.
//
// A decoder reads exactly what the plugin's encoders write (and what the
// exchange sends in that shape). Times become Unix microseconds from the
// exchange's unit (a millisecond time t is t×1000). A trade's ID is the
// exchange's numeric trade id (Binance "id"/"f".."l", OKX "tradeId",
// Bybit "execId", ...), parsed where it is a decimal string; an exchange
// that names trades by a non-numeric string (a UUID) gives ID 0, and the
// index leaves such trades out (their bodies still replay verbatim).
// Sizes are in the base asset: contract counts are converted with the
// instrument's contract size as the plugin's encoder converts them.
type TradeDecoder interface {
	// DecodeTrades decodes a trades response to req; other responses
	// give ErrNotTrades.
	DecodeTrades(req *http.Request, body []byte) ([]TradeSet, error)
	// DecodeTradeFrame decodes a server WS frame on path into the trades
	// it pushes; other frames give ErrNotTrades.
	DecodeTradeFrame(path string, frame []byte) ([]TradeSet, error)
}

// BookDecoder is implemented by plugins that can read back the order
// books their own depth routes and streams send, for the cassette's books
// index: the recorder decodes every 200 REST body and every server WS
// frame with it, and replay rebuilds the book at any recorded instant
// from the latest recorded snapshot plus the recorded diffs.
//
// A snapshot's Seq is the exchange's update id of the book (Binance
// lastUpdateId, OKX seqId, Bybit u, KuCoin sequence, Gate id, MEXC
// version, AscendEX seqnum), 0 where the payload names none (OKX REST,
// KuCoin spot's depth topics); a diff's FirstSeq/LastSeq are the ids it
// covers (Binance U/u, OKX prevSeqId+1/seqId, Bybit u/u), 0 where the
// exchange gives none. Kraken, Coinbase and Hyperliquid name no book ids
// at all: every record of theirs has ids 0, and replay orders them by
// time. An exchange that sends one change a message (KuCoin futures,
// MEXC contract, AscendEX) gives a diff per message, of its one id.
// Times are Unix µs, 0 where the payload has none (Binance spot REST and
// partial depth): the recorder uses the recording time. Sizes are in the
// base asset, as the TradeDecoder converts them.
type BookDecoder interface {
	// DecodeBook decodes a depth snapshot response to req; other
	// responses give ErrNotBook.
	DecodeBook(req *http.Request, body []byte) ([]BookSet, error)
	// DecodeBookFrame decodes a server WS frame on path into the book
	// snapshots or diffs it pushes; other frames give ErrNotBook.
	DecodeBookFrame(path string, frame []byte) ([]BookSet, error)
}

// KlineSubscriber is implemented by plugins whose exchange streams klines
// over WS: the path (with query) to dial and the messages to send once
// connected so that (symbol, iv) updates flow. The conformance suite
// subscribes through it; the fuzzer and the robustness suite dial it.
type KlineSubscriber interface {
	KlineSubscription(symbol string, iv cc.Interval) (path string, messages [][]byte)
}

// MissReplier is implemented by plugins that can say in their exchange's
// own error shape that a request was not answered, with a message: replay
// answers a request its cassette lacks (--on-miss error) with
// MissReply(msg), and plugins without it with ServerError. The body is
// the exchange's error envelope (code and message fields as its clients
// parse them), so the client's error names the request that missed.
type MissReplier interface {
	MissReply(msg string) Response
}

// Rewriter is implemented by plugins whose exchange's REST replies name WS
// endpoints (KuCoin's POST /api/v1/bullet-public): RewriteResponse returns
// body with those endpoints pointed at wsBase (e.g. ws://127.0.0.1:8080),
// or body unchanged. The recording proxy rewrites what it forwards (the
// cassette keeps the original body) and replay rewrites what it serves.
type Rewriter interface {
	RewriteResponse(path string, body []byte, wsBase string) []byte
}

// SharedHostRouter is implemented by plugins whose exchange serves the
// markets of several ids on one real host — www.okx.com answers SPOT and
// SWAP, api.bybit.com every category, api.hyperliquid.xyz's /info spot and
// perpetuals — so that a process serving those ids answers the host as
// the exchange does (serve.NewMulti lets siblings share a host, and
// refuses any other two ids claiming one).
type SharedHostRouter interface {
	// Siblings are the ids that may share this id's hosts, its own
	// included: the ids Owner chooses between.
	Siblings() []string
	// Owner names the sibling whose handler answers r, read from r's
	// path, query or body (a body read must be put back for the handler).
	// It is called on the plugin of the first id serving the host; a
	// request any sibling answers alike (the server time) gets that id's
	// own Name, as does an id not served in the process. "" means r is
	// for all of them at once: a WS connection on which the exchange
	// carries every market (OKX's /ws/v5/business, Hyperliquid's /ws).
	// The front serves it with this id's plugin over the union of the
	// siblings' markets, so the plugin must serve each stream by its
	// symbol, not by its own id.
	Owner(r *http.Request) string
}

// LimitIgnorer is implemented by plugins whose exchange answers a fixed
// page whatever limit is asked (Kraken's OHLC). For them the conformance
// suite checks the window asked for inside a longer answer.
type LimitIgnorer interface {
	IgnoresLimit() bool
}

// UnknownSymbolEmpty is implemented by plugins whose exchange answers a
// candles request for an unknown symbol with an empty 2xx list rather
// than an error; the conformance suite then accepts that answer.
type UnknownSymbolEmpty interface {
	EmptyForUnknownSymbol() bool
}

// DocumentedReplies is implemented by plugins whose exchange answers some
// bad input with a 5xx or an empty body (Hyperliquid: a 500 and a JSON
// null for an unknown coin, a bare 405 for a GET on /info). The robustness
// suite accepts exactly the replies it reports true for.
type DocumentedReplies interface {
	DocumentedReply(status int, body []byte) bool
}

// The front's side of a WS connection: what a connection's messages pass
// through, whoever serves it (a Session, the record mode's relay). The
// Hub hands both out as the connection opens (see Policy); netsim and
// ratelimit implement them without importing this package.

// Link is the simulated network under one WS connection's outgoing
// messages; netsim.Link implements it. It is used by one goroutine, the
// connection's writer.
type Link interface {
	// Schedule decides the fate of a message of n bytes queued at time
	// at: dropped, the connection cut without a close frame instead
	// (abort), or written at due. It is called once per message, in the
	// order they are sent.
	Schedule(n int, at time.Time) (due time.Time, drop, abort bool)
	// Wait sleeps until due; false means ctx ended first. A writer that
	// batches flushes what it gathered before it waits.
	Wait(ctx context.Context, due time.Time) bool
}

// ImmediateLink is a Link that knows when a message scheduled now would
// be due at once (no latency or bandwidth cap configured, nothing held):
// a Session then writes a push from the goroutine that made it, when
// nothing is queued before it, instead of waking its write pump. A Link
// without it always goes through the pump. Immediate is called where
// Schedule is, under the same exclusion.
type ImmediateLink interface {
	Link
	Immediate() bool
}

// Limit is the rate limit on what one WS connection's client sends;
// ratelimit.Conn implements it.
type Limit interface {
	// AllowMessage is asked for every frame the client sends (data, ping,
	// pong); when it says no, the connection closes with code and reason.
	AllowMessage() (ok bool, code int, reason string)
	// MaxStreams is the most streams the connection may subscribe; 0
	// means no limit. Subscribe beyond it fails with ErrTooManyStreams.
	MaxStreams() int
}
