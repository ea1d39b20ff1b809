package serve

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/candlecassette/candlecassette/plugins"
)

// Routing by hostname. Every request names a host — the Host header, the
// authority of an absolute-form target, set by a client that believes it
// talks to the exchange — and is routed by that name without its port:
//
//  1. A name an exchange claims (Exchange.Hosts, Options.Hosts) goes to
//     that exchange's Stack: rate limits, network simulation, the mode's
//     handler; on a name sibling ids share, to the Stack of the sibling
//     the request is for (shared.go). Never to the admin API: under an exchange's name the server
//     is that exchange, and /__admin/ there is the exchange's 404.
//  2. A proxied request — an absolute-form target, or one on a connection
//     opened for an exchange's host (CONNECT, or TLS naming it) — under
//     any other name is refused with 403 naming the host, unless the name
//     is this server's own (a loopback name or address, the address
//     reached, --admin-allow-host) on its port. Nothing is ever dialled:
//     the server has no way out to the network — unless the mode set
//     Options.Passthrough, which forwards an absolute-form request for
//     such a name untouched (passthrough.go).
//  3. The rest is a direct request, as before proxy mode: /__admin/ is the
//     admin API (behind its guard, adminguard.go), /metrics the Prometheus
//     metrics (behind the same guard, metrics.go), anything else the
//     exchange's on a server of one exchange, whatever the Host. A server
//     of several exchanges cannot tell which one a direct request is for
//     and answers 421 Misdirected Request, naming the hosts it serves.
//
// The admin API of each exchange is also at /__admin/ID/... (e.g.
// /__admin/okx_spot/conditions), on any server; on a server of several,
// GET /__admin/status gives every exchange's status by id.

// router is the Server's handler.
func (s *Server) router() http.Handler {
	admin := s.adminRouter()
	metrics := s.metricsHandler()
	var direct http.Handler
	if len(s.stacks) == 1 {
		only := s.stacks[0].handler
		direct = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/__admin/") {
				admin.ServeHTTP(w, r)
				return
			}
			if r.URL.Path == "/metrics" {
				metrics.ServeHTTP(w, r)
				return
			}
			only.ServeHTTP(w, r)
		})
	} else {
		direct = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/__admin/") {
				admin.ServeHTTP(w, r)
				return
			}
			if r.URL.Path == "/metrics" {
				metrics.ServeHTTP(w, r)
				return
			}
			s.misdirected(w, r)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, port := splitHost(r.Host)
		if hr := s.hosts[name]; hr != nil {
			if r.URL.Host != "" {
				r = originForm(r)
			}
			hr.handler(r).ServeHTTP(w, r)
			return
		}
		if proxied(r) && !s.selfRequest(r, name, port) {
			if s.pass != nil && r.URL.Host != "" {
				s.pass.forward.ServeHTTP(w, r) // Options.Passthrough
				return
			}
			s.notServed(w, r, name)
			return
		}
		if r.URL.Host != "" {
			r = originForm(r)
		}
		direct.ServeHTTP(w, r)
	})
}

// proxied says whether r came as a proxy request: an absolute-form
// target, or on a connection opened for an exchange's host.
func proxied(r *http.Request) bool {
	if r.URL.Host != "" {
		return true
	}
	w, _ := r.Context().Value(wayKey{}).(*way)
	return w != nil && w.proxied
}

// selfRequest says whether the host r names is this server itself: one of
// its own names, on the port it was reached at.
func (s *Server) selfRequest(r *http.Request, name, port string) bool {
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if port == "" {
		port = "80"
		if r.TLS != nil || strings.EqualFold(r.URL.Scheme, "https") || strings.EqualFold(r.URL.Scheme, "wss") {
			port = "443"
		}
	}
	return s.self(name, port, la)
}

// self says whether name:port is this server reached at la.
func (s *Server) self(name, port string, la net.Addr) bool {
	if la == nil || !s.admin.ownName(name, la) {
		return false
	}
	_, own, _ := net.SplitHostPort(la.String())
	return port == own
}

// originForm is r with its absolute-form target made origin-form, as the
// exchange's handler expects; Host keeps the name.
func originForm(r *http.Request) *http.Request {
	ctx := r.Context()
	if plugins.ClientTLS(r) {
		ctx = plugins.WithClientTLS(ctx) // the scheme goes; what it said stays
	}
	r2 := r.WithContext(ctx)
	u := *r.URL
	u.Scheme, u.Host, u.User = "", "", nil
	r2.URL = &u
	r2.RequestURI = u.RequestURI()
	return r2
}

// notServed refuses a proxied request for a host no exchange here claims.
func (s *Server) notServed(w http.ResponseWriter, r *http.Request, name string) {
	s.logger.Warn("proxy: refused a request for a host not served", "host", r.Host, "method", r.Method, "path", r.URL.Path, "client", r.RemoteAddr)
	w.Header().Set("Connection", "close")
	textError(w, http.StatusForbidden, s.notServedText(r.Host))
}

