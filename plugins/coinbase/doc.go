// Package coinbase is the coinbase_advanced_trade plugin: Coinbase's
// Advanced Trade public market-data API (REST under /api/v3/brokerage/market,
// the server time, and the Coinbase App v2 currency and time endpoints that
// clients such as ccxt call while loading markets) and the Advanced Trade
// market-data WebSocket feed's candles and heartbeats channels, served at
// the root path of the same listener.
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
