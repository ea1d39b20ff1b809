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
//     in progress;
//   - record then replay: through the real recording proxy in front of a
//     synthetic upstream (both on 127.0.0.1:0) a candles page of two pairs
//     and the first kline updates of a stream are recorded; with both
//     closed, the replay of the cassette must answer the pages (asked in
//     the other order) byte for byte, decoding to the candles the upstream
//     answered directly, serve a window inside a page from the candle
//     index, and stream the recorded updates.
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
// and no goroutine the server started may outlive it. Every route of
// Plugin.Routes is reached.
//
// Plugins tell the suite about documented exchange quirks through the
// optional interfaces declared with the rest of the contract in package
// plugins (KlineSubscriber, LimitIgnorer, UnknownSymbolEmpty,
// DocumentedReplies), so a plugin never imports this package.
//
// # Concurrency
//
// Run and RunRobustness use subtests but no t.Parallel of their own;
// they start and close their own servers and set nothing package-level,
// so a caller may run one plugin per parallel subtest, as
// plugins/conformance_test.go does. RunRobustness's leak checks follow
// the goroutines its servers started (by pprof label, see
// internal/replaytest.Goroutines), not every goroutine of the process, so
// parallel siblings do not count as its leaks.
package plugintest
