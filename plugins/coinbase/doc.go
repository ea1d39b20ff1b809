// Package coinbase is the coinbase_advanced_trade plugin: Coinbase's
// Advanced Trade public market-data API (REST under /api/v3/brokerage/market,
// the server time, and the Coinbase App v2 currency and time endpoints that
// clients such as ccxt call while loading markets) and the Advanced Trade
// market-data WebSocket feed's candles, market_trades, ticker, ticker_batch
// and heartbeats channels, served at the root path of the same listener.
//
// # Basics
//
// Products are spelled BASE-QUOTE (BTC-USD). Candle requests take a
// granularity enum (ONE_MINUTE ... ONE_DAY) and start/end UNIX seconds; the
// answer lists at most 350 buckets, newest first, with every number a
// string. The WS candles channel carries five-minute buckets, pushed about
// every second of virtual time: a "snapshot" event first, "update" events
// after.
//
// Market trades (products/{id}/ticker) are the newest `limit` (≤ 1000)
// trades of env.Tape in [start, end) seconds, newest first, with side the
// maker's as Coinbase reports it and best_bid/best_ask from env.Quotes.
// Products' price, 24h change and volumes are cc.RollingStats over the
// last 24 hours (the volume change against the 24 hours before), their mid
// the touch's. The touch shown with a price is the one right after its
// trade, the tape's last (cc.Stats.Through), not the one at now, up to a
// second newer. The market_trades channel sends a snapshot of the last 50
// trades then each new trade once; ticker sends the 24-hour figures when
// the price or touch moves, ticker_batch every five seconds. The level2
// channel and market/product_book serve env.Books (see book.go).
//
// # Concurrency
//
// The plugin value is stateless; each WS connection keeps its own sequence
// counter behind a mutex so that sequence_num grows in the order messages
// are queued.
//
// # Caveats
//
// Coinbase does not flag the in-progress bucket, so decoded candles are
// marked closed unless their close time is still in the future.
package coinbase
