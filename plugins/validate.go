package plugins

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

// ErrInvalidPlugin is wrapped by every error Validate returns.
var ErrInvalidPlugin = errors.New("plugins: invalid plugin")

// idPattern is the exchange id's spelling: lower-case words of letters and
// digits joined by single underscores (binance_spot, gate_io_perpetual).
var idPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// restMethods are the methods a REST route may name.
var restMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

// Validate checks what the contract requires of p beyond its method set,
// without serving anything: an id-shaped name; Defaults with absolute
// http(s) and ws(s) upstreams, a positive MaxLimit, valid intervals
// shortest first without repeats and no empty param or header names;
// Hosts that are lower-case DNS names without scheme or port, listed
// once, and that hold the hosts of the upstreams (unless those are
// loopback, as a test double's are); a non-empty Symbol; at least one
// REST route, every route well formed ("METHOD /path" or "/path", WS
// paths starting with '/') and none twice;
// a rate-limit model with at least one REST window, each with a positive
// limit and period, and sane WS limits; a 5xx ServerError with a body.
// Register panics with its error; the conformance suite reports it.
//
// The error wraps ErrInvalidPlugin and names the plugin and every defect
// found, one per line.
func Validate(p Plugin) error {
	name := p.Name()
	var defects []string
	bad := func(format string, args ...any) { defects = append(defects, fmt.Sprintf(format, args...)) }

	if !idPattern.MatchString(name) {
		bad("name %q is not an exchange id (lower-case words joined by '_', e.g. binance_spot)", name)
	}
	validateDefaults(p.Defaults(), bad)
	if p.Symbol(cc.DefaultPairs[0]) == "" {
		bad("Symbol(%s) is empty", cc.DefaultPairs[0].Base+"-"+cc.DefaultPairs[0].Quote)
	}
	rest, ws := p.Routes()
	validateRoutes(rest, ws, bad)
	validateRateLimits(p, bad)
	if se := p.ServerError(); se.Status < 500 || se.Status > 599 || len(se.Body) == 0 {
		bad("ServerError is status %d with %d body bytes, want a 5xx with a body", se.Status, len(se.Body))
	}

	if len(defects) == 0 {
		return nil
	}
	return fmt.Errorf("%w %q:\n\t%s", ErrInvalidPlugin, name, strings.Join(defects, "\n\t"))
}

func validateDefaults(d Defaults, bad func(string, ...any)) {
	checkURL := func(what, raw string, schemes ...string) {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != schemes[0] && u.Scheme != schemes[1]) {
			bad("Defaults.%s %q is not an absolute %s:// or %s:// URL", what, raw, schemes[0], schemes[1])
		}
	}
	checkURL("UpstreamREST", d.UpstreamREST, "https", "http")
	checkURL("UpstreamWS", d.UpstreamWS, "wss", "ws")
	if d.MaxLimit <= 0 {
		bad("Defaults.MaxLimit is %d, want > 0", d.MaxLimit)
	}
	if len(d.Intervals) == 0 {
		bad("Defaults.Intervals is empty")
	}
	for i, iv := range d.Intervals {
		switch {
		case !iv.Valid():
			bad("Defaults.Intervals: %q is not a canonical interval", iv)
		case i > 0 && d.Intervals[i-1].Valid() && iv.Millis() <= d.Intervals[i-1].Millis():
			bad("Defaults.Intervals: %s after %s, want shortest first and no repeats", iv, d.Intervals[i-1])
		}
	}
	if d.IntervalNames != nil {
		for _, defect := range d.IntervalNames.defects(d.Intervals) {
			bad("Defaults.IntervalNames: %s", defect)
		}
	}
	validateHosts(d, bad)
	for _, l := range []struct {
		what string
		list []string
	}{{"VolatileParams", d.VolatileParams}, {"SecretHeaders", d.SecretHeaders}, {"SecretParams", d.SecretParams}, {"LoginOps", d.LoginOps}} {
		for _, s := range l.list {
			if strings.TrimSpace(s) == "" {
				bad("Defaults.%s has an empty name", l.what)
				break
			}
		}
	}
}

