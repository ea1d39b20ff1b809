package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/serve"
)

// How a tape answers, counts and (MissUpstream) fetches what it lacks;
// miss.go defines a miss.

// checkMissOptions validates opts' miss settings and spells OnMiss.
func checkMissOptions(opts *Options) error {
	mode, err := ParseOnMiss(string(opts.OnMiss))
	if err != nil {
		return err
	}
	opts.OnMiss = mode
	switch {
	case mode != MissSynth && opts.Cassette == "":
		return fmt.Errorf("replay: on-miss %s needs a cassette (without one everything is synthetic)", mode)
	case opts.RecordMissing && mode != MissUpstream:
		return fmt.Errorf("replay: record-missing appends what on-miss upstream fetches; on-miss is %s", mode)
	case len(opts.Upstreams) > 0 && mode != MissUpstream:
		return fmt.Errorf("replay: upstreams are where on-miss upstream forwards; on-miss is %s", mode)
	}
	return nil
}

// cassetteFile is a cassette file as replay reads it: *cassettes.File, or
// a single-exchange cassette opened for appending (singleFile).
type cassetteFile interface {
	Exchanges() []string
	Exchange(name string, opts *cassettes.Options) (*cassettes.Cassette, error)
	Meta() cassettes.Meta
	Close() error
}

// singleFile is a cassette of format 1 to 3 (one exchange) opened
// writable: cassettes.OpenFile reads those, but appends to them go through
// cassettes.Open, as record's do.
type singleFile struct{ c *cassettes.Cassette }

func (f singleFile) Exchanges() []string  { return []string{f.c.Meta().Exchange} }
func (f singleFile) Meta() cassettes.Meta { return f.c.Meta() }
func (f singleFile) Close() error         { return f.c.Close() }

func (f singleFile) Exchange(name string, _ *cassettes.Options) (*cassettes.Cassette, error) {
	if name != f.c.Meta().Exchange {
		return nil, fmt.Errorf("%w: %s holds %s only, not %s", cassettes.ErrNoSuchExchange, f.c.Path(), f.c.Meta().Exchange, name)
	}
	return f.c, nil
}

