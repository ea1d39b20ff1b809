// Package plugins holds the exchange plugin contract and the registry of
// plugins. Each exchange family lives in a sub-folder (binance/, bybit/,
// ...) and registers its plugins from init(); the command switches the
// built-ins on with blank imports of plugins/all.
//
// A plugin translates between an exchange's wire format and the normalized
// candle model in both directions: it serves REST and WS for a Market
// (Handler), and decodes recorded REST bodies and WS frames back into
// candles (DecodeCandles, DecodeFrame) for a cassette's index.
//
// # Concurrency
//
// Plugins are stateless values shared by every server; Handler may be
// called several times and each handler must be safe for concurrent use.
package plugins
