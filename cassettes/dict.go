package cassettes

import "github.com/klauspost/compress/zstd"

// An interaction record is a few hundred bytes of method, path, query,
// match key and headers (a candle listing's body is a template over the
// index), and zstd compresses so little input poorly: the strings every
// exchange API and HTTP client repeat are spelled out in every record.
// recordDict gives zstd those strings as history, the way HPACK's static
// table or brotli's dictionary do for HTTP: a recorded klines page's
// record shrinks by about half. The dictionary is fixed by its ID: records
// written with it name it in their zstd frame header, records without it
// (every cassette written before it) decode as before, and changing a byte
// of it needs a new ID.
const recordDictID = 0x63630001 // "cc" 0001

var recordDict = buildRecordDict()

// buildRecordDict lays the common strings out as the record encoders write
// them (length-prefixed; header values after their count), so that a
// match covers the prefixes too. Later bytes are cheaper to refer to, so
// the most common come last.
func buildRecordDict() []byte {
	var b []byte
	// Paths of the candle and metadata endpoints of the exchanges served.
	for _, p := range []string{
		"/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo", "/api/v3/uiKlines", "/fapi/v1/klines",
		"/v5/market/instruments-info", "/v5/market/kline", "/api/v5/public/instruments",
		"/api/v5/market/history-candles", "/api/v5/market/candles", "/api/v3/brokerage/market/products",
		"/products", "/candles", "/0/public/AssetPairs", "/0/public/OHLC", "/api/v1/symbols",
		"/api/v1/market/candles", "/api/v1/contracts/active", "/api/v1/kline/query",
		"/api/v4/spot/currency_pairs", "/api/v4/spot/candlesticks", "/api/v4/futures/usdt/contracts",
		"/api/v4/futures/usdt/candlesticks", "/api/v1/contract/detail", "/api/v1/contract/kline/",
		"/info", "/api/pro/v1/products", "/api/pro/v1/barhist", "/api/pro/v2/futures/contract",
		"/api/v3/klines",
	} {
		b = appendString(b, p)
	}
	// Query parameters, values and symbols.
	b = append(b, "category=spot&category=linear&instType=SPOT&instType=SWAP&granularity=60&granularity=ONE_MINUTE"+
		"&currency_pair=BTC_USDT&contract=BTC_USDT&settle=usdt&pair=XBTUSDT&since=&type=1min&from=&to=&n=&after=&before="+
		"&bar=1m&instId=BTC-USDT&instId=BTC-USDT-SWAP&start=&end=&startAt=&endAt=&timeZone=0"+
		"&symbols=[\"BTCUSDT\",\"ETHUSDT\"]&symbol=ETHUSDT&symbol=SOLUSDT&symbol=BTC-USDT&symbol=BTC_USDT"+
		"&interval=1s&interval=5m&interval=15m&interval=1h&interval=4h&interval=1d&limit=100&limit=500&limit=1500"...)
	for _, m := range []string{"POST", "GET"} {
		b = appendString(b, m)
	}
	// Headers, in appendHeader's layout: name, one value.
	for _, h := range [][2]string{
		{"Accept", "*/*"},
		{"Accept", "application/json"},
		{"Accept-Encoding", "gzip, deflate, br"},
		{"Accept-Encoding", "gzip"},
		{"Connection", "keep-alive"},
		{"Cache-Control", "no-cache, no-store, must-revalidate"},
		{"Vary", "Accept-Encoding"},
		{"Server", "nginx"},
		{"Content-Type", "application/json"},
		{"Content-Type", "application/json; charset=utf-8"},
		{"User-Agent", "ccxt/4.5.84 (+https://github.com/ccxt/ccxt) Node.js/v20"},
		{"User-Agent", "Go-http-client/1.1"},
		{"Content-Length", "1"},
		{"Content-Type", "application/json;charset=UTF-8"},
		{"Date", "Mon, 02 Jan 2026 15:04:05 GMT"},
		{"X-Mbx-Used-Weight", "1"},
		{"X-Mbx-Used-Weight-1m", "1"},
	} {
		b = appendString(b, h[0])
		b = appendUvarint(b, 1)
		b = appendString(b, h[1])
	}
	// The common klines requests, as path, query and match key.
	b = appendString(b, "GET")
	b = appendString(b, "/api/v3/klines")
	b = appendString(b, "symbol=BTCUSDT&interval=1m&limit=1000&startTime=1700000000000&endTime=1700000000000")
	b = appendString(b, "GET /api/v3/klines?endTime=1700000000000&interval=1m&limit=1000&startTime=1700000000000&symbol=BTCUSDT")
	return b
}

// RecordDictionary returns the ID and content of the raw zstd dictionary
// interaction records are compressed with. A reader that opens a cassette
// with bbolt and zstd alone registers it (klauspost/compress:
// zstd.WithDecoderDictRaw(id, content)); records written before it
// existed name no dictionary.
func RecordDictionary() (id uint32, content []byte) {
	return recordDictID, append([]byte(nil), recordDict...)
}

// recordEncoder compresses interaction records with recordDict.
var recordEncoder, _ = zstd.NewWriter(nil,
	append(encoderOptions[:len(encoderOptions):len(encoderOptions)], zstd.WithEncoderDictRaw(recordDictID, recordDict))...)
