// Package binance serves Binance's market-data API over a cc.Market: the
// spot API (binance_spot: /api/v3/..., wss://stream.binance.com:9443) and
// the USD-M futures API (binance_perpetual: /fapi/v1/...,
// wss://fstream.binance.com), exchange-native down to error codes and
// messages, so that real clients (go-binance, ccxt, python-binance) work
// with only their base URLs changed.
//
// # Basics
//
// Both plugins register themselves from init(); the serving stack finds
// them with plugins.Lookup. REST and WS share one handler: /ws, /ws/<x>,
// /stream and, for futures, /market/... and /public/... are upgraded to
// WebSocket, everything else is REST. Kline streams push the candle in
// progress on Binance's cadence and the final candle (x:true) at its close.
//
// Both servers also answer the other family's exchangeInfo
// (/api/v3, /fapi/v1, /dapi/v1), because ccxt's default loadMarkets asks
// for all three on one host.
//
// # Concurrency
//
// A Plugin is immutable; its handlers are safe for concurrent use. Each WS
// connection has one reader (the protocol) and one writer (the session).
//
// # Caveats
//
//   - Spot klines clamp limit above 1000 to 1000 as Binance does; futures
//     reject limit outside [1, 1500] with -1130.
//   - Only kline, ticker and miniTicker streams (and, on futures,
//     continuousKline and markPrice) carry data. Other stream names are accepted and listed, as Binance
//     accepts any name, but stay silent.
//   - Klines start at the market's listing (spot 2017-08-17, USD-M
//     2019-09-25) however early startTime is, as on Binance.
//   - Kline streams push every 2 s (1 s for 1s) on spot and every 250 ms
//     on USD-M futures, Binance's documented speeds; futures serve no 1s.
//   - The mark and index prices follow the last price, so premium index
//     klines are zero and funding is a flat 0.01% every 8 hours.
//   - Trade ids are synthetic: a candle's first trade id is its open time in
//     milliseconds, so ids grow with time and never repeat across candles
//     of one interval.
package binance