// openWritable opens opts.Cassette for RecordMissing: writable, under the
// exclusive lock record takes (a file another process writes, or reads,
// gives cassettes.ErrLocked after the lock timeout), each exchange's part
// with the options record opens it with (the plugins' secrets redacted,
// their volatile params out of the match keys).
func openWritable(opts Options) (cassetteFile, error) {
	ro, err := cassettes.OpenFile(opts.Cassette, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	ids, multi := ro.Exchanges(), ro.Multi()
	if err := ro.Close(); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	coOf := func(id string) (cassettes.Options, error) {
		up := opts.Upstreams[id]
		return record.CassetteOptions(id, cassettes.Options{}, up.REST, up.WS, nil)
	}
	wrap := func(err error) error {
		return fmt.Errorf("replay: --record-missing opens %s for writing: %w", opts.Cassette, err)
	}
	if !multi {
		co, err := coOf(ids[0])
		if err != nil {
			return nil, err
		}
		c, err := cassettes.Open(opts.Cassette, 0, &co)
		if err != nil {
			return nil, wrap(err)
		}
		return singleFile{c}, nil
	}
	f, err := cassettes.OpenFile(opts.Cassette, 0, &cassettes.Options{})
	if err != nil {
		return nil, wrap(err)
	}
	for _, id := range ids {
		co, err := coOf(id)
		if err == nil {
			// Opened now with record's options; the tape gets this view.
			_, err = f.Exchange(id, &co)
		}
		if err != nil {
			f.Close()
			return nil, wrap(err)
		}
	}
	return f, nil
}

// setMisses sets what the tape of opts.Exchange does with a miss, and
// where it counts hits and misses.
func (t *tape) setMisses(opts Options, u *usage) error {
	t.mode, t.u = opts.OnMiss, u
	t.streams, t.appended = map[string]int64{}, map[string]bool{}
	if opts.OnMiss != MissUpstream {
		return nil
	}
	var cas *cassettes.Cassette
	if opts.RecordMissing {
		cas = t.c
		t.index.live = true
	}
	fwd, err := record.NewForwarder(record.ForwardOptions{
		Exchange:     opts.Exchange,
		UpstreamREST: opts.Upstreams[opts.Exchange].REST,
		Cassette:     cas,
		Transport:    opts.UpstreamTransport,
		Logger:       opts.Serve.Logger,
	})
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	t.fwd = fwd
	p, _ := plugins.Lookup(opts.Exchange) // NewForwarder looked it up
	up := opts.Upstreams[opts.Exchange]
	t.wsUpstream = wsBase(up.WS, up.REST, p)
	return nil
}

// closeForwarder records what MissUpstream queued; the cassette closes
// after.
func (t *tape) closeForwarder() error {
	if t.fwd == nil {
		return nil
	}
	if err := t.fwd.Close(); err != nil {
		return fmt.Errorf("replay: appending to the cassette: %w", err)
	}
	return nil
}

// newRecordedREST is the REST handler over the tape for p, next serving
// what no recorded interaction matches.
func (t *tape) newRecordedREST(p plugins.Plugin, d *damage, next http.Handler) *recordedREST {
	h := newRecordedREST(t.c, p, t.times, d, next)
	h.tape = t
	t.useMu.Lock()
	t.rests = append(t.rests, h)
	t.useMu.Unlock()
	return h
}

// hit tells the front and the counts that r was answered from src.
func (t *tape) hit(r *http.Request, src serve.Source) {
	serve.NoteSource(r, src)
	if t.u != nil {
		t.u.hit(src)
	}
}

// serveIndexed serves r from the plugin over the index (a recorded candle
// listing under a shifted clock), telling the front where the answer came
// from.
func (h *recordedREST) serveIndexed(w http.ResponseWriter, r *http.Request) {
	h.serveFrom(w, r, &sourceSlot{})
}

// serveBook serves a recorded depth snapshot request from the plugin
// over the books, at now: from the index (the recorded book rebuilt) when
// inside, else from the synthetic market past the recording — counted as
// served from there, not as a miss (the request is a recorded one).
func (h *recordedREST) serveBook(w http.ResponseWriter, r *http.Request, inside bool) {
	slot := &sourceSlot{}
	slot.read.Store(true)
	slot.synth.Store(!inside)
	h.serveFrom(w, r, slot)
}

// serveFrom serves r from the plugin, noting the source slot says.
func (h *recordedREST) serveFrom(w http.ResponseWriter, r *http.Request, slot *sourceSlot) {
	sw := &sourceWriter{ResponseWriter: w, r: r, slot: slot, counted: h.tape.u.hit}
	h.serveNext(sw, r.WithContext(context.WithValue(r.Context(), sourceKey{}, slot)))
	sw.note()
}

// unmatched answers r, which no recorded interaction matches (key is its
// match key): from the index if the index alone answers it (a hit), else
// as the tape's mode says (a miss).
func (h *recordedREST) unmatched(w http.ResponseWriter, r *http.Request, body []byte, key string) {
	t := h.tape
	slot := &sourceSlot{}
	rs := r.WithContext(context.WithValue(r.Context(), sourceKey{}, slot))
	if t.mode == MissSynth || t.mode == "" {
		// Served as it comes, and classified once the plugin has read the
		// market.
		sw := &sourceWriter{ResponseWriter: w, r: r, slot: slot, counted: func(src serve.Source) {
			t.u.hit(src)
			if src != serve.SourceIndex {
				t.u.miss(h.plugin.Name(), "rest", key)
			}
		}}
		h.serveNext(sw, rs)
		sw.note()
		return
	}
	// Held until the plugin's answer is known to come from the index.
	held := newHeld()
	h.serveNext(held, rs)
	if slot.source() == serve.SourceIndex {
		t.hit(r, serve.SourceIndex)
		held.sendTo(w, r)
		return
	}
	t.u.miss(h.plugin.Name(), "rest", key)
	if t.mode == MissError || t.fwd == nil {
		missAnswer(w, h.plugin, key)
		return
	}
	t.hit(r, serve.SourceUpstream)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	t.fwd.ServeHTTP(w, r)
	if t.index.live {
		// Appended, not unused: the report leaves it out.
		t.useMu.Lock()
		t.appended[key] = true
		t.useMu.Unlock()
		h.forget(key)
	}
}

// forget drops what the handler remembers of key, so that the next such
// request looks in the cassette again (for what MissUpstream appended).
func (h *recordedREST) forget(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.byKey[key]
	if m == nil || len(m.ixs) > 0 {
		return
	}
	delete(h.byKey, key)
	for raw, v := range h.byRaw {
		if v == m {
			delete(h.byRaw, raw)
		}
	}
}

// StreamMissError refuses a WS subscription to a stream the cassette did
// not record, under MissError: the plugin answers it as the exchange
// answers a failed subscription (most send an error frame), and the
// session then closes with MissCloseCode (plugins.WSCloser).
type StreamMissError struct {
	Exchange string
	Stream   string // the stream label, "BTCUSDT 1m"
}

func (e *StreamMissError) Error() string {
	return fmt.Sprintf("candlecassette: stream %s is not in the cassette (--on-miss error)", e.Stream)
}

// WSClose implements plugins.WSCloser.
func (e *StreamMissError) WSClose() (int, string) {
	reason := "candlecassette: stream " + e.Stream + " not recorded"
	if len(reason) > 123 { // a close frame's reason
		reason = reason[:123]
	}
	return MissCloseCode, reason
}

var _ plugins.WSCloser = (*StreamMissError)(nil)

// streamMiss counts a subscription to (symbol, iv), which the cassette
// did not record, refuses it under MissError and serves it from the
// upstream under MissUpstream (upstreamws.go). handled is false when the
// synthetic feed is to serve it.
func (t *tape) streamMiss(ctx context.Context, p plugins.Plugin, symbol string, iv cc.Interval) (ch <-chan cc.Update, handled bool, err error) {
	if t == nil || t.u == nil {
		return nil, false, nil
	}
	label := cassettes.StreamLabel(symbol, iv)
	t.u.miss(p.Name(), "ws", missKeyPrefixWS+label)
	switch t.mode {
	case MissError:
		return nil, true, &StreamMissError{Exchange: p.Name(), Stream: label}
	case MissUpstream:
		if ch, ok, err := t.upstreamStream(ctx, p, symbol, iv); ok {
			return ch, true, err
		}
	}
	t.u.stream(serve.SourceSynthetic)
	return nil, false, nil
}

// streamHit counts a subscription to a recorded stream.
func (t *tape) streamHit(symbol string, iv cc.Interval) {
	if t == nil || t.u == nil {
		return
	}
	t.u.stream(serve.SourceExact)
	t.useMu.Lock()
	t.streams[cassettes.StreamLabel(symbol, iv)]++
	t.useMu.Unlock()
}

// errNoTape is what a Report of a server without a cassette says.
var errNoTape = errors.New("replay: no cassette is being replayed")
