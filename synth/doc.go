// Package synth is the deterministic synthetic market: candles are a pure
// function of (seed, exchange, symbol, interval, open time), so any two
// requests, and the WS stream, agree.
//
// # Concurrency
//
// A Market is immutable after New and safe for concurrent use.
package synth
