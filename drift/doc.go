// Package drift compares two cassettes of the same exchange(s) and says
// how the exchange's API changed between them: `candlecassette diff A B`
// and `record --against OLD`.
//
// # Basics
//
// Diff (or Compare, on open files) reads every REST interaction and every
// server WS frame of both recordings and sums each endpoint and each
// stream into a schema over all its samples: the kinds a value took
// (object, array, string, numeric string, number, bool, null), the format
// of its numbers (integers, a fixed number of decimal places, trimmed
// places, scientific notation; quoted or bare), an object's keys and an
// array's lengths, elements and — for fixed-size rows such as Binance's
// kline of 12 — its positions. Values are not compared: prices that move
// between two recordings never count, a field that becomes a string,
// gains or loses a key, changes its decimal places or its type does.
//
// An endpoint is the request's method, its path with symbols templated
// (/products/{symbol}/candles) and the names of its query params, taken
// from the interaction's match key (volatile params left out); a POST to
// a single URL (Hyperliquid's /info) adds its body's discriminator
// ({type=candleSnapshot}). Answers are summed per endpoint in two
// schemas, 2xx bodies and the others (the error shape), beside the set of
// statuses and response media types. A stream is a WS connection path,
// templated; its server messages are grouped by kind, named by the
// members that say what a message is (e=kline, channel=candle1m,
// topic=kline.1.{symbol}); a protobuf frame (MEXC) is read without its
// schema, field by field, and named by its field 1 (the channel).
//
// A change is reported per place (Change): a key added, removed or
// renamed (a removed and an added key of the same schema), a type, a
// number format, an array length, positions of a row in another order
// (the columns that differ match one to one by kind and format), a list
// of rows keyed by a time (klines, candles: a first field that is an
// integer of 10 or more digits) that always ran one way and now runs the
// other (oldest first to newest first), a status
// or content type, an endpoint, stream or message kind only one side has,
// and a message kind renamed (one discriminator value changed, the schema
// the same).
//
// # Caveats
//
// A schema is what the samples show: a field that is null in one message
// in a thousand may show as a type change if only one side caught it,
// and a trimmed decimal field counts as a fixed number of places only
// once a sample proves the padding (a fraction of two or more places
// ending in 0). Decimal
// places follow a market's tick and lot sizes, and an endpoint's schema
// sums every market it was asked for: a session of other symbols, or a
// market whose tick size changed, shows as a number format change. Two columns
// of a row with the same kind and format may swap unnoticed. Object key
// order is not compared (no client relies on it). A protobuf field seen
// once is a scalar, seen twice an array.
//
// Bodies are read as the cassette stores them (decoded); one still gzip
// or zstd compressed (a coding the recorder could not undo) is
// decompressed first. A damaged cassette gives its error, never a
// partial report.
//
// # Concurrency
//
// Diff and Compare only read; they may run while nothing writes the files
// (a recording must be closed first: record --against diffs after Close).
package drift
