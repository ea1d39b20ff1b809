package replay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// maxRequestBody caps the request body read for matching.
const maxRequestBody = 1 << 20

// recordedREST answers a request with the recorded interaction whose
// normalized request matches it (volatile params ignored). The same
// request recorded several times replays in recorded order, then repeats
// the last. Anything unmatched goes to next: the plugin over the candle
// index and the synthetic market.
type recordedREST struct {
	c      *cassettes.Cassette
	plugin plugins.Plugin
	next   http.Handler
	// d reports damaged reads; serverError is what they are answered with.
	d           *damage
	serverError plugins.Response
	// times, when shifting, moves embedded timestamps; candle listings are
	// then left to the plugin, which serves the shifted index.
	times timeShifter

	mu sync.RWMutex
	// tape is what the handler serves and counts its hits and misses on
	// (missing.go).
	tape *tape

	// byKey holds the interactions of each match key looked up so far;
	// byRaw finds them again from a bodiless request's raw method, path
	// and query without normalizing it (bounded: volatile params such as
	// timestamp make every raw query new).
	byKey map[string]*matched
	byRaw map[string]*matched
}

// maxRawKeys bounds recordedREST.byRaw, and the unrecorded requests kept
// in byKey.
const maxRawKeys = 10_000

func (h *recordedREST) full() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.byKey) >= maxRawKeys
}

// matched is the recorded interactions of one match key and how many
// times they were replayed.
type matched struct {
	key  string // the match key
	ixs  []*cassettes.Interaction
	seen atomic.Int64
	// books holds what bookOf read of each recorded answer: a depth
	// snapshot's symbol, update id and time, or not one.
	booksMu sync.Mutex
	books   map[*cassettes.Interaction]recordedSnapshot
}

// recordedSnapshot is what a recorded answer says of a book: symbol ""
// when it is not one symbol's depth snapshot; seq its update id (0: the
// body names none) and at its instant (µs: the body's, else the time it
// was recorded).
type recordedSnapshot struct {
	symbol  string
	seq, at int64
}

// bookOf reads ix, one of m's, as a depth snapshot once.
func (m *matched) bookOf(p plugins.Plugin, r *http.Request, ix *cassettes.Interaction) recordedSnapshot {
	m.booksMu.Lock()
	defer m.booksMu.Unlock()
	if s, ok := m.books[ix]; ok {
		return s
	}
	var s recordedSnapshot
	if bd, ok := p.(plugins.BookDecoder); ok {
		if sets, err := bd.DecodeBook(r, ix.Body); err == nil && len(sets) == 1 && sets[0].Diff == nil {
			s = recordedSnapshot{symbol: sets[0].Symbol, seq: sets[0].Book.Seq, at: sets[0].Book.Time}
			if s.at == 0 {
				s.at = ix.Start.UnixMicro()
			}
		}
	}
	if m.books == nil {
		m.books = map[*cassettes.Interaction]recordedSnapshot{}
	}
	m.books[ix] = s
	return s
}

// next is the interaction to replay: recorded order, then the last again.
func (m *matched) next() *cassettes.Interaction {
	if len(m.ixs) == 0 {
		return nil
	}
	n := m.seen.Add(1) - 1
	return m.ixs[min(n, int64(len(m.ixs)-1))]
}

func newRecordedREST(c *cassettes.Cassette, p plugins.Plugin, times timeShifter, d *damage, next http.Handler) *recordedREST {
	return &recordedREST{c: c, plugin: p, next: next, times: times, d: d, serverError: p.ServerError(),
		byKey: map[string]*matched{}, byRaw: map[string]*matched{}}
}

// serveNext hands r to the plugin, watching for damaged index reads (see
// damageWriter).
func (h *recordedREST) serveNext(w http.ResponseWriter, r *http.Request) {
	slot := &damageSlot{}
	dw := &damageWriter{ResponseWriter: w, slot: slot, resp: h.serverError}
	h.next.ServeHTTP(dw, r.WithContext(context.WithValue(r.Context(), damageKey{}, slot)))
	if slot.failed.Load() && !dw.wrote {
		dw.WriteHeader(http.StatusOK) // the plugin wrote nothing: the error still goes out
	}
}

