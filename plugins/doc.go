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
//     served (shortest first), volatile params, and the exchange's own
//     secrets (SecretHeaders, SecretParams, LoginOps): the cassette only
//     knows generic names, so a credential the plugin does not declare
//     reaches the file.
//   - Symbol, CandlesRequest, DecodeCandles, DecodeFrame: the translation.
//   - Handler: the exchange's REST and WS API over an Env (market, feed,
//     clock, pairs); WS protocols run on Session through ServeWS.
//   - Routes: what Handler serves. Built-in plugins build Handler and
//     Routes from one table (kit.Table in plugins/internal/kit) so that
//     the list cannot drift from what is served.
//   - RateLimits: the exchange's rate-limit model (ratelimit.Model).
//   - ServerError: the exchange's own 5xx body.
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
// # What Register checks
//
// Register calls Validate and panics, naming the plugin and every defect,
// when the name is not an id (lower-case words joined by '_'), when
// Defaults lack absolute http(s)/ws(s) upstreams, a positive MaxLimit or
// valid intervals shortest first without repeats, or name an empty
// secret; when Symbol is empty; when Routes lists no REST route, a route
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
//  2. Import it blank in plugins/all/all.go.
//  3. Run go test -race ./plugins/ (the conformance and robustness
//     suites pick it up through the registry) and the family's own tests.
//  4. Add its row to the real-client tables (compat/ccxt and its
//     passing.json) and the README's exchange list.
//
// # Concurrency
//
// Plugins are stateless values shared by every server; Handler may be
// called several times and each handler must be safe for concurrent use.
// The registry is safe for concurrent use; Register is meant for init().
package plugins
