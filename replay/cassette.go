package replay

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
)

// Clock modes for Options.ClockMode.
const (
	// ClockRecorded starts the virtual clock at the start of the recording.
	ClockRecorded = "recorded"
	// ClockNow runs on real time and shifts every recorded timestamp so the
	// newest recorded candle is the current one.
	ClockNow = "now"
)

// tape is an open cassette being replayed: one exchange's part of it.
type tape struct {
	c     *cassettes.Cassette
	meta  cassettes.Meta
	index *cassetteIndex
	shift int64 // ms added to recorded candle times (--clock now)
	times timeShifter
	// trades is the trades index joined to the synthetic tape (trades.go),
	// set by mount before the market is built.
	trades *recordedTape
	clock  *cc.Clock
	// books is the books index joined to the synthetic books (books.go),
	// and bookNow the clock of the exchange served over it, both set by
	// mount: a recorded depth snapshot request is answered with the book
	// now where the recording holds it.
	books   *recordedBooks
	bookNow func() int64
	// d reports damaged reads (set by newServer).
	d *damage
	// file is the cassette file, closed with the tape that owns it (the
	// first, of a file of several exchanges); nil for the others.
	file cassetteFile

	// What a miss gets and where hits and misses are counted (miss.go,
	// missing.go): the mode, the Server's usage, the Forwarder of
	// MissUpstream, the REST handlers over this tape (their match counts
	// say which recorded interactions were used) and the recorded streams
	// subscribed.
	mode OnMiss
	u    *usage
	fwd  *record.Forwarder
	// wsUpstream is the WS base URL MissUpstream subscribes streams at.
	wsUpstream string
	useMu      sync.Mutex
	rests      []*recordedREST
	streams    map[string]int64
	// appended are the match keys MissUpstream added to the cassette
	// this session (RecordMissing).
	appended map[string]bool
}

