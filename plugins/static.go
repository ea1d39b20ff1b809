package plugins

import "net/http"

// WriteStatic writes b, the whole response body, promising that b is never
// modified again, ever — a cached answer such as a settled klines window
// or a recorded body. candlecassette's own HTTP server then sends large
// bodies with sendfile from a memory file instead of copying them on every
// request (internal/h1). When w is anything else (httptest, a middleware
// shaping the body) this is w.Write(b). Set Content-Length to len(b) first.
func WriteStatic(w http.ResponseWriter, b []byte) (int, error) {
	if sw, ok := w.(interface{ WriteStatic([]byte) (int, error) }); ok {
		return sw.WriteStatic(b)
	}
	return w.Write(b)
}
