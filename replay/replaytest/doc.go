// Package replaytest is the one test-support package of candlecassette, as
// bbolt has internal/btesting: every server it starts is the real one
// (replay.Start over the synthetic market or a cassette, record.Start for
// the recording proxy) on 127.0.0.1:0, closed when the test ends.
//
// # Basics
//
//   - Start/StartWith serve an exchange; the Server has the base URLs,
//     the plugin and its Env, and the fixture API of replay.Server.
//     Limited puts the plugin's own rate-limit model, with a clock the
//     test owns, in front of it.
//   - Clock is the one virtual clock helper: stopped (speed 0) or running
//     at a given speed from a base instant.
//   - ShapeDiff is the one JSON-shape comparer (CheckShape, ShapesMatch
//     and FieldsMatch are its forms for a test): object keys in order, in
//     any order, or at least the documented ones; scalar kinds; candle
//     rows column by column; lists of objects element by element against
//     the documented first one.
//   - Exhaust is the one "send until refused" helper of rate-limit tests.
//   - RoundTrip records through the real recording proxy against a
//     synthetic upstream, closes both, and replays the cassette offline.
//   - WS clients with read deadlines (Dial, Conn, ReadFrame, ReadUntil)
//     and candle watchers (WatchClose, FollowCandle).
//   - Main is goleak.VerifyTestMain for packages whose tests use the
//     shared HTTP client.
//
// # Caveats
//
// It imports replay, which switches on the built-in exchanges: a
// plugin's in-package tests (package binance) cannot import it without
// an import cycle; use an external _test package.
//
// # Concurrency
//
// Everything here is safe for parallel tests; servers and connections
// are closed when the test ends.
package replaytest
