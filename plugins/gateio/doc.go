// Package gateio serves Gate's API v4 for the ids gate_io_spot and
// gate_io_perpetual (USDT-settled perpetual futures).
//
// Both ids serve the whole public market-data surface a Gate client uses,
// because real clients mix them (ccxt reads spot time and currencies even
// for futures):
//
//	GET /api/v4/spot/time, /spot/currencies[/{currency}],
//	    /spot/currency_pairs[/{pair}], /spot/tickers, /spot/candlesticks
//	GET /api/v4/margin/currency_pairs
//	GET /api/v4/futures/{settle}/contracts[/{contract}], /tickers, /candlesticks
//	GET /api/v4/delivery/{settle}/contracts, /api/v4/options/underlyings (empty)
//	WS  /ws/v4/ (spot.candlesticks, spot.ping), /v4/ws/{settle}
//	    (futures.candlesticks, futures.ping)
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
