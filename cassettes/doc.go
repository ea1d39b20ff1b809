// Package cassettes is the cassette file format: one bbolt file holding
// everything a recording session saw of an exchange, so replay can serve
// it back offline.
//
// # Basics
//
// Open a cassette with Open(path, mode, *Options), bbolt style; nil options
// mean defaults. A cassette holds:
//
//   - a meta record (Meta): format version, exchange id, tool version,
//     upstream URLs, creation time, recorded time range and totals;
//   - every REST interaction (Interaction) in recording order, indexed by a
//     match key (MatchKey: method, path, sorted query without volatile
//     params, body digest) so replay can find the recordings of a request
//     (Matches, Lookup) in the order they were made;
//   - every WS connection (Conn) and its frames (Frame) with direction,
//     opcode and offset from the connection start (Frames, StreamFrames);
//   - a candle index per (symbol, interval), keyed by open time (Candles,
//     Coverage, Series). A final candle is never replaced; an in-progress
//     one is replaced by any later recording of the same candle.
//   - a trades index per symbol (trades.go): the trades plugins decode
//     from recorded trade bodies and frames (plugins.TradeDecoder) or an
//     import reads from trades files, deduped by trade id, in sealed
//     blocks of a minute (IndexedTrades, TradeBlocks, TradeSpans).
//   - a books index per symbol (books.go): the order book snapshots and
//     diffs plugins decode from recorded depth bodies and frames
//     (plugins.BookDecoder), in time order, in sealed blocks of a minute
//     (AddBooks, BookRecords, BookSpans).
//
// Bodies and frames are zstd-compressed with one shared encoder and
// decoder (EncodeAll/DecodeAll); interaction records (method, path,
// headers, body or template) with a static raw dictionary of the strings
// exchange APIs and clients repeat (dict.go, RecordDictionary), which
// halves a recorded page's record. Candles are stored in blocks of up to
// 1000 candle lengths, column by column as residuals from simple
// predictions (open from the previous close, quote volume from volume ×
// typical price, ...), each value split into a Huffman-coded size class
// and raw low bits (block4.go). Block kinds are read through one codec
// table (blockcodec.go); only the newest kind is written, and the older
// kinds that files in the field hold are read by the legacy reader
// (block_legacy.go) until a change rewrites their block in the newest
// kind. A window read decodes only the rows it returns. A candle
// response body is stored as a template over the index: the body with the
// values of indexed final candles cut out and references to put them back
// (template.go); it is rebuilt byte for byte on read, and the writer
// checks that before choosing it. Together these keep a recorded stream of
// klines to a small fraction of its raw size (BenchmarkRecordKlines in
// package record measures it).
//
// Writes (AddInteraction, AddCandles, BeginConn, AddFrame, EndConn) are
// queued to one background writer that commits them in batches, one bbolt
// transaction per batch of at most Options.BatchItems items or
// Options.FlushInterval. A crash loses at most the batch in memory; bbolt's
// copy-on-write commit means the file always opens at the last committed
// batch. Close (and Flush) commit what is queued.
//
// Everything given to save first passes the caller's BeforeSave stage
// (Hooks, go-vcr's BeforeSaveHook; the recorder owns it), then secrets
// are redacted, before anything is queued. The package knows only
// generic names: DefaultSecretHeaders in requests and responses,
// DefaultSecretParams in queries (so in match keys), WS URLs, form and
// JSON request bodies, JSON response bodies and client WS frames, and
// generic login verbs. An exchange's own names come in Options.Secrets
// (the recorder passes what the plugins declare) and Options.Redact. A
// client message that logs in (an op, method, event, action, type or
// channel such as auth, login, x.logon, or one of Secrets.LoginOps)
// loses every string but those saying what it is and when; a text frame
// that logs in in words ("login KEY SIG") keeps only its first word. WS
// URL path segments and streams= names that look like tokens (16 or more
// letters and digits, no '@' or '.') are redacted: a listen key as
// /ws/<listenKey>. Values become "REDACTED"; numbers are never secrets.
// The values so redacted (except per-request signatures) are remembered
// and scrubbed wherever they recur, header values and server frames
// included: a listen key handed out in a response and then used in a WS
// path, an API key echoed in a body. A response body is then no longer
// byte for byte what the client got.
//
// From format 3 every stored value (candle blocks, interaction records,
// match entries, WS connection and frame records, the meta record and the
// series list) ends in a CRC-32C of its key and payload, checked once per
// value read, before decoding (checksum.go). What no checksum covers is
// held to sealed counts: the series list names every series and its
// candle count, frame chunks follow on from sequence 1 up to the count
// their connection record holds, and a read-only open checks both bbolt
// meta pages and walks the page tree for references out of range or
// reached twice (pagecheck.go). Verify reads and checks everything,
// bbolt's tx.Check included. Formats 1 and 2 have no checksums and are
// read as they are; a writable open leaves them unsealed.
//
// # Several exchanges in one file
//
// One bot session talks to several exchanges; format 4 keeps them in one
// file (file.go). OpenFile opens a file with every exchange it holds, or
// creates one of none; File.Exchange gives (or, writing, adds) one
// exchange as a Cassette whose buckets are those above, under
// exchanges/<id>/, with its own meta record, match keys, connections,
// candle index, writer and options (redaction, BeforeSave, volatile
// params). The file's meta record lists the exchange ids. Files of
// formats 1 to 3 hold one exchange at the top level and open through
// OpenFile as a File of that one. Open keeps creating format-3
// (single-exchange) files, and opens one exchange of a format-4 file
// (Options.Exchange, or the only one it holds). Verify and Summarize on a
// File cover every exchange; damage is named by its full bucket path.
//
// # Concurrency
//
// Reads are safe from any number of goroutines, also while writing. A
// read-write Open takes an exclusive file lock, a ReadOnly open a shared
// one, so several replay processes can share a cassette while no two
// recorders can.
//
// # Caveats
//
// A file that is not a cassette, has a format outside OldestFormat to
// FormatVersion, is truncated, damaged or locked gives ErrNotCassette,
// ErrVersion, ErrTruncated, ErrCorrupt or ErrLocked, never a panic: reads
// run with faults turned into panics and panics into ErrCorrupt. A value
// that fails its checksum gives ErrChecksum (an ErrCorrupt) inside a
// *CorruptError naming the bucket and key; a damaged value never decodes
// to other data in a sealed cassette. In formats 1 and 2 a damaged value
// may still decode to other numbers. Server WS frames are not parsed for
// secrets, only scrubbed of the learned ones. Stored bodies are the
// decoded bodies; see Interaction.
package cassettes
