// Package kit holds small helpers shared by the gateio, mexc, hyperliquid
// and ascendex plugins: candle windows over a Market (inclusive ranges,
// counting back from an end, clamping to now), 24-hour ticker statistics,
// price precision for market metadata, and JSON replies.
//
// Everything here is stateless and safe for concurrent use.
package kit
