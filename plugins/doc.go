// Package plugins holds the exchange plugin contract and the registry of
// plugins. Each exchange family lives in a sub-folder (binance/, bybit/,
// ...) and registers its plugins from init(); the command switches the
// built-ins on with blank imports of plugins/all.
//
// A plugin translates between an exchange's wire format and the normalized
// candle model in both directions: it serves REST and WS for a Market
// (Handler), and decodes recorded REST bodies and WS frames back into
// candles (DecodeCandles, DecodeFrame) for a cassette's index.
//
// # Writing a plugin
//
// The whole contract is in contract.go. Implement every method of Plugin:
//
//   - Name: the exchange id as the CLI spells it (gate_io_spot).
//   - Defaults: the real upstream URLs, MaxLimit, the canonical intervals
//     served (shortest first) and the exchange's name for each
//     (IntervalNames), the real host names (Hosts), volatile params, and
//     the exchange's own secrets (SecretHeaders, SecretParams, LoginOps):
//     the cassette only knows generic names, so a credential the plugin
//     does not declare reaches the file.
//   - Symbol, CandlesRequest, DecodeCandles, DecodeFrame: the translation.
//   - Handler: the exchange's REST and WS API over an Env (market, feed,
//     clock, pairs); WS protocols run on Session through ServeWS.
//   - Routes: what Handler serves. Built-in plugins build Handler and
//     Routes from one table (kit.Table in plugins/internal/kit) so that
//     the list cannot drift from what is served.
//   - RateLimits: the exchange's rate-limit model (ratelimit.Model).
//   - ServerError: the exchange's own 5xx body.
//
// Declare the exchange's interval names once, as an IntervalNames table
// (intervals.go), and read it both ways: Parse to understand a request or
// a recorded frame, Name to spell a reply, a stream or CandlesRequest. Set
// Defaults.Intervals to its Intervals() and Defaults.IntervalNames to it.
// An exchange with a second spelling (MEXC's WS "Min1" beside REST "1m")
// declares that table too; a second accepted spelling of one interval is
// a second row (the first is the one written). A nil table means the
// canonical spelling ("1m", "1h", "1M").
//
// Step over candles with the root package's interval arithmetic
// (Interval.Add, Ceil, Count, Truncate, Next), not loops of your own: the n
// candles ending with the one opening at last start at iv.Add(last, 1-n).
//
// Add an optional ability only when the exchange has it: KlineSubscriber
// (it streams klines over WS), Rewriter (its REST replies name WS
// endpoints, as KuCoin's bullet-public does), and, for the conformance
// suite, LimitIgnorer, UnknownSymbolEmpty and DocumentedReplies for
// documented quirks. Guard the implementation at compile time:
//
//	var _ plugins.Plugin = (*Spot)(nil)
//
// # Exchange-protocol faults
//
// The front injects the exchange's own faults (netsim's book_gap,
// book_duplicate, book_reorder, book_corrupt, stale_snapshot, resync,
// clock_skew); a plugin lets them reach its formats with a few calls
// (faults.go):
//
//	s.PushBookDiff(key, frame, corruptChecksum)      // not s.Send, for every book diff of stream key
//	s.OnResync(func() ([]byte, int, string) { ... }) // in Open, if the exchange has a resync event
//	at := env.SnapshotTime(r)                        // the instant of a REST book snapshot
//
// corruptChecksum returns a copy of frame with a wrong checksum (nil when
// the format has none). Every push of a subscribed stream goes out with
// Push (PushMessage, PushBookDiff) under its subscription key, not Send:
// a push queued but not yet written when the stream is unsubscribed is
// then dropped, so nothing of it follows the reply to the unsubscribe. The clock skew needs no call: Env.Clock is the
// exchange's skewed clock, so read every time field from it, never from
// time.Now.
//
// # What Register checks
//
// Register calls Validate and panics, naming the plugin and every defect,
// when the name is not an id (lower-case words joined by '_'), when
// Defaults lack absolute http(s)/ws(s) upstreams, a positive MaxLimit or
// valid intervals shortest first without repeats, or name an empty
// secret; when IntervalNames does not name exactly Intervals, or uses a
// name twice; when Symbol is empty; when Routes lists no REST route, a route
// that is not "METHOD /path" or "/path", an unknown method, a WS path not
// starting with '/', or anything twice; when RateLimits has no REST window
// or a window without a positive limit and period, a negative WS limit or
// a ban without durations; when ServerError is not a 5xx with a body. It
// also panics when the name is already taken. A broken plugin therefore
// stops the binary at start, not a client in the middle of a session.
//
// # The conformance suite
//
// plugins/conformance_test.go runs plugintest.Run and
// plugintest.RunRobustness on every registered plugin: Validate again,
// candles through the real serving stack compared with the Market, the
// exchange's own 404 and 5xx shapes, determinism, a WS kline subscription
// (KlineSubscriber), and several hundred malformed requests on every route
// of Routes. A plugin's own package tests its wire format in detail
// (golden files, real-client shapes) on top.
//
// # Adding an exchange
//
//  1. Create plugins/<family>/ with a doc.go, the plugin type(s), an
//     init() calling Register, and a var _ plugins.Plugin guard.
//  2. Import it blank in plugins/all/all.go (Go cannot import by
//     discovery; plugins/all's test fails, naming the folder, until you
//     do).
//  3. Run go test -race ./plugins/ ./plugins/all/ (the conformance and
//     robustness suites pick it up through the registry) and the family's
//     own tests.
//  4. Add its row to the CCXT table in compat/ccxt/harness.mjs, keyed by
//     the folder and the market ("spot", or "perpetual" for an id ending
//     in _perpetual): the ccxt class and how loadMarkets is kept to that
//     market. Everything else the ccxt tests read from the binary
//     (candlecassette exchanges --json: ids, routes, WS paths, interval
//     names, pairs as the exchange spells them); test/registry.test.mjs
//     fails for a registered id without a row. The new id must then pass
//     make compat-ccxt, unless listed under todo in passing.json.
//
// Nothing else lists the exchanges: the README points at candlecassette
// exchanges, and plugins/all's test checks that every id it names is
// registered.
//
// # Concurrency
//
// Plugins are stateless values shared by every server; Handler may be
// called several times and each handler must be safe for concurrent use.
// The registry is safe for concurrent use; Register is meant for init().
package plugins