// validateHosts checks Defaults.Hosts: each a lower-case DNS name (no
// scheme, port or trailing dot), none twice, and the upstreams' hosts
// among them unless loopback.
func validateHosts(d Defaults, bad func(string, ...any)) {
	seen := map[string]bool{}
	for _, h := range d.Hosts {
		if !validHost(h) {
			bad("Defaults.Hosts: %q is not a lower-case DNS host name (no scheme, port or trailing dot)", h)
		}
		if seen[h] {
			bad("Defaults.Hosts: %q listed twice", h)
		}
		seen[h] = true
	}
	for _, up := range []struct{ what, raw string }{{"UpstreamREST", d.UpstreamREST}, {"UpstreamWS", d.UpstreamWS}} {
		u, err := url.Parse(up.raw)
		if err != nil || u.Host == "" {
			continue // reported by checkURL
		}
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			continue
		}
		if !seen[h] {
			bad("Defaults.Hosts lacks %q, the host of %s", h, up.what)
		}
	}
}

// validHost reports whether h is a lower-case DNS host name, not an IP
// literal: dot-separated labels of letters, digits and inner hyphens, 1 to
// 63 bytes each, 253 in all.
func validHost(h string) bool {
	if h == "" || len(h) > 253 || net.ParseIP(h) != nil {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if b := label[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}

func validateRoutes(rest, ws []string, bad func(string, ...any)) {
	if len(rest) == 0 {
		bad("Routes lists no REST route")
	}
	seen := map[string]bool{}
	for _, r := range rest {
		method, path, ok := SplitRoute(r)
		switch {
		case !ok:
			bad("Routes: REST route %q is not \"METHOD /path\" or \"/path\"", r)
			continue
		case !restMethods[method]:
			bad("Routes: REST route %q has an unknown method %q", r, method)
		}
		key := method + " " + path
		if seen[key] {
			bad("Routes: REST route %q listed twice", key)
		}
		seen[key] = true
	}
	seen = map[string]bool{}
	for _, w := range ws {
		if !strings.HasPrefix(w, "/") || strings.ContainsAny(w, " \t\r\n") {
			bad("Routes: WS path %q does not start with '/' or has white space", w)
		}
		if seen[w] {
			bad("Routes: WS path %q listed twice", w)
		}
		seen[w] = true
	}
}

// SplitRoute splits a REST route as Plugin.Routes writes it ("METHOD
// /path" or "/path", which is GET) into its method and path. ok is false
// when the path does not start with '/', the method is missing before a
// space, or either part holds white space.
func SplitRoute(route string) (method, path string, ok bool) {
	method, path, found := strings.Cut(route, " ")
	if !found {
		method, path = "GET", route
	}
	if method == "" || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n") {
		return method, path, false
	}
	return method, path, true
}

func validateRateLimits(p Plugin, bad func(string, ...any)) {
	m := p.RateLimits()
	if len(m.REST) == 0 {
		bad("RateLimits has no REST window (declare the exchange's model)")
	}
	for i, w := range m.REST {
		if w.Limit <= 0 || w.Period <= 0 {
			bad("RateLimits.REST[%d] %q: limit %d per %v, want both positive", i, w.Name, w.Limit, w.Period)
		}
	}
	if ws := m.WS; ws.MessageRate < 0 || ws.Burst < 0 || ws.MaxStreams < 0 || ws.ConnAttempts < 0 || ws.ConnsPerIP < 0 {
		bad("RateLimits.WS has a negative limit: %+v", ws)
	}
	if b := m.Ban; b != nil && (b.After < 0 || len(b.Durations) == 0) {
		bad("RateLimits.Ban needs After >= 0 and at least one duration")
	}
}
