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
// Beside klines: trades, historicalTrades and aggTrades from env.Tape;
// 24hr, rolling-window (/api/v3/ticker), price and book tickers and
// avgPrice from cc.WindowStats over the Market (exact at 1s) and the touch
// from env.Quotes (the 24hr ticker's right after its last trade,
// cc.Stats.Through; the book ticker's now); on USD-M premiumIndex,
// fundingRate, fundingInfo, openInterest, openInterestHist and
// mark/index/premium klines from env.Derivs; depth (the order book) from
// env.Books, whose top and update id the book tickers then show. Streams
// <s>@trade and <s>@aggTrade push the tape's trades once each as virtual
// time passes; <s>@depth[@100ms] the book's diffs, which the documented
// procedure keeps in sync with a depth snapshot, and <s>@depth5/10/20 its
// top (depth.go); <s>@bookTicker, !miniTicker@arr, !ticker@arr and
// !markPrice@arr[@1s] the rest. The WebSocket API (/ws-api/v3,
// /ws-fapi/v1) answers its methods from the same REST handlers in its own
// envelope. Spot honours X-MBX-TIME-UNIT: MICROSECOND (?timeUnit= on WS
// URLs) for every time it writes and takes microsecond startTime/endTime.
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
//   - Only the streams above carry data. Other stream names are accepted
//     and listed, as Binance accepts any name, but stay silent.
//   - Without a tape (a mode that has none) the trade endpoints answer
//     -1121 and the tickers' firstId/lastId are -1; without Books depth
//     answers -1121 and the depth streams stay silent; without Books or
//     Quotes the book ticker is the last price and one tick above; without Derivs the mark and
//     index follow the last price, premium klines are zero and funding is a
//     flat 0.01% every 8 hours (fundingRate and openInterest answer -1121).
//   - The WS API's codes for an unknown method (-1020) and a malformed
//     frame (-1013) are Binance's documented codes for those cases; their
//     exact wording is not published.
//   - Klines start at the market's listing (spot 2017-08-17, USD-M
//     2019-09-25) however early startTime is, as on Binance.
//   - Kline streams push every 2 s (1 s for 1s) on spot and every 250 ms
//     on USD-M futures, Binance's documented speeds; futures serve no 1s.
//   - Kline f/L trade ids are the tape's (cc.TradeIDs); without a tape
//     that numbers its trades, a candle's first trade id is its open time
//     in milliseconds.
package binance
