// Package replay is the serving stack shared by the replay and synth modes:
// it puts an exchange plugin in front of a Market (a cassette's index with
// synthetic fill, or the synthetic market alone), on a virtual clock, behind
// the admin API, network simulation and rate limits.
//
// Server is also the in-process fixture for users' own Go tests: start one
// on 127.0.0.1:0, point a client at URL() and WSURL(), Close it at the end.
// Every built-in exchange is available by its id without further imports;
// plugins.Register adds others.
//
// Options.Exchanges serves several exchanges on one port, each under its
// real hostnames (proxy mode), over one synthetic market and one clock;
// see multi.go.
//
// A cassette of several exchanges (recorded with record.Options.Exchanges)
// is served whole by one server that picks the exchange by the request's
// host, as serve's proxy mode does (multitape.go); Options.Exchange serves
// one of them alone.
//
// # Trades
//
// A cassette's trades index (recorded trade bodies and frames, or
// imported trades files) is the plugin's Env.Tape, joined to the
// synthetic tape (trades.go): inside the recorded span of a symbol (its
// first to its last indexed trade) only recorded trades exist; outside
// it the replay seed's synthetic trades, their ids renumbered to run on
// from the recorded ones (down from the first before, up from the last
// after) so ids never repeat and keep increasing. --clock now moves trade
// times by the candles' shift. A candle the candle index lacks but the
// recorded trades cover (Binance's last price reads the 1s candle) is
// aggregated from those trades, so tickers agree with recorded trades.
// The touch (book tickers) stays synthetic.
//
// # Order books
//
// A cassette's books index (recorded REST depth bodies and WS book
// frames, plugins.BookDecoder) is Env.Books, joined to the synthetic
// books (books.go): inside a symbol's recorded span the book at any
// instant is rebuilt from the latest recorded snapshot plus the recorded
// diffs up to it, its Seq the recorded update id, so a REST snapshot
// served there chains with the replayed stream as on the exchange; Diffs
// are the recorded diffs. Outside the span the synthetic books, their ids
// moved to continue from the recorded ones without going backwards. A
// REST depth request recorded verbatim still replays verbatim.
//
// # Misses and the report
//
// A request the cassette cannot answer — no recorded interaction matches
// it and the candle index alone does not hold its window — or a WS
// subscription to a stream it did not record is a miss (miss.go).
// Options.OnMiss says what it gets: the synthetic market (MissSynth, the
// default), the exchange's own error body with status 501 and an
// X-Candlecassette-Miss header (MissError; a stream: the exchange's
// failed-subscription reply, then close 1008), or the real exchange
// (MissUpstream, through record.Forwarder; with RecordMissing the answer
// is appended to the cassette, opened writable under record's lock).
// Every mode logs each distinct miss once and counts it; Status shows the
// counts under "replay", and Report (or CloseReport, at exit) adds the
// recorded requests and streams never used and the faults injected.
//
// # Concurrency
//
// A Server is safe for concurrent use; Close may be called once.
package replay
