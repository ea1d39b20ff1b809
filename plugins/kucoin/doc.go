// Package kucoin holds the kucoin_spot and kucoin_perpetual plugins:
// KuCoin's public spot API (/api/v1/market/candles, /api/v2/symbols,
// /api/v3/currencies, /api/v1/market/allTickers, /api/v1/timestamp), the
// futures API (/api/v1/kline/query, /api/v1/contracts/active) and the
// token-based WebSocket feed both share: POST /api/v1/bullet-public hands
// out this server's own WS endpoint and a token, and the socket speaks
// KuCoin's welcome/subscribe/ack/ping/pong protocol with candle topics
// /market/candles:BTC-USDT_1min and /contractMarket/limitCandle:XBTUSDTM_1min.
//
// # Basics
//
// Spot candles are rows of strings [time(s), open, close, high, low,
// volume, turnover], newest first, at most 1500; futures candles are rows
// of numbers [time(ms), open, high, low, close, volume, turnover], oldest
// first, at most 500, with volume counted in contracts. Errors are
// {"code":"400100","msg":"..."}.
//
// Trades, tickers and the perpetual side come from the mode's market: spot
// /api/v1/market/histories (the last 100 trades of env.Tape),
// orderbook/level1 (last trade and env.Quotes' touch right after it, as
// every ticker showing a price has it; tickerV2's is the touch now),
// market/stats and allTickers (cc.RollingStats over 24 hours); futures
// /api/v1/ticker, allTickers, trade/history (sizes in contracts),
// mark-price and funding-rate current, contract/funding-rates (env.Derivs,
// 8-hour settlements capped at ±0.3%), and the unified account's
// /api/ua/v1/market/kline (mark, index and premium series) and
// open-interest that ccxt calls. WS topics /market/match:,
// /market/ticker:, /market/snapshot:, /contractMarket/execution:,
// /contractMarket/ticker:, /contractMarket/tickerV2: and
// /contract/instrument: push the same figures.
//
// Order books come from env.Books (book.go): orderbook/level2_20 and
// level2_100, the signed /api/v3/market/orderbook/level2, futures
// level2/snapshot and depth20/depth100, and the topics /market/level2:,
// /spotMarket/level2Depth5:/50:, /contractMarket/level2: and
// /contractMarket/level2Depth5:/50:.
//
// Both plugins serve each other's metadata endpoints: real clients talk to
// the spot and futures hosts, which here are one listener.
//
// # Concurrency
//
// The plugin values are stateless; each WS connection's state is its own.
package kucoin