func (h *recordedREST) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" {
		h.next.ServeHTTP(w, r)
		return
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
		if err != nil {
			http.Error(w, "replay: reading request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	ix, m, key, err := h.match(r, body)
	if err != nil {
		if errors.Is(err, cassettes.ErrCorrupt) {
			h.d.report(r.Context(), err)
		} else {
			h.d.logger.Error("replay: reading cassette", slog.String("err", err.Error()))
		}
		writeResponse(w, h.serverError)
		return
	}
	if ix == nil {
		h.unmatched(w, r, body, key)
		return
	}
	if t := h.tape; t != nil && t.books != nil {
		if snap := m.bookOf(h.plugin, r, ix); snap.symbol != "" {
			if moved, inside := t.bookMovedOn(r.Context(), snap); moved {
				// A depth snapshot the book has moved on from by now: the
				// book now (rebuilt from the index inside the recording,
				// the synthetic one after it), so that it chains with the
				// stream replay serves now. (Verbatim, a client syncing
				// later than the recording did would get a snapshot older
				// than the stream, again and again.)
				h.serveBook(w, r, inside)
				return
			}
		}
	}
	respBody := ix.Body
	if h.times.shift != 0 {
		if _, err := h.plugin.DecodeCandles(r, ix.Body); err == nil {
			// A candle listing: the shifted index answers it.
			h.serveIndexed(w, r)
			return
		}
		respBody = h.times.body(respBody)
	}
	if rw, ok := h.plugin.(plugins.Rewriter); ok {
		// WS endpoints handed out in REST replies point at this server.
		respBody = rw.RewriteResponse(r.URL.Path, respBody, plugins.WSBase(r))
	}
	hdr := w.Header()
	for k, vs := range ix.ResponseHeader {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Encoding", "Content-Length", "Transfer-Encoding", "Connection", "Date":
			// The body is stored decoded; net/http sets the rest.
			continue
		}
		// Shared, capped at its length: an Add copies instead of
		// writing into the recorded slice.
		hdr[k] = vs[:len(vs):len(vs)]
	}
	hdr["Content-Length"] = []string{strconv.Itoa(len(respBody))}
	h.tape.hit(r, serve.SourceExact)
	w.WriteHeader(ix.Status)
	switch {
	case r.Method == http.MethodHead:
	case len(respBody) == len(ix.Body) && unsafe.SliceData(respBody) == unsafe.SliceData(ix.Body):
		// The recorded body itself, which stays as it is while the
		// cassette is served.
		plugins.WriteStatic(w, respBody)
	default:
		w.Write(respBody)
	}
}

// match returns the interaction to replay for r, or nil, the recorded
// interactions of its key (nil when none is kept) and r's match key.
func (h *recordedREST) match(r *http.Request, body []byte) (*cassettes.Interaction, *matched, string, error) {
	var raw []byte
	if len(body) == 0 {
		var buf [256]byte // the key is built here, and looked up without a copy
		raw = append(append(append(append(buf[:0], r.Method...), ' '), r.URL.Path...), '?')
		raw = append(raw, r.URL.RawQuery...)
		h.mu.RLock()
		m := h.byRaw[string(raw)]
		h.mu.RUnlock()
		if m != nil {
			return m.next(), m, m.key, nil
		}
	}
	key := h.c.MatchKey(r.Method, r.URL.Path, r.URL.RawQuery, body)
	h.mu.RLock()
	m := h.byKey[key]
	h.mu.RUnlock()
	if m == nil {
		ixs, err := h.c.Lookup(r.Method, r.URL.Path, r.URL.RawQuery, body)
		if err != nil {
			return nil, nil, key, err
		}
		if len(ixs) == 0 && h.full() {
			// Unrecorded requests are remembered only while there is room:
			// a client walking ever new windows must not grow the cache.
			return nil, nil, key, nil
		}
		h.mu.Lock()
		if m = h.byKey[key]; m == nil { // another request may have won
			m = &matched{key: key, ixs: ixs}
			h.byKey[key] = m
		}
		h.mu.Unlock()
	}
	if raw != nil {
		h.mu.Lock()
		if len(h.byRaw) < maxRawKeys {
			h.byRaw[string(raw)] = m
		}
		h.mu.Unlock()
	}
	return m.next(), m, m.key, nil
}
