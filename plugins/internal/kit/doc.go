// Package kit holds small helpers shared by exchange plugins (gateio,
// mexc, hyperliquid and ascendex above all): candle windows over a Market
// (inclusive ranges, counting back from an end, clamping to now), route
// tables that build both a plugin's dispatch and its Routes list, 24-hour
// ticker statistics, the last price and the touch at an instant (Touch;
// right after the last trade, Through, for a ticker that shows both),
// price precision for market metadata (Scales reads it off the market),
// JSON replies, server-error and rate-limit refusal bodies, optional
// integer query parameters, and CorruptChecksum for the network
// simulation's book_corrupt fault.
//
// Everything here is stateless and safe for concurrent use, but for
// TradeCursor: a trade stream's position (after the subscription or a
// snapshot, then after the last trade handed out), with Poll walking it
// in pages and WholeAggregates keeping aggregate-per-event streams whole.
package kit
