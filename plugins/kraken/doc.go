// Package kraken is the kraken_spot plugin: Kraken's public Spot REST API
// (/0/public/OHLC, Assets, AssetPairs, Ticker, Time), the Spot
// WebSocket v2 feed at /v2 (ohlc and heartbeat channels, ping/pong) and
// the v1 feed at the root path (ohlc-N channels as arrays, ping/pong,
// heartbeat events).
//
// # Basics
//
// Kraken names assets its own way: bitcoin is XBT, and the oldest assets
// carry an X (crypto) or Z (fiat) prefix (XXBT, ZUSD). A pair therefore has
// several spellings: the AssetPairs key (XXBTZUSD, or XBTUSDT where a side
// has no legacy name), the altname (XBTUSD) and the wsname (XBT/USD), which
// is this plugin's native symbol. REST accepts any of them; WS v2 uses
// BTC/USD.
//
// OHLC returns at most the 720 most recent candles after `since`, oldest
// first; the last row is the candle in progress and `last` is the open
// time of the newest committed one. Errors are reported inside the body
// ({"error":["EQuery:Unknown asset pair"]}) with HTTP 200.
//
// # Concurrency
//
// The plugin value is stateless; each WS connection's protocol state is
// guarded by its own mutex.
//
// # Caveats
//
// The 21600-minute (15-day) candle has no canonical interval: it is folded
// from daily candles, in buckets aligned to multiples of 15 days since the
// Unix epoch, and decoders leave it out of the cassette index. No candle
// opens before Kraken did (Launch).
package kraken
