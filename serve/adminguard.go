package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// The admin API changes what every client of the server sees, and it
// listens where developers' browsers can reach it. Three checks keep a web
// page from driving it:
//
//   - Origin, when present, must be the server's own origin. A page on
//     another site that fetch()es /__admin/ — even a CORS "simple request"
//     (POST with text/plain, no preflight) — always carries its Origin.
//     Sec-Fetch-Site: cross-site is refused for the same reason.
//   - Host must be a name this server answers to: a loopback name or
//     address, the address the connection came in on, or a name allowed
//     with --admin-allow-host. A DNS-rebound page is same-origin with us
//     in the browser's eyes, but its Host is the attacker's name.
//   - A mutating call with a body must say Content-Type: application/json,
//     which a browser cannot send cross-site without a preflight we never
//     answer. A body-less POST (/__admin/reset, /__admin/disconnect as
//     `curl -X POST` sends them) may carry no Content-Type at all: a
//     browser sending one cross-site carries Origin and is refused above.
//
// Clients that send neither Origin nor Sec-Fetch-Site (curl, SDKs, test
// code) from an allowed Host pass, as before.

// adminPolicy is the admin API's guard: the checks above, then the bearer
// token if one is set.
type adminPolicy struct {
	token      [sha256.Size]byte // of the token, so comparing leaks no length
	hasToken   bool
	allowHosts map[string]bool // normalized names (hostName)
}

func newAdminPolicy(token string, allowHosts []string) adminPolicy {
	p := adminPolicy{allowHosts: map[string]bool{}}
	if token != "" {
		p.token, p.hasToken = sha256.Sum256([]byte(token)), true
	}
	for _, h := range allowHosts {
		if n := hostName(strings.TrimSpace(h)); n != "" {
			p.allowHosts[n] = true
		}
	}
	return p
}

// wrap puts the guard in front of the admin handler h.
func (p adminPolicy) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := p.foreign(r); msg != "" {
			writeError(w, http.StatusForbidden, msg)
			return
		}
		if p.hasToken && !p.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="candlecassette admin"`)
			writeError(w, http.StatusUnauthorized, "admin API needs Authorization: Bearer TOKEN (--admin-token)")
			return
		}
		if msg := needsJSON(r); msg != "" {
			w.Header().Set("Accept", "application/json")
			writeError(w, http.StatusUnsupportedMediaType, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// foreign says why r may come from a web page rather than the developer,
// or "" when it may not.
func (p adminPolicy) foreign(r *http.Request) string {
	if !p.hostAllowed(r) {
		return fmt.Sprintf("admin API refused Host %q: it answers loopback names and addresses, the address it was reached at, "+
			"and names given with --admin-allow-host (a DNS-rebound page arrives under its own name)", r.Host)
	}
	if site := r.Header.Get("Sec-Fetch-Site"); strings.EqualFold(site, "cross-site") {
		return "admin API refused a cross-site request (Sec-Fetch-Site: cross-site): web pages may not drive it"
	}
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return ""
	}
	own := ownOrigin(r)
	if len(origins) > 1 || !sameOrigin(origins[0], own) {
		return fmt.Sprintf("admin API refused a request from Origin %q: it answers only its own origin %s, "+
			"and clients that send no Origin (curl, SDKs)", strings.Join(origins, ", "), own)
	}
	return ""
}

func (p adminPolicy) hostAllowed(r *http.Request) bool {
	if r.Host == "" {
		return true // HTTP/1.0 without Host: no browser sends that
	}
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	return p.ownName(hostName(r.Host), la)
}

// ownName says whether name (lower case, no port) is one this server is
// reached under: a loopback name or address, the address la the client
// connected to, or a name allowed with --admin-allow-host.
func (p adminPolicy) ownName(name string, la net.Addr) bool {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || p.allowHosts[name] {
		return true
	}
	ip, err := netip.ParseAddr(name)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	// The address the client connected to is ours by definition: with
	// --listen 0.0.0.0 that is whichever interface it came in on.
	if la != nil {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil && ap.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}

// authorized checks "Authorization: Bearer TOKEN"; the scheme is
// case-insensitive (RFC 9110 §11.1) and the token compared in constant
// time.
func (p adminPolicy) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], p.token[:]) == 1
}

// needsJSON says why a mutating request's media type is refused, or "".
func needsJSON(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return "" // a body-less POST: see the comment at the top
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return ""
	}
	if ct == "" {
		ct = "none"
	}
	return fmt.Sprintf("admin API %s %s needs Content-Type: application/json (got %s)", r.Method, r.URL.Path, ct)
}

// ownOrigin is the origin a page served by this server under r's Host
// would have.
func ownOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// sameOrigin compares two serialized origins by scheme, host and port,
// with the scheme's default port filled in.
func sameOrigin(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil || ua.Host == "" || ua.User != nil {
		return false // "null" (sandboxed pages, file:), or garbage
	}
	ub, err := url.Parse(b)
	if err != nil || ub.Host == "" {
		return false
	}
	if !strings.EqualFold(ua.Scheme, ub.Scheme) || hostName(ua.Host) != hostName(ub.Host) {
		return false
	}
	return portOf(ua) == portOf(ub)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// hostName is the name of a Host header or host[:port] without the port,
// brackets or a trailing dot, in lower case.
func hostName(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.ToLower(strings.TrimSuffix(h, "."))
}
