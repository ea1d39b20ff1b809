package replay

import (
	"context"
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
	"github.com/candlecassette/candlecassette/synth"
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

// addPairs serves every recorded symbol, and sets the synthetic market's
// level where the recording ends (unless --pairs gave the prices): the
// synthetic fill is a market of its own, and a price at one instant sets
// it all (candles, trades, books, touch and marks scale with it), so each
// recorded symbol's market is made to pass the recording's last price
// (recordedLevels) at the instant of it. Started at that price instead,
// it had wandered by then (BTC at 37,800 against a recording's 65,400),
// and past the recording the trades, books and tickers came from another
// price level than the recording's and the candles bridged to it.
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
	var given []cc.Pair // priced by --pairs: their prices are kept
	if opts.Pairs != nil {
		given = pairs
	}
	for _, k := range keys {
		if !have[k.Symbol] {
			have[k.Symbol] = true
			pair := splitSymbol(k.Symbol)
			pair.Symbol = k.Symbol
			pairs = append(pairs, pair)
		}
	}
	levels, err := recordedLevels(t.c, keys)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	for _, g := range given {
		delete(levels, g.Symbol)
	}
	if len(levels) > 0 {
		anchorPairs(pairs, levels, opts.Seed, p.Name())
	}
	opts.Pairs = pairs
	return nil
}

// level is a recorded price and its instant (Unix µs).
type level struct {
	at    int64
	price float64
}

// recordedLevels is each recorded symbol's last price: the latest of its
// last candle's close (at its close time), its last recorded trade and
// its last recorded book's mid. The last candle is, of each interval's
// last, the one that opened latest, the finest on a tie: its close is
// the price at its close time or, in progress, near the recording's end,
// where a coarser interval's last candle, holding the same close, closes
// hours or days later (the market would be made to pass the price then).
func recordedLevels(c *cassettes.Cassette, keys []cassettes.SeriesKey) (map[string]level, error) {
	out := map[string]level{}
	note := func(sym string, at int64, price float64) {
		if price > 0 && !math.IsInf(price, 0) && at >= out[sym].at {
			out[sym] = level{at, price}
		}
	}
	lastCandle := map[string]cc.Candle{}
	for _, k := range keys {
		last, ok, err := c.Last(k.Symbol, k.Interval)
		if err != nil {
			return nil, err
		}
		b, seen := lastCandle[k.Symbol]
		if ok && (!seen || last.OpenTime > b.OpenTime || last.OpenTime == b.OpenTime && last.CloseTime < b.CloseTime) {
			lastCandle[k.Symbol] = last
		}
	}
	for sym, cd := range lastCandle {
		note(sym, cd.CloseTime*1000, cd.Close.Float64())
	}
	trades, err := c.TradeSpans()
	if err != nil {
		return nil, err
	}
	for _, sp := range trades {
		blocks, err := c.TradeBlocks(sp.Symbol)
		if err != nil {
			return nil, err
		}
		if len(blocks) == 0 {
			continue
		}
		rows, err := c.TradeBlockRows(sp.Symbol, blocks[len(blocks)-1].Start)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			note(sp.Symbol, r.Time, r.Price.Float64())
		}
	}
	books, err := c.BookSpans()
	if err != nil {
		return nil, err
	}
	for _, sp := range books {
		recs, err := c.BookRecords(sp.Symbol, sp.Last-60_000_000, sp.Last+1)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.Snapshot && len(r.Bids) > 0 && len(r.Asks) > 0 {
				note(sp.Symbol, r.Time, (r.Bids[0].Price.Float64()+r.Asks[0].Price.Float64())/2)
			}
		}
	}
	return out, nil
}

// anchorPairs sets the start price of each pair with a recorded level so
// that the synthetic market of seed passes that level at its instant: the
// market's prices scale with the start price, so one run at the price
// the pair has (its level, when it has none) gives the factor. The
// market's price there is the close of its 1s candle holding the instant
// (a candle level's own close, at the minute's last ms): the touch would
// take the second's trade tape, ten times the time, and replay's start
// is to stay well under 50 ms.
func anchorPairs(pairs []cc.Pair, levels map[string]level, seed uint64, exchange string) {
	for i := range pairs {
		if lv, ok := levels[pairs[i].Symbol]; ok && pairs[i].Price <= 0 {
			pairs[i].Price = lv.price
		}
	}
	m := synth.New(synth.Options{Seed: seed, Exchange: exchange, Pairs: pairs})
	ctx := context.Background()
	for i := range pairs {
		lv, ok := levels[pairs[i].Symbol]
		if !ok {
			continue
		}
		sec := lv.at / 1_000_000 * 1000 // ms
		cs, err := m.Candles(ctx, pairs[i].Symbol, cc.Interval1s, sec, sec+1000, sec+999)
		if err == nil && len(cs) == 1 && cs[0].Close.Float64() > 0 {
			pairs[i].Price *= lv.price / cs[0].Close.Float64()
		}
	}
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
