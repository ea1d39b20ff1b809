package record

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// hopHeaders are connection-level headers a proxy must not forward.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHop(h http.Header) {
	for _, f := range h["Connection"] {
		for _, k := range strings.Split(f, ",") {
			if k = strings.TrimSpace(k); k != "" {
				h.Del(k)
			}
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

func (x *exchange) serveREST(w http.ResponseWriter, r *http.Request) {
	serve.NoteSource(r, serve.SourceUpstream)
	s := x.s
	start := s.opts.Now()
	var reqBody []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.opts.MaxBody+1))
		if err != nil {
			proxyError(w, http.StatusBadRequest, "reading request body: "+err.Error())
			return
		}
		reqBody = b
	}
	target := x.upstream(r, x.restURL, x.restFixed) + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target, bytes.NewReader(reqBody))
	if err != nil {
		proxyError(w, http.StatusBadGateway, err.Error())
		return
	}
	out.Header = r.Header.Clone()
	removeHop(out.Header)
	if out.Header == nil {
		out.Header = http.Header{}
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil // send none, as the client did
	}
	out.ContentLength = int64(len(reqBody))
	if len(reqBody) == 0 {
		out.Body = http.NoBody
	}
	resp, err := s.opts.Transport.RoundTrip(out)
	if err != nil {
		if r.Context().Err() == nil {
			s.logger.Warn("upstream request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			proxyError(w, http.StatusBadGateway, "upstream: "+err.Error())
		}
		return
	}
	defer resp.Body.Close()

	// Read the whole body: it is recorded, and a KuCoin-style rewrite
	// needs it whole.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.logger.Warn("reading upstream body failed", "path", r.URL.Path, "err", err)
		if len(body) == 0 {
			proxyError(w, http.StatusBadGateway, "upstream body: "+err.Error())
			return
		}
	}
	hdr := resp.Header.Clone()
	removeHop(hdr)
	wire := body
	enc := strings.ToLower(strings.TrimSpace(hdr.Get("Content-Encoding")))
	if rw, ok := x.plugin.(plugins.Rewriter); ok && resp.StatusCode < 300 {
		plain, derr := decodeBody(enc, body)
		if derr == nil {
			if nb := rw.RewriteResponse(r.URL.Path, plain, plugins.WSBase(r)); !bytes.Equal(nb, plain) {
				wire = nb
				hdr.Del("Content-Encoding")
			}
		}
	}
	// Queued before the client gets any of the answer (a server may send a
	// complete Content-Length body before the handler returns), so that
	// anything it does next (a WS connection with a listen key from this
	// answer) is recorded after it.
	if int64(len(body)) <= s.opts.MaxBody && int64(len(reqBody)) <= s.opts.MaxBody {
		ix := &cassettes.Interaction{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			RequestHeader: r.Header.Clone(), RequestBody: reqBody,
			Status: resp.StatusCode, ResponseHeader: resp.Header.Clone(),
			Start: start, Duration: s.opts.Now().Sub(start),
		}
		s.rec.interaction(x, ix, r, body, enc)
	} else {
		s.logger.Warn("body too large to record", "path", r.URL.Path, "bytes", len(body))
	}
	dst := w.Header()
	for k, vs := range hdr {
		dst[k] = vs
	}
	if r.Method != http.MethodHead || len(wire) > 0 {
		// (A HEAD answer keeps the upstream's length of the GET body.)
		dst.Set("Content-Length", strconv.Itoa(len(wire)))
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		w.Write(wire)
	}
	http.NewResponseController(w).Flush()
}

func proxyError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": "candlecassette record: " + msg})
}
