package cassettes

import (
	"bytes"
	"encoding/json"
	"strings"
)

// What the redactor knows of WS connections: secrets in the URL (a token
// query param, a listen key as a path segment or a combined stream name)
// and in client frames (every exchange's login or auth message, JSON or
// not).

// authOps are the generic values of an op/method/event/action/type/channel
// field that make a client message a login, compared on their last word
// after a '.' or '/' ("auth", "login", "session.logon", "spot.login",
// "authenticate"). An exchange's own spellings are Secrets.LoginOps.
var authOps = map[string]bool{
	"auth": true, "login": true, "logon": true, "authenticate": true,
	"authorize": true, "signin": true,
}

// authFields name the fields of a login message that are kept as they
// are (when they are not objects or arrays): what it is and when, never
// who.
var authFields = map[string]bool{
	"op": true, "method": true, "event": true, "action": true, "type": true,
	"channel": true, "id": true, "req_id": true, "reqid": true, "request_id": true,
	"t": true, "ts": true, "time": true, "timestamp": true,
}

var authVerbFields = []string{"op", "method", "event", "action", "type", "channel"}

// isAuthMessage reports whether a client message is a login.
func (r *redactor) isAuthMessage(m map[string]any) bool {
	for _, f := range authVerbFields {
		if v, ok := m[f].(string); ok && r.isAuthOp(v) {
			return true
		}
	}
	return false
}

func (r *redactor) isAuthOp(op string) bool {
	op = strings.ToLower(op)
	if r.logins[op] {
		return true
	}
	if i := strings.LastIndexAny(op, "./"); i >= 0 {
		op = op[i+1:]
	}
	return authOps[op]
}

// redactAuth redacts a login message: every string in it but the fields
// that say what it is and when (its key and sig, its args, payload or
// param).
func (r *redactor) redactAuth(m map[string]any) bool {
	changed := false
	for k, e := range m {
		switch e.(type) {
		case map[string]any, []any:
		default:
			if authFields[strings.ToLower(k)] {
				continue
			}
		}
		red := r.redactAll(k, e)
		if !equalScalar(red, e) {
			m[k] = red
			changed = true
		}
	}
	return changed
}

// authWords open a text (non-JSON) client frame that logs in, e.g.
// "login KEY SIGNATURE" or "auth:TOKEN"; so do Secrets.LoginOps.
var authWords = map[string]bool{
	"login": true, "logon": true, "auth": true, "authenticate": true, "authorize": true,
	"signin": true, "key": true, "apikey": true, "api_key": true, "token": true,
	"bearer": true,
}

// clientFrame redacts a client-to-server WS frame: JSON by key and login
// message; other text as a form (key=value&...) by name, and a login
// spelled in words ("login KEY SIG") everything after its first word.
func (r *redactor) clientFrame(p []byte) []byte {
	t := bytes.TrimSpace(p)
	if len(t) == 0 {
		return p
	}
	if t[0] == '{' || t[0] == '[' {
		if out, ok := r.json(t); ok {
			return out
		}
		if json.Valid(t) {
			return p
		}
	}
	return r.textFrame(p)
}

// textFrame redacts a client frame that is not JSON.
func (r *redactor) textFrame(p []byte) []byte {
	s := string(p)
	first, rest, _ := cutAny(strings.TrimSpace(s), " \t\r\n:,;|")
	if w := strings.ToLower(first); (authWords[w] || r.logins[w]) && strings.TrimSpace(rest) != "" {
		for _, w := range strings.FieldsFunc(rest, func(c rune) bool { return strings.ContainsRune(" \t\r\n:,;|", c) }) {
			r.learn(first, w)
		}
		return []byte(first + " " + Redacted)
	}
	if strings.Contains(s, "=") && !strings.ContainsAny(s, " \t\r\n") {
		if q := r.query(s); q != s {
			return []byte(q)
		}
	}
	return p
}

// cutAny is strings.Cut at the first of any of seps.
func cutAny(s, seps string) (before, after string, found bool) {
	if i := strings.IndexAny(s, seps); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// url redacts a WS connection URL (path and query): secret params by
// name; path segments and combined stream names that are opaque tokens
// (a listen key as /ws/<listenKey> or in /stream?streams=<listenKey>/...);
// and secrets learned before, anywhere in it.
func (r *redactor) url(u string) string {
	base, q, hasQuery := strings.Cut(u, "?")
	base = r.pathTokens(base)
	if hasQuery {
		q = r.query(q)
		q = r.streamTokens(q)
		u = base + "?" + q
	} else {
		u = base
	}
	return r.scrubString(u)
}

// pathTokens replaces the path segments that look like tokens, learning
// them.
func (r *redactor) pathTokens(p string) string {
	return redactPathTokens(p, func(s string) { r.learn("listenKey", s) })
}

// redactPathTokens replaces the segments of path p that look like tokens,
// telling seen (if not nil) each one.
func redactPathTokens(p string, seen func(string)) string {
	segs := strings.Split(p, "/")
	changed := false
	for i, s := range segs {
		if looksLikeToken(unescape(s)) {
			if seen != nil {
				seen(unescape(s))
			}
			segs[i] = Redacted
			changed = true
		}
	}
	if !changed {
		return p
	}
	return strings.Join(segs, "/")
}

// streamTokens replaces token-like names in a streams= or stream= list
// (combined streams, where a listen key may be one of the names).
func (r *redactor) streamTokens(q string) string {
	parts := strings.Split(q, "&")
	changed := false
	for i, part := range parts {
		name, v, ok := strings.Cut(part, "=")
		if !ok || (!strings.EqualFold(name, "streams") && !strings.EqualFold(name, "stream")) {
			continue
		}
		names := strings.Split(v, "/")
		for j, n := range names {
			if looksLikeToken(unescape(n)) {
				r.learn("listenKey", unescape(n))
				names[j] = Redacted
				changed = true
			}
		}
		parts[i] = name + "=" + strings.Join(names, "/")
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// minTokenBytes is the shortest path segment taken for a token: longer
// than any WS path word or stream name of the supported exchanges that
// has no '@' or '.', shorter than their listen keys (60 characters at
// the longest) and session tokens.
const minTokenBytes = 16

// looksLikeToken reports whether s is an opaque credential rather than a
// path word or a stream name: at least minTokenBytes of letters, digits,
// '-' and '_', with both letters and digits, and no separator a stream
// name would have ('@', '.', '!').
func looksLikeToken(s string) bool {
	if len(s) < minTokenBytes || s == Redacted {
		return false
	}
	letters, digits := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letters = true
		case '0' <= c && c <= '9':
			digits = true
		case c == '-' || c == '_':
		default:
			return false
		}
	}
	return letters && digits
}
