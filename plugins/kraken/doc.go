// Package kraken is the kraken_spot plugin: Kraken's public Spot REST API
// (/0/public/OHLC, Assets, AssetPairs, Ticker, Trades, Spread, Time,
// SystemStatus), the Spot
// WebSocket v2 feed at /v2 (ohlc, trade, ticker and heartbeat channels, ping/pong) and
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
// Trades, tickers and the touch come from the mode's market: Trades from
// env.Tape (rows [price, volume, time, side, type, misc, trade_id], count
// up to 1000; `since` in seconds or ns; `last` an ns cursor whose
// sub-microsecond digits count the prints of that microsecond already
// sent, so since=last pages join), Ticker from cc.DayStats ("today", since
// UTC midnight) and cc.RollingStats (24 hours) with a and b from
// env.Quotes right after the last trade (cc.Stats.Through, not now, up to
// a second later), Spread the touch second by second. WS v2 serves the
// trade channel (a snapshot of the last 50, then each trade once) and the
// ticker channel (rolling 24 hours; event_trigger trades or bbo); the book
// channel and /0/public/Depth serve env.Books with Kraken's CRC-32
// checksum (see book.go). Without
// a tape or quoter those answer EQuery:Unknown asset pair.
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
