// Package candlecassette holds the domain types shared by every part of
// candlecassette: the normalized candle model, exact decimals, intervals,
// trading pairs, the virtual clock, the Market interface through which
// exchange plugins read candles, and the JSON Duration that netsim and
// ratelimit configurations share.
//
// candlecassette stands in for a crypto exchange's market-data API. The
// subpackages are named for what they wrap: cassettes (the bbolt file
// format), synth (the synthetic market), plugins (one per exchange family),
// record (the recording proxy), replay (the serving stack), netsim and
// ratelimit. This package imports none of them; they all import it.
//
// # Concurrency
//
// Values of the types here are plain data and safe to share once built.
// Implementations of Market must be safe for concurrent use.
package candlecassette
