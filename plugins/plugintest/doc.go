// Package plugintest is the conformance suite every exchange plugin runs:
// Run(t, p) serves p through the real serving stack (replay.New) on
// 127.0.0.1 with a fixed clock and checks what any correct plugin must do,
// whatever its exchange's wire format:
//
//   - registry: plugins.Validate accepts it and plugins.Lookup finds it;
//   - Defaults: real-looking upstream URLs, a positive MaxLimit, valid
//     intervals shortest first, no empty secret or volatile names;
//   - Symbol: non-empty and distinct for distinct pairs;
//   - candles: for several intervals, CandlesRequest → HTTP → DecodeCandles
//     gives exactly the Market's candles for the window asked (aligned,
//     contiguous, ordered, no gaps or overlaps, limit respected), and
//     consecutive startTime-style pages join without a gap;
//   - errors: an unknown symbol is refused (non-2xx or a body the decoder
//     rejects), an unknown path is a 4xx, ServerError is a non-empty 5xx;
//   - determinism: the same request twice, and to a second server built
//     the same way, gives byte-identical bodies;
//   - WS (optional): a plugin implementing plugins.KlineSubscriber is subscribed
//     to a kline stream, and its first update must be the Market's candle
//     in progress.
//
// RunRobustness(t, p) is the bad-input suite, run for every registered
// plugin by plugins/conformance_test.go: through the same stack (behind a
// handler that records panics) it sends several hundred malformed REST
// requests — unknown and malformed paths, every candles parameter
// replaced by garbage, overflowing, negative, NaN, unicode, far-past and
// far-future values, dropped and duplicated, JSON bodies with every leaf
// replaced, wrong methods, 4 MiB bodies, millennia-long windows at every
// interval, bad admin bodies — and on every WS path junk frames, an 8 MiB
// frame, subscription and ping storms and a cut connection. Every request
// must be answered within 5 s with a non-5xx, non-empty body (unless the
// plugin reports the reply as documented, plugins.DocumentedReplies), well-formed
// requests must reach the handler (a connection left out of step fails),
// WS sessions must close cleanly or stay responsive (a ping answered),
// and no goroutine may outlive the server. Every route of Plugin.Routes is
// reached.
//
// Plugins tell the suite about documented exchange quirks through the
// optional interfaces declared with the rest of the contract in package
// plugins (KlineSubscriber, LimitIgnorer, UnknownSymbolEmpty,
// DocumentedReplies), so a plugin never imports this package.
//
// # Concurrency
//
// Run uses subtests but no t.Parallel; it starts and closes its own
// servers and leaks no goroutines beyond the serving stack's.
package plugintest
