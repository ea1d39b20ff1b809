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
// GET /v5/market/instruments-info and /v5/market/time are generated for
// the configured pairs. /v5/market/mark-price-kline,
// /v5/market/index-price-kline and /v5/market/premium-index-price-kline
// (linear only, 5 columns) come from env.Derivs' series.
//
// /v5/market/recent-trade is the tape's latest trades (env.Tape), newest
// first (spot limit 1..60 default 60, linear 1..1000 default 500), execId
// the trade id. /v5/market/tickers (category, symbol optional) is the
// rolling 24 hours (cc.RollingStats, exact at 1s, up to the last second
// closed) with the touch from env.Quotes right after their last trade
// (cc.Stats.Through); linear tickers add markPrice, indexPrice,
// fundingRate, nextFundingTime and openInterest (base coin) from
// env.Derivs. /v5/market/funding/history (limit 1..200 default 200;
// endTime pages back, startTime needs endTime) and /v5/market/open-interest
// (intervalTime 5min..1d, limit 1..200 default 50, nextPageCursor) come
// from env.Derivs; /v5/system/status lists no maintenance. Without a tape
// or derivatives those routes answer retCode 10016.
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
// publicTrade.{symbol} pushes the tape's new trades in batches, oldest
// first, each once ({T,s,S,v,p,i,BT,RPI}, and the tick direction L on
// linear); tickers.{symbol} pushes a snapshot of the category's ticker
// fields each time for spot and, for linear, a snapshot and then deltas of
// the fields that changed. orderbook.{depth}.{symbol} and
// /v5/market/orderbook serve env.Books (see books.go).
//
// # Concurrency
//
// The Exchange values are immutable; handlers are safe for concurrent use.
package bybit
