// Package bulk moves candles in and out of cassettes in bulk, and keeps
// cassette files in order.
//
// Import reads exchange public-data archives (Binance's data.binance.vision
// kline files: spot, USD-M and COIN-M, monthly and daily, .zip, .csv or
// .gz, with or without a header row, ms or µs times, .CHECKSUM sidecars
// verified) and plain CSV/JSONL candles with a column mapping into a
// cassette's candle index, in one transaction (cassettes.Bulk): any bad
// file imports nothing, and candles already indexed are compared with the
// imported ones. Values are kept as exact decimals, digit for digit, so
// replay serves them back byte for byte. Files are parsed in a goroutine
// one chunk ahead of the index writes, and index blocks are encoded on
// every core.
//
// Export writes candles (recorded, synthetic from the market replay fills
// gaps with, or both) at any interval, aggregated from what is indexed,
// as CSV, JSONL or Parquet (parquet-go; typed columns, TIMESTAMP(MILLIS),
// DECIMAL at a per-column scale that holds every value exactly).
// ExportTrades writes trades from any cc.Tape (today the synthetic tape
// replay serves; Export with What trades) in the same three formats.
//
// Merge, Trim and Compact write a new cassette through a temp file renamed
// into place; every value of the result is sealed (merge and trim write
// through the cassette API, compact copies values and seals as they are).
package bulk