// openCassette opens opts.Cassette read-only (so several servers may
// share it), with every exchange it holds.
func openCassette(opts Options) (cassetteFile, error) {
	if opts.RecordMissing {
		return openWritable(opts)
	}
	f, err := cassettes.OpenFile(opts.Cassette, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return f, nil
}

// openTape opens the exchange of f that opts names, or its only one,
// fills in opts.Exchange and adds its recorded symbols to opts.Pairs. The
// tape owns f: its close closes f, and so does a failure here.
func openTape(opts *Options, f cassetteFile) (*tape, error) {
	t, err := newTape(opts, f, time.Time{})
	if err != nil {
		f.Close()
		return nil, err
	}
	t.file = f
	return t, nil
}

// newTape opens the exchange of f that opts names (or f's only one) as a
// tape. from, if set, is where the recorded clock starts (the earliest
// recording of a file of several exchanges, so they share one clock).
func newTape(opts *Options, f cassetteFile, from time.Time) (*tape, error) {
	ids := f.Exchanges()
	switch {
	case opts.Exchange == "" && len(ids) == 1:
		opts.Exchange = ids[0]
	case opts.Exchange == "":
		return nil, fmt.Errorf("replay: cassette %s holds no exchange", opts.Cassette)
	case !slices.Contains(ids, opts.Exchange):
		return nil, fmt.Errorf("replay: cassette %s holds %s, not %s", opts.Cassette, strings.Join(ids, ", "), opts.Exchange)
	}
	c, err := f.Exchange(opts.Exchange, nil)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	t := &tape{c: c, meta: c.Meta(), index: newCassetteIndex(c)}
	p, err := plugins.Lookup(opts.Exchange)
	if err != nil {
		return nil, fmt.Errorf("replay: cassette %s: %w", opts.Cassette, err)
	}
	if err := t.addPairs(opts, p); err != nil {
		return nil, err
	}
	if err := t.setClock(opts, from); err != nil {
		return nil, err
	}
	return t, nil
}

// addPairs serves every recorded symbol, priced at its last recorded close
// so the synthetic fill starts where the recording is.
func (t *tape) addPairs(opts *Options, p plugins.Plugin) error {
	keys, err := t.c.Series()
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	pairs := opts.Pairs
	if len(pairs) == 0 {
		pairs = cc.DefaultPairs
	}
	pairs = append([]cc.Pair(nil), pairs...)
	have := map[string]bool{}
	for i := range pairs {
		pairs[i].Symbol = p.Symbol(pairs[i])
		have[pairs[i].Symbol] = true
	}
	for _, k := range keys {
		last, ok, err := t.c.Last(k.Symbol, k.Interval)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if !ok {
			continue
		}
		price := last.Close.Float64()
		if have[k.Symbol] {
			for i := range pairs {
				if pairs[i].Symbol == k.Symbol && opts.Pairs == nil {
					pairs[i].Price = price
				}
			}
			continue
		}
		have[k.Symbol] = true
		pair := splitSymbol(k.Symbol)
		pair.Symbol = k.Symbol
		pair.Price = price
		pairs = append(pairs, pair)
	}
	opts.Pairs = pairs
	return nil
}

// knownQuotes are tried, longest first, to split a native symbol such as
// BTCUSDT into base and quote when the cassette is all we know of it.
var knownQuotes = []string{"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH", "BNB", "TRY", "GBP", "JPY"}

func splitSymbol(sym string) cc.Pair {
	for _, sep := range []string{"-", "_", "/"} {
		if b, q, ok := strings.Cut(sym, sep); ok {
			return cc.Pair{Base: strings.ToUpper(b), Quote: strings.ToUpper(q)}
		}
	}
	up := strings.ToUpper(sym)
	for _, q := range knownQuotes {
		if strings.HasSuffix(up, q) && len(up) > len(q) {
			return cc.Pair{Base: up[:len(up)-len(q)], Quote: q}
		}
	}
	return cc.Pair{Base: up, Quote: "USD"}
}

// setClock builds the virtual clock from opts.ClockMode and opts.Speed;
// the recording starts at from, or if zero at the tape's own start.
func (t *tape) setClock(opts *Options, from time.Time) error {
	speed := opts.Speed
	if speed < 0 || math.IsNaN(speed) {
		return fmt.Errorf("replay: speed %v must be positive", speed)
	}
	now := time.Now()
	if from.IsZero() {
		from = t.meta.From
	}
	if from.IsZero() {
		from = t.meta.Created
	}
	switch mode := opts.ClockMode; mode {
	case "", ClockRecorded:
		t.clock = &cc.Clock{Base: from, Start: now, Speed: speed}
	case ClockNow:
		newest, ivs, err := t.index.latest()
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if len(ivs) > 0 {
			t.shift = shiftFor(newest, now.UnixMilli(), ivs)
		} else {
			t.shift = now.Sub(from).Milliseconds()
		}
		t.times = timeShifter{fromMs: from.UnixMilli(), toMs: t.meta.To.UnixMilli(), shift: now.Sub(from).Milliseconds()}
		if t.meta.To.IsZero() {
			t.times.toMs = t.times.fromMs
		}
		if speed == 0 || speed == 1 {
			t.clock = &cc.Clock{}
		} else {
			t.clock = &cc.Clock{Base: now, Start: now, Speed: speed}
		}
	default:
		at, err := time.Parse(time.RFC3339, mode)
		if err != nil {
			return fmt.Errorf("replay: --clock %q: want recorded, now or an RFC3339 instant", mode)
		}
		t.clock = &cc.Clock{Base: at, Start: now, Speed: speed}
	}
	return nil
}

// market serves the cassette's index, filled in by syn, on the tape's
// time shift.
func (t *tape) market(syn Synthetic) cc.Market {
	fm := &FilledMarket{Recorded: t.index, Synth: syn}
	if t.trades != nil {
		fm.Trades = t.trades
	}
	var m cc.Market = fm
	if t.shift != 0 {
		m = shiftedMarket{inner: m, shift: t.shift}
	}
	return guardedMarket{inner: notingMarket{m}, d: t.d}
}

func (t *tape) feed(p plugins.Plugin, live cc.Feed) cc.Feed {
	return &recordedFeed{c: t.c, plugin: p, clock: t.clock, live: live, shift: t.shift, d: t.d, cache: map[string][]timedUpdate{}, tape: t}
}

// close closes the cassette file if this tape owns it.
func (t *tape) close() error {
	if t.file == nil {
		return nil
	}
	return t.file.Close()
}
