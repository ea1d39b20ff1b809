// Package ascendex serves AscendEX's Pro API v1/v2 for the id
// ascend_ex_spot:
//
//	GET /api/pro/v1/barhist        symbol=BTC/USDT, interval 1,5,15,30,60,120,240,360,720,1d,1w,1m;
//	                               from/to ms (inclusive), n (default 10, at most 500)
//	GET /api/pro/v1/barhist/info   the intervals
//	GET /api/pro/v1/products, /api/pro/v1/cash/products, /api/pro/v1/assets,
//	    /api/pro/v2/assets, /api/pro/v1/exchange-info, /api/pro/v1/ticker,
//	    /api/pro/v1/spot/ticker, /api/pro/v1/trades (n ≤ 100, from env.Tape),
//	    /api/pro/v1/depth (env.Books, book.go),
//	    /api/pro/v2/futures/contract (empty)
//	WS  /api/pro/v1/stream, /api/pro/v2/stream (also under /{accountGroup}/):
//	    {"op":"sub","id":"1","ch":"bar:1:BTC/USDT"} → {"m":"sub","id":"1","ch":...,"code":0},
//	    pushes {"m":"bar","s":"BTC/USDT","data":{"i","ts","o","c","h","l","v"}};
//	    also trades:BTC/USDT ({"m":"trades",...}), bbo:BTC/USDT ({"m":"bbo",...})
//	    and depth:BTC/USDT ({"m":"depth",...} per seqnum), and the request
//	    {"op":"req","action":"depth-snapshot","args":{"symbol":...}},
//	    server pings {"m":"ping","hp":N} every 15 s answered by {"op":"pong","hp":N};
//	    {"op":"ping"} → {"m":"pong","code":0,"ts":...}
//
// Replies are {"code":0,"data":...}; errors are HTTP 200 with
// {"code":N,"reason":"...","message":"..."} (100001 INVALID_HTTP_INPUT,
// 100006 INVALID_ARGUMENT, 100008 SYMBOL_ERROR).
//
// # Bar ranges
//
// Bars whose ts lies in [from, to] are returned oldest first. Without
// from, the n most recent bars up to to (default now) are returned; with
// from, at most 500 bars, the most recent ones when the range holds more.
//
// # Caveats
//
// Bars carry no closed flag. A decoded listing marks its last bar in
// progress when the listing holds fewer bars than its range, i.e. when
// the range reached past the present.
//
// # Concurrency
//
// The plugin value is stateless; handlers are safe for concurrent use.
package ascendex
