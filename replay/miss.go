package replay

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// What a miss is, and what replay does about one (Options.OnMiss).
//
// A REST request is a hit when the cassette answers it: a recorded
// interaction matches it (serve.SourceExact), or it is a candles request
// the plugin answers from the candle index alone — every candle of the
// window recorded (serve.SourceIndex). Anything else is a miss: an
// unrecorded endpoint, an unrecorded request to a recorded one, or a
// candles window that is partly or wholly outside the recording (the
// synthetic market would have to fill some of it). A window reaching past
// the virtual clock's now is cut there, as the exchange cuts it, and is a
// hit if the recording holds the rest. A WS subscription is a
// hit when the cassette carried that stream, and a miss otherwise; where
// a recorded stream ends and replay carries on with synthetic updates,
// that is not a miss (the client asked for what was recorded).
//
// Misses are logged once per distinct key (the normalized request — the
// cassette's match key, "GET /api/v3/klines?interval=1m&symbol=BTCUSDT" —,
// or "WS BTCUSDT 1m" for a stream), counted, and shown in Status under
// "replay" and in the Report.

// OnMiss is what replay does with a miss.
type OnMiss string

const (
	// MissSynth serves a miss from the synthetic market (the default).
	MissSynth OnMiss = "synth"
	// MissError answers a miss with the exchange's own error body and
	// status MissStatus, naming the request in the MissHeader header; a
	// WS subscription gets the exchange's own subscription error frame
	// (where it has one) and the connection is then closed with
	// MissCloseCode.
	MissError OnMiss = "error"
	// MissUpstream forwards a REST miss to the real exchange (or
	// Options.Upstreams) and serves its answer, and serves a stream miss
	// from the upstream's stream (upstreamws.go); with RecordMissing both
	// are appended to the cassette.
	MissUpstream OnMiss = "upstream"
)

// ParseOnMiss reads an --on-miss value.
func ParseOnMiss(s string) (OnMiss, error) {
	switch m := OnMiss(s); m {
	case "", MissSynth:
		return MissSynth, nil
	case MissError, MissUpstream:
		return m, nil
	}
	return "", fmt.Errorf("replay: on-miss %q: want synth, error or upstream", s)
}

const (
	// MissStatus is the status of a miss answered in MissError mode: 501
	// Not Implemented, which no exchange sends for market data (so a
	// miss cannot pass for a recorded answer), which every client treats
	// as an error, and which the usual retry policies (429, 500, 502,
	// 503, 504) do not retry — a CI run fails at once instead of
	// retrying into its timeout.
	MissStatus = http.StatusNotImplemented
	// MissHeader names the normalized request of a miss on its answer.
	MissHeader = "X-Candlecassette-Miss"
	// MissCloseCode closes a WS connection after a subscription to a
	// stream the cassette did not record, in MissError mode: 1008
	// (policy violation), with a reason naming the stream.
	MissCloseCode = 1008
)

// missKeyPrefixWS starts the key of a WS stream miss.
const missKeyPrefixWS = "WS "

// sourceSlot carries what the market did for one request — read the
// candle index, needed the synthetic market — from deep in the plugin out
// to the request's handler (see notingMarket).
type sourceSlot struct {
	read  atomic.Bool // the market was asked for candles
	synth atomic.Bool // the synthetic market supplied some of them
}

type sourceKey struct{}

func slotOf(ctx context.Context) *sourceSlot {
	s, _ := ctx.Value(sourceKey{}).(*sourceSlot)
	return s
}

// source is where the answer came from: the index when the market was
// read and the synthetic market was not needed, else synthetic.
func (s *sourceSlot) source() serve.Source {
	if s.read.Load() && !s.synth.Load() {
		return serve.SourceIndex
	}
	return serve.SourceSynthetic
}

// notingMarket marks its request's sourceSlot as having read the market.
type notingMarket struct{ inner cc.Market }

func (m notingMarket) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	if s := slotOf(ctx); s != nil {
		s.read.Store(true)
	}
	return m.inner.Candles(ctx, symbol, iv, start, end, now)
}

