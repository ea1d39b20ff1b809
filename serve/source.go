package serve

import (
	"context"
	"net/http"
)

// Source says where the answer to a request came from, for the metrics,
// the request log and replay's report.
type Source string

const (
	SourceExact     Source = "exact"     // a recorded interaction, verbatim
	SourceIndex     Source = "index"     // built from the cassette's candle (or trade) index
	SourceSynthetic Source = "synthetic" // the synthetic market
	SourceUpstream  Source = "upstream"  // forwarded to the real exchange
)

// NoteSource tells the front where the answer to r came from. A handler
// calls it before writing the response; the last call wins. It does
// nothing for a request that did not come through a Stack that observes
// sources.
func NoteSource(r *http.Request, s Source) { NoteSourceContext(r.Context(), s) }

// NoteSourceContext is NoteSource for code that has the request's context
// only (a market asked for candles).
func NoteSourceContext(ctx context.Context, s Source) {
	if o := slotOf(ctx); o != nil {
		o.source = s
	}
}

// Sourced is h noting s as the source of every request before h serves it
// (a handler inside may note another): a mode's default.
func Sourced(s Source, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		NoteSource(r, s)
		h.ServeHTTP(w, r)
	})
}
