// Package bybit serves Bybit's V5 public market-data API for two exchange
// ids: bybit_spot (category spot) and bybit_perpetual (category linear,
// USDT perpetuals).
//
// # REST
//
// GET /v5/market/kline answers as Bybit does: intervals 1 3 5 15 30 60 120
// 240 360 720 D W M, start/end in Unix ms (both inclusive), limit 1..1000
// (default 200, larger values are capped), rows newest first, every number a
// string. With start, the limit candles from start onwards are returned
// (what ccxt's paging expects); without it, the limit candles up to end (or
// now). The in-progress candle is included. Errors are HTTP 200 bodies with
// retCode 10001 ("Not supported symbols", "Invalid period!", ...).
//
// GET /v5/market/instruments-info, /v5/market/time and /v5/market/tickers
// are generated for the configured pairs, and
// /v5/market/mark-price-kline and /v5/market/index-price-kline for linear.
// A server answers only its own category with instruments; the categories
// ccxt's default loadMarkets also asks for (linear, inverse, option,
// status=PreLaunch) get valid empty lists.
//
// # WS
//
// /v5/public/spot or /v5/public/linear: {"op":"subscribe","req_id":..,
// "args":["kline.1.BTCUSDT"]} with the ack shape of that category,
// {"op":"ping"} answered with Bybit's pong, unknown fields (ccxt's
// callerMethodName) ignored. Pushes are {"topic","data":[{start,end,
// interval,open,close,high,low,volume,turnover,confirm,timestamp}],"ts",
// "type":"snapshot"} about every second of virtual time, with confirm true
// once the candle has closed.
//
// # Concurrency
//
// The Exchange values are immutable; handlers are safe for concurrent use.
package bybit
