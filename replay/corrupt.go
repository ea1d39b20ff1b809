package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

// A damaged cassette must never serve a changed number: a read that fails
// its checksum (or otherwise finds the file corrupt) answers the request
// with the exchange's own 5xx (plugins.Plugin.ServerError), logs the
// bucket and key, and is counted in Status.CorruptReads. The recorded
// interaction path answers so itself; the candle index is read by the
// plugin through the market, so a damaged read there marks the request
// (damageSlot in its context) and damageWriter replaces whatever the
// plugin then writes — some exchanges report internal errors in a 200
// envelope, and a window the plugin might fill around the missing candles
// would be a changed number.

// damage logs and counts corrupt cassette reads.
type damage struct {
	logger *slog.Logger
	count  *atomic.Int64
}

// report logs err, if it is corruption, and counts it; it marks the
// request of ctx, if damageWriter watches one. Other errors pass by.
func (d *damage) report(ctx context.Context, err error) {
	if !errors.Is(err, cassettes.ErrCorrupt) {
		return
	}
	if d == nil {
		return
	}
	if slot, ok := ctx.Value(damageKey{}).(*damageSlot); ok {
		slot.failed.Store(true)
	}
	d.count.Add(1)
	attrs := []any{slog.String("err", err.Error())}
	var ce *cassettes.CorruptError
	if errors.As(err, &ce) {
		attrs = append(attrs, slog.String("bucket", ce.Bucket), slog.String("key", ce.Key))
	}
	d.logger.Error("replay: cassette is damaged; answering with the exchange's server error", attrs...)
}

type damageKey struct{}

// damageSlot carries a request's corrupt read from the market, deep in a
// plugin (perhaps on a goroutine of its own), out to its damageWriter.
type damageSlot struct{ failed atomic.Bool }

// damageWriter passes a response through unless its request read damaged
// data, in which case the plugin's status, body and body headers are
// replaced by the exchange's server error.
type damageWriter struct {
	http.ResponseWriter
	slot     *damageSlot
	resp     plugins.Response
	wrote    bool // the header has gone out
	replaced bool
}

func (w *damageWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if !w.slot.failed.Load() {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	writeResponse(w.ResponseWriter, w.resp)
}

func (w *damageWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// WriteStatic keeps plugins.WriteStatic's zero-copy path.
func (w *damageWriter) WriteStatic(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return plugins.WriteStatic(w.ResponseWriter, b)
}

// Unwrap is for http.ResponseController.
func (w *damageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeResponse sends a canned response, replacing the body headers set
// so far (the rate-limit layer's headers stay).
func writeResponse(w http.ResponseWriter, r plugins.Response) {
	h := w.Header()
	h.Del("Content-Encoding")
	for k, vs := range r.Header {
		h[k] = append([]string(nil), vs...)
	}
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(r.Status)
	w.Write(r.Body)
}

// guardedMarket reports corrupt reads of the market it wraps.
type guardedMarket struct {
	inner cc.Market
	d     *damage
}

func (m guardedMarket) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	cs, err := m.inner.Candles(ctx, symbol, iv, start, end, now)
	if err != nil {
		m.d.report(ctx, err)
		return nil, err
	}
	return cs, nil
}

// checkWindow holds the candles a window read returned to the coverage
// the index reported for the series: as many as the ranges hold in
// [start, end), in order. Blocks a damaged page hides from the read would
// otherwise look like a gap, and be filled with synthetic candles.
func checkWindow(k cassettes.SeriesKey, rs []cassettes.Range, start, end int64, cs []cc.Candle) error {
	want := 0
	for _, r := range rs {
		if r.End <= start || r.Start >= end {
			continue
		}
		want += slots(k.Interval, r, start, end)
	}
	ok := len(cs) == want
	for i := 1; ok && i < len(cs); i++ {
		ok = cs[i].OpenTime > cs[i-1].OpenTime
	}
	if ok {
		return nil
	}
	return &cassettes.CorruptError{Bucket: "candles/" + k.String(), Key: fmt.Sprintf("%d..%d", start, end),
		Err: fmt.Errorf("%w: a window read %d candles where the index covers %d", cassettes.ErrCorrupt, len(cs), want)}
}

// slots counts the candle open times of run r in [start, end).
func slots(iv cc.Interval, r cassettes.Range, start, end int64) int {
	if !iv.Fixed() {
		n := 0
		for t := r.Start; t < r.End && t < end; t = iv.Next(t) {
			if t >= start {
				n++
			}
		}
		return n
	}
	d := iv.Millis()
	first := r.Start
	if start > first {
		first += (start - first + d - 1) / d * d
	}
	last := min(end, r.End)
	if last <= first {
		return 0
	}
	return int((last - first + d - 1) / d)
}
