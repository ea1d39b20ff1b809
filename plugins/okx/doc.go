// Package okx serves OKX's V5 public market-data API for two exchange ids:
// okx_spot (instType SPOT, BTC-USDT) and okx_perpetual (instType SWAP,
// BTC-USDT-SWAP).
//
// # REST
//
// GET /api/v5/market/candles and /api/v5/market/history-candles answer as
// OKX does: bar 1m 3m 5m 15m 30m 1H 2H 4H, Hong Kong-aligned (UTC+8) 6H
// 12H 1D 2D 3D 1W 1M 3M, UTC-aligned 6Hutc 12Hutc 1Dutc 2Dutc 3Dutc 1Wutc
// 1Mutc 3Mutc, and 1s on history-candles only; after and before are
// exclusive cursors (older than, newer than); limit defaults to 100 and is
// capped at 300; rows are newest first as
// [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm], every value a string,
// confirm "0" for the candle in progress. /market/candles serves only the
// latest 1,440 bars (older windows are empty, as on OKX, and clients switch
// to history-candles). Errors use OKX's codes and statuses: 50014 and 51000
// with HTTP 400, 51001 (unknown instrument) with HTTP 200.
//
// Bars that match a canonical interval are read from the Market directly.
// The others (the Hong Kong-aligned bars, 2D/2Dutc and 3M/3Mutc) are
// aggregated from the Market's month, day, hour and minute candles covering
// each bar, so they agree with every other interval. OKX documents the
// UTC+8 alignment but not the epoch of 2D and 3D bars; they are taken as
// multiples of 2 and 3 days from the Unix epoch (shifted by 8 hours for the
// Hong Kong ones), which the canonical 3d interval also uses.
//
// The mark and index price listings (/api/v5/market/mark-price-candles,
// index-candles and their history- variants) take the same parameters,
// with at most 100 rows of [ts,o,h,l,c,confirm]; an index is named
// BASE-QUOTE (BTC-USDT) and is the perpetual's. On a perpetual both come
// from env.Derivs (the mark and index series, not the traded candles); a
// spot pair's (or a mode without derivatives) are its traded candles.
//
// Trades come from env.Tape: /api/v5/market/trades (the latest; limit
// default 100, capped at 500) and /api/v5/market/history-trades (type=1
// pages by tradeId, type=2 by ts in ms; after = older than, before = newer
// than; limit at most 100), newest first as
// {"instId","side","sz","px","source","tradeId","ts"}, a perpetual's sz in
// contracts. /api/v5/market/ticker and tickers are the rolling 24 hours
// (cc.RollingStats: exact at 1s, up to the last second closed, so last is
// the last trade's price), lastSz from the tape and the touch from
// env.Quotes right after that trade (cc.Stats.Through). From env.Derivs: /api/v5/public/mark-price (instType
// required; MARGIN lists spot pairs at their price), funding-rate (the
// next settlement's estimate, OKX's 00:00/08:00/16:00 UTC schedule, cap
// ±0.375%), funding-rate-history (fundingTime paging with after/before,
// limit default and max 400), open-interest (oi in contracts, oiCcy in
// base, oiUsd at the mark) and /api/v5/market/index-tickers (instId or
// quoteCcy). Order books come from env.Books (see books.go):
// /api/v5/market/books and books-full, and the books, books-l2-tbt,
// books50-l2-tbt, books5 and bbo-tbt channels with seqId/prevSeqId and
// OKX's CRC-32 checksum. /api/v5/system/status lists no maintenance. Without a tape or
// derivatives (a mode that has none) those routes answer 50001.
//
// GET /api/v5/public/instruments, /api/v5/public/time,
// /api/v5/market/ticker and /api/v5/market/tickers are generated for the
// configured pairs. A server lists only its own instrument type; the other
// types ccxt's default loadMarkets asks for (SWAP or SPOT, FUTURES, OPTION)
// get valid empty lists. Perpetuals have OKX's own contract value (ctVal)
// for well-known bases (BTC 0.01, ETH 0.1, XRP 100, ...), else the power of
// ten worth about 100 quote units at the pair's price; vol is in
// contracts, volCcy in base currency.
//
// # WS
//
// /ws/v5/business carries the candle channels (candle1m, candle1Dutc, ...):
// {"op":"subscribe","args":[{"channel","instId"}]} is acknowledged per
// channel with {"event":"subscribe","arg",...,"connId"}, errors are
// {"event":"error","code","msg","connId"} (60012 invalid request, 60018
// unknown channel or instrument, also for candles asked on /ws/v5/public),
// the text "ping" is answered with "pong", and a connection on which
// nothing moved for 30 seconds is closed. Pushes come about every 500ms of
// virtual time, with confirm "1" once the candle has closed. It also
// carries mark-price-candle<bar> and index-candle<bar> ([ts,o,h,l,c,confirm]
// from the derivatives' series).
//
// /ws/v5/public carries trades (one push per taker order: its prints
// summed, count, the last tradeId and seqId; each trade once, in order),
// tickers, mark-price and index-tickers (pushed when they change),
// funding-rate (every 30s) and open-interest (every 3s), each push
// {"arg":{"channel","instId"},"data":[{...}]} with the REST object.
//
// # Concurrency
//
// The Exchange values are immutable; handlers are safe for concurrent use.
package okx