// notingSynth marks its request's sourceSlot when the synthetic market
// fills in what the index lacks.
type notingSynth struct{ inner Synthetic }

func (m notingSynth) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	if s := slotOf(ctx); s != nil {
		s.synth.Store(true)
	}
	return m.inner.Candles(ctx, symbol, iv, start, end, now)
}

func (m notingSynth) Bridge(ctx context.Context, symbol string, iv cc.Interval, from cc.Candle, to *cc.Candle, start, end, now int64) ([]cc.Candle, error) {
	if s := slotOf(ctx); s != nil {
		s.synth.Store(true)
	}
	return m.inner.Bridge(ctx, symbol, iv, from, to, start, end, now)
}

// sourceWriter tells the front (serve.NoteSource must come before the
// header) and counted where the answer came from as the plugin starts
// writing it: before the client can see it, so a status read after an
// answer includes it.
type sourceWriter struct {
	http.ResponseWriter
	r       *http.Request
	slot    *sourceSlot
	counted func(serve.Source)
	noted   bool
}

// note is called at the first write, and after the plugin in case it
// wrote nothing.
func (w *sourceWriter) note() {
	if !w.noted {
		w.noted = true
		src := w.slot.source()
		serve.NoteSource(w.r, src)
		w.counted(src)
	}
}

func (w *sourceWriter) WriteHeader(code int) { w.note(); w.ResponseWriter.WriteHeader(code) }

func (w *sourceWriter) Write(b []byte) (int, error) { w.note(); return w.ResponseWriter.Write(b) }

// WriteStatic keeps plugins.WriteStatic's zero-copy path.
func (w *sourceWriter) WriteStatic(b []byte) (int, error) {
	w.note()
	return plugins.WriteStatic(w.ResponseWriter, b)
}

// Unwrap is for http.ResponseController.
func (w *sourceWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// heldResponse holds a plugin's answer until replay knows whether it is a
// hit (then it goes out as it is) or a miss (then it is dropped).
type heldResponse struct {
	header http.Header
	status int
	body   []byte
}

func newHeld() *heldResponse { return &heldResponse{header: http.Header{}} }

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	h.body = append(h.body, b...)
	return len(b), nil
}

// sendTo writes the held answer to w, keeping the headers w already has
// (the rate-limit layer's).
func (h *heldResponse) sendTo(w http.ResponseWriter, r *http.Request) {
	dst := w.Header()
	for k, vs := range h.header {
		dst[k] = vs
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	if r.Method != http.MethodHead {
		w.Write(h.body)
	}
}

// MissMessage is the message a miss's error body carries (for plugins
// with plugins.MissReplier), naming the request by its key.
func MissMessage(key string) string {
	if len(key) > 512 {
		key = key[:512] + "..."
	}
	return "candlecassette: the cassette has no answer for " + key + " (--on-miss error)"
}

// missAnswer writes MissError's answer to r: the exchange's own error body
// — its MissReply naming the request, or else its ServerError: the shape
// its clients parse as that exchange's error — with MissStatus and the
// key in MissHeader.
func missAnswer(w http.ResponseWriter, p plugins.Plugin, key string) {
	serverError := p.ServerError()
	if mr, ok := p.(plugins.MissReplier); ok {
		serverError = mr.MissReply(MissMessage(key))
	}
	h := w.Header()
	h.Del("Content-Encoding")
	for k, vs := range serverError.Header {
		h[k] = append([]string(nil), vs...)
	}
	h.Set(MissHeader, headerSafe(key))
	h.Set("Content-Length", strconv.Itoa(len(serverError.Body)))
	w.WriteHeader(MissStatus)
	w.Write(serverError.Body)
}

// headerSafe keeps a key fit for a header value: printable ASCII, at most
// 1 KiB.
func headerSafe(s string) string {
	b := []byte(s)
	if len(b) > 1024 {
		b = b[:1024]
	}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
