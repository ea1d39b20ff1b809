package serve

import "net/http"

// Source says where the answer to a request came from, for the metrics,
// the request log and replay's report.
type Source string

const (
	SourceExact     Source = "exact"     // a recorded interaction, verbatim
	SourceIndex     Source = "index"     // built from the cassette's candle (or trade) index
	SourceSynthetic Source = "synthetic" // the synthetic market
	SourceUpstream  Source = "upstream"  // forwarded to the real exchange
)

type sourceKey struct{}

// NoteSource tells the front where the answer to r came from. A handler
// calls it before writing the response; the last call wins. It does
// nothing for a request that did not come through a Stack that observes
// sources.
func NoteSource(r *http.Request, s Source) {
	if p, ok := r.Context().Value(sourceKey{}).(*Source); ok {
		*p = s
	}
}