// notServedText says why host is refused, in one line.
func (s *Server) notServedText(host string) string {
	return fmt.Sprintf("candlecassette: %s is not served here: none of the exchanges served (%s) uses that host, "+
		"and candlecassette never connects to the network for a request\n", host, strings.Join(s.names(), ", "))
}

// misdirected answers a direct request on a server of several exchanges.
func (s *Server) misdirected(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	fmt.Fprintf(&b, "candlecassette: this port serves %d exchanges and picks one by the request's host, but %s names none of them: "+
		"use the port as an HTTP(S) proxy, or send the exchange's own Host (", len(s.stacks), r.Host)
	for i, st := range s.stacks {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", st.plugin.Name(), strings.Join(st.hosts, " "))
		if len(st.hosts) == 0 {
			b.WriteString("no host declared")
		}
	}
	b.WriteString(")\n")
	textError(w, http.StatusMisdirectedRequest, b.String())
}

func (s *Server) names() []string {
	out := make([]string, len(s.stacks))
	for i, st := range s.stacks {
		out[i] = st.plugin.Name()
	}
	return out
}

func textError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprint(w, msg)
}

// adminRouter serves /__admin/ on direct requests: each exchange's API at
// /__admin/ID/..., and at /__admin/... the one exchange's, or on a server
// of several the status of all by id and their market, connections and
// requests together.
func (s *Server) adminRouter() http.Handler {
	each := make(map[string]http.Handler, len(s.stacks))
	for _, st := range s.stacks {
		each[st.plugin.Name()] = st.AdminHandler()
	}
	var bare http.Handler
	if len(s.stacks) == 1 {
		bare = each[s.stacks[0].plugin.Name()]
	} else {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /__admin/status", func(w http.ResponseWriter, r *http.Request) {
			all := make(map[string]Status, len(s.stacks))
			for _, st := range s.stacks {
				all[st.plugin.Name()] = st.Status()
			}
			writeJSON(w, http.StatusOK, map[string]any{"exchanges": all})
		})
		mux.HandleFunc("GET /__admin/connections", func(w http.ResponseWriter, r *http.Request) {
			all := []Connection{}
			for _, st := range s.stacks {
				all = append(all, st.Connections()...)
			}
			slices.SortStableFunc(all, func(a, b Connection) int { return a.Opened.Compare(b.Opened) })
			writeJSON(w, http.StatusOK, map[string][]Connection{"connections": all})
		})
		mux.HandleFunc("GET /__admin/market", func(w http.ResponseWriter, r *http.Request) {
			all := make([]any, len(s.stacks))
			for i, st := range s.stacks {
				all[i] = st.marketInfo()
			}
			writeJSON(w, http.StatusOK, map[string]any{"exchanges": all})
		})
		mux.HandleFunc("GET /__admin/requests", func(w http.ResponseWriter, r *http.Request) {
			since, ok := sinceParam(w, r)
			if !ok {
				return
			}
			var all []RequestRecord
			for _, st := range s.stacks {
				all = append(all, st.Requests(since)...)
			}
			slices.SortStableFunc(all, func(a, b RequestRecord) int { return a.Time.Compare(b.Time) })
			writeRequests(w, all)
		})
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("this server serves several exchanges: their admin APIs are at /__admin/ID/... for ID in %s",
				strings.Join(s.names(), ", ")))
		})
		bare = s.admin.withHealth(s.admin.wrap(mux))
	}
	page := s.admin.uiPage()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUIPath(r.URL.Path) {
			page.ServeHTTP(w, r) // the dashboard, for every exchange served (ui.go)
			return
		}
		rest := r.URL.Path[len("/__admin/"):]
		id, sub, _ := strings.Cut(rest, "/")
		if h := each[id]; h != nil {
			r2 := r.WithContext(r.Context())
			u := *r.URL
			u.Path, u.RawPath = "/__admin/"+sub, ""
			r2.URL = &u
			h.ServeHTTP(w, r2)
			return
		}
		bare.ServeHTTP(w, r)
	})
}

// splitHost splits a Host header, CONNECT target or server name into its
// name — lower case, without brackets or a trailing dot — and its port ("" if
// none), allocating only for a name in upper case.
func splitHost(hostport string) (name, port string) {
	h := hostport
	if strings.HasPrefix(h, "[") {
		if i := strings.LastIndexByte(h, ']'); i > 0 {
			if rest := h[i+1:]; strings.HasPrefix(rest, ":") {
				port = rest[1:]
			}
			h = h[1:i]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h[:i], ':') < 0 {
		h, port = h[:i], h[i+1:]
	}
	return strings.ToLower(strings.TrimSuffix(h, ".")), port
}

// metricsHandler serves /metrics (Prometheus text format) on direct
// requests, under the admin API's rules: exempt from the rate limits and
// the network simulation, behind its guard and token.
func (s *Server) metricsHandler() http.Handler {
	return s.admin.wrap(s.metrics.handler)
}
