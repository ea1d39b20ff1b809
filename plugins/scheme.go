package plugins

import (
	"context"
	"net/http"
	"strings"
)

type secureKey struct{}

// WithClientTLS marks ctx as a request's whose client believes it talks
// TLS to the exchange although the request reached the handler in clear:
// an absolute-form https:// or wss:// target sent to the proxy port (as
// ccxt's wsProxy sends WS upgrades). The front sets it.
func WithClientTLS(ctx context.Context) context.Context {
	return context.WithValue(ctx, secureKey{}, true)
}

// ClientTLS reports whether r's client is on TLS as it sees it: the
// request came over TLS, or named an https/wss target (see WithClientTLS).
// Endpoints a reply hands out (KuCoin's bullet WS URL) must then be
// wss://, or the client refuses or downgrades them.
func ClientTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if s := r.URL.Scheme; strings.EqualFold(s, "https") || strings.EqualFold(s, "wss") {
		return true
	}
	v, _ := r.Context().Value(secureKey{}).(bool)
	return v
}

// WSBase is the WS base URL (scheme and host) of the server as r's client
// reached it: where a reply should point a client's WS connection.
func WSBase(r *http.Request) string {
	if ClientTLS(r) {
		return "wss://" + r.Host
	}
	return "ws://" + r.Host
}
