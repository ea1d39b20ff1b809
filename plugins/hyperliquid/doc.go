// Package hyperliquid serves Hyperliquid's public API for the ids
// hyperliquid_spot and hyperliquid_perpetual.
//
// Hyperliquid has one REST endpoint, POST /info, whose JSON body's "type"
// selects the query, and one WS endpoint, /ws:
//
//	POST /info {"type":"candleSnapshot","req":{"coin","interval","startTime","endTime"}}
//	POST /info {"type":"meta"|"metaAndAssetCtxs"|"spotMeta"|"spotMetaAndAssetCtxs"|
//	            "perpDexs"|"allMids"|"exchangeStatus"}
//	POST /info {"type":"recentTrades","coin"}, {"type":"fundingHistory","coin","startTime","endTime"}
//	POST /info {"type":"l2Book","coin","nSigFigs"?,"mantissa"?} (env.Books, book.go)
//	WS   /ws   {"method":"subscribe","subscription":{"type":"candle","coin":"BTC","interval":"1m"}},
//	           also {"type":"trades"|"bbo"|"activeAssetCtx"|"l2Book","coin"} and {"type":"allMids"}
//	           {"method":"ping"} → {"channel":"pong"}
//
// Trades come from env.Tape (recentTrades: the latest 10, oldest first);
// asset contexts' day figures from cc.RollingStats, midPx and impactPxs
// from the touch (env.Quotes), markPx, oraclePx, funding, premium and
// openInterest from env.Derivs; fundingHistory lists the hourly
// settlements in the range, 500 at most, each with its hour's premium.
//
// Candles are objects {t, T, s, i, o, c, h, l, v, n} (ms times, decimal
// strings, trade count), oldest first, at most 5000 per request; the range
// [startTime, endTime] is inclusive and the candle in progress is
// included; only the most recent 5000 candles of an interval exist. A
// body that does not deserialize gets HTTP 422 with a plain
// text "Failed to deserialize the JSON body into the target type: ..."
// message, as Hyperliquid's server does.
//
// # Coins
//
// Perpetuals are named by their base ("BTC"), quoted and settled in USDC.
// Spot pairs are named "@<index>" from spotMeta's universe ("PURR/USDC"
// for index 0): BASE-QUOTE pairs are served as Hyperliquid's Unit tokens
// against USDC where Hyperliquid has them (BTC → UBTC "Unit Bitcoin" at
// @142, ETH → UETH at @151, SOL → USOL at @156), other bases keep their
// name at an index derived from the pair name. USD-like quotes (USDT, USD)
// become USDC. The spot asset-context array is indexed by universe index,
// so slots between served pairs hold zeroed contexts.
//
// # Caveats
//
// Prices keep the synthetic market's precision rather than Hyperliquid's
// five significant figures. WS candle pushes carry no event time nor a
// closed flag: decoded pushes are reported as in progress with EventTime
// 0; the candle is final once a push for the next one arrives.
//
// # Concurrency
//
// The plugin values are stateless; handlers are safe for concurrent use.
package hyperliquid
