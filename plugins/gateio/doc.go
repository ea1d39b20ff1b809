// Package gateio serves Gate's API v4 for the ids gate_io_spot and
// gate_io_perpetual (USDT-settled perpetual futures).
//
// Both ids serve the whole public market-data surface a Gate client uses,
// because real clients mix them (ccxt reads spot time and currencies even
// for futures):
//
//	GET /api/v4/spot/time, /spot/currencies[/{currency}],
//	    /spot/currency_pairs[/{pair}], /spot/tickers, /spot/candlesticks,
//	    /spot/trades, /spot/order_book (limit, with_id)
//	GET /api/v4/margin/currency_pairs
//	GET /api/v4/futures/{settle}/contracts[/{contract}], /tickers, /candlesticks
//	    (contract mark_X and index_X: the mark and index price candles),
//	    /trades, /funding_rate, /order_book
//	GET /api/v4/delivery/{settle}/contracts, /api/v4/options/underlyings (empty)
//	WS  /ws/v4/ (spot.candlesticks, spot.trades, spot.tickers,
//	    spot.order_book_update, spot.obu, spot.order_book, spot.ping),
//	    /v4/ws/{settle} (futures.candlesticks, futures.trades,
//	    futures.tickers, futures.order_book_update, futures.order_book,
//	    futures.ping)
//
// Order books come from env.Books (book.go): REST snapshots with their
// update id, diff streams with U/u that continue them.
//
// Trades come from env.Tape, newest first: limit (≤ 1000), last_id with
// reverse, from/to (a from without last_id selects the first trades from
// it, so a client pages forward by time), page (spot) or offset (futures);
// futures sizes are whole contracts (at least one), negative for a taker
// sell. Tickers are cc.RollingStats over 24 hours with change_utc0/utc8
// since those midnights and the touch from env.Quotes right after their
// last trade (cc.Stats.Through); futures tickers and contract details
// carry mark, index, funding and open interest from env.Derivs. Without a
// tape or derivatives those routes answer 503 SERVER_ERROR.
//
// Spot candles are rows of strings [t seconds, quote volume, close, high,
// low, open, base volume, window closed]; futures candles are objects
// {t, v contracts, c, h, l, o, sum quote volume}. Both come oldest first.
// Errors are {"label": ..., "message": ...} with HTTP 400 (404 for
// unknown routes, 500 for injected server errors). As Gate does, limit
// together with from/to is rejected, a range may hold at most 1000 (spot)
// or 2000 (futures) points, and spot candles reach 10000 points back.
//
// # Caveats
//
// Gate's 10s (and futures' 30s) intervals have no canonical equivalent:
// they are served by folding the market's 1s candles (REST and WS), and
// their listings are not decoded for the cassette index. Futures' 7d
// (seven days since the Unix epoch) is served as the canonical
// Monday-aligned week, like 1w. Futures listings carry no closed flag nor
// contract size: the decoder infers the size from sum ≈ v × size × price.
//
// # Concurrency
//
// The plugin values are stateless; handlers are safe for concurrent use.
package gateio
