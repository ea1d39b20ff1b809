// Package mexc serves MEXC's spot API v3 (mexc_spot) and its futures
// contract API v1 (mexc_perpetual).
//
// Both ids serve the whole public market-data surface, since clients mix
// them (ccxt's default loadMarkets reads exchangeInfo and contract/detail):
//
//	GET /api/v3/ping, /time, /exchangeInfo, /defaultSymbols, /klines,
//	    /ticker/24hr, /ticker/price, /ticker/bookTicker, /trades, /aggTrades
//	GET /api/v1/contract/ping, /detail, /ticker, /kline/{symbol},
//	    /kline/fair_price/{symbol}, /kline/index_price/{symbol},
//	    /deals/{symbol}, /funding_rate/{symbol}, /funding_rate/history,
//	    /index_price/{symbol}, /fair_price/{symbol}
//	WS  /ws    spot: {"method":"SUBSCRIPTION","params":["spot@public.kline.v3.api.pb@BTCUSDT@Min1"]},
//	           also spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT and
//	           spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT; pushes are
//	           protobuf (PushDataV3ApiWrapper with publicSpotKline,
//	           publicAggreDeals or publicAggreBookTicker)
//	WS  /edge  contract: {"method":"sub.kline","param":{"symbol":"BTC_USDT","interval":"Min1"}},
//	           sub.deal (push.deal, an array of deals) and sub.ticker (push.ticker)
//
// Order books come from env.Books (book.go): GET /api/v3/depth and
// /api/v1/contract/depth/{symbol}, the protobuf spot@public.aggre.depth and
// spot@public.limit.depth channels (publicAggreDepths=313,
// publicLimitDepths=303), contract sub.depth and sub.depth.full.
//
// Trades come from env.Tape (spot trade and aggregate ids are null, as
// MEXC sends them; aggTrades' startTime/endTime at most an hour apart),
// tickers from cc.RollingStats with the touch from env.Quotes right after
// their last trade (cc.Stats.Through; bookTicker's is the touch now), and
// the contract's fair (mark) and index prices, funding and holdVol from
// env.Derivs; funding history pages (page_num, page_size) run from the
// contracts' listing, newest first.
//
// Spot klines are rows [open time, open, high, low, close, volume, close
// time, quote volume] (times in ms, numbers as strings, oldest first; the
// close time is the next candle's open, endTime is exclusive). Contract
// klines are column arrays {"time":[s...],"open":[...],...} of JSON
// numbers, at most 2000 per request, volume in contracts.
//
// # Protobuf
//
// The spot kline push is encoded by hand (protobuf wire format: varints
// and length-delimited fields) following MEXC's published schema
// (github.com/mexcdevelop/websocket-proto, PushDataV3ApiWrapper.proto and
// PublicSpotKlineV3Api.proto; the same field numbers are compiled into
// ccxt): wrapper fields channel=1, symbol=3, symbolId=4, createTime=5,
// sendTime=6, publicSpotKline=308; kline fields interval=1, windowStart=2,
// openingPrice=3, closingPrice=4, highestPrice=5, lowestPrice=6, volume=7,
// amount=8, windowEnd=9.
//
// # Caveats
//
// The protobuf kline has no "closed" flag: a decoded push is closed when
// its createTime reaches the window's end.
//
// # Concurrency
//
// The plugin values are stateless; handlers are safe for concurrent use.
package mexc
