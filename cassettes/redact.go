package cassettes

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces every secret value before it is written.
const Redacted = "REDACTED"

// DefaultSecretHeaders are always redacted, in requests and responses:
// the generic auth headers. An exchange's own API-key, signature and
// passphrase headers are declared by its plugin and reach the cassette
// through Options.Secrets.
var DefaultSecretHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key",
}

// DefaultSecretParams are always redacted in query strings (the match key
// included), WS URLs, form and JSON request bodies, client WS frames and
// JSON response bodies (as JSON keys, at any depth). They are also left out
// of every match key (see DefaultVolatileParams), since their values are
// gone. Only string values are secrets: a number under one of these names
// ("token":0 naming a coin by its index) is data.
var DefaultSecretParams = []string{
	"signature", "sign", "sig", "apiKey", "api_key", "api-key", "listenKey", "listen_key",
	"passphrase", "secret", "apiSecret", "api_secret", "secretKey", "secret_key",
	"access_token", "accessToken", "auth_token", "token", "jwt", "password", "otp",
	"key", // only from the client: a WS auth or subscribe's key, ?key=
}

// Secrets name what is redacted on top of the generic names
// (DefaultSecretHeaders, DefaultSecretParams and the generic login verbs
// of authOps): one exchange's own credentials, as its plugin declares
// them. The recorder passes them in Options.Secrets.
type Secrets struct {
	// Headers are header names, any case, redacted in requests and
	// responses; those longer than 4 bytes are JSON keys to redact too.
	Headers []string
	// Params are query, form and JSON body names, any case.
	Params []string
	// LoginOps are the values of a client WS message's op, method, event,
	// action, type or channel field that make it a login (compared whole,
	// any case), and the words that open a text frame that logs in. Every
	// string in such a message is redacted but what says what it is and
	// when.
	LoginOps []string
}

// clientOnlyParams are DefaultSecretParams too generic to look for in
// response bodies, where they name data as often as credentials.
var clientOnlyParams = map[string]bool{"key": true}

// redactor holds the names to redact and the secret values seen so far.
//
// Values redacted by name are also remembered (API keys, listen keys,
// passphrases; not per-request signatures) and scrubbed wherever they turn
// up again: a listen key handed out in a response body and then used in a
// WS URL path, an API key echoed in a body.
type redactor struct {
	headers map[string]bool // canonical header keys
	params  map[string]bool // lower-case
	logins  map[string]bool // lower-case login verbs and words besides the generic ones

	mu      sync.Mutex
	secrets []string // learned values, oldest first, at most maxSecrets
}

const (
	maxSecrets     = 256
	minSecretBytes = 8 // shorter values are too likely to occur innocently
)

// learn remembers a secret value named name, unless it is a one-off
// signature or too short to scrub safely.
func (r *redactor) learn(name, v string) {
	n := strings.ToLower(name)
	if len(v) < minSecretBytes || v == Redacted || strings.Contains(n, "sign") || n == "sig" {
		return
	}
	if _, tok, ok := strings.Cut(v, " "); ok && len(tok) >= minSecretBytes {
		r.learn(name, tok) // "Bearer TOKEN": the token alone too
	}
	r.remember(v)
	if e := url.QueryEscape(v); e != v {
		r.remember(e) // as it reappears in a later URL or form
	}
}

func (r *redactor) remember(v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if s == v {
			return
		}
	}
	if len(r.secrets) == maxSecrets {
		r.secrets = r.secrets[1:]
	}
	r.secrets = append(r.secrets, v)
}

func (r *redactor) known() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.secrets
}

// scrub replaces every learned secret in b.
func (r *redactor) scrub(b []byte) []byte {
	for _, s := range r.known() {
		if bytes.Contains(b, []byte(s)) {
			b = bytes.ReplaceAll(b, []byte(s), []byte(Redacted))
		}
	}
	return b
}

func (r *redactor) scrubString(v string) string {
	for _, s := range r.known() {
		if strings.Contains(v, s) {
			v = strings.ReplaceAll(v, s, Redacted)
		}
	}
	return v
}

// newRedactor redacts the generic names, s, and extra (names of headers
// and params alike: Options.Redact).
func newRedactor(s Secrets, extra []string) *redactor {
	r := &redactor{headers: map[string]bool{}, params: map[string]bool{}, logins: map[string]bool{}}
	for _, h := range slices.Concat(DefaultSecretHeaders, s.Headers) {
		if h = strings.TrimSpace(h); h != "" {
			r.headers[http.CanonicalHeaderKey(h)] = true
		}
	}
	for _, p := range slices.Concat(DefaultSecretParams, s.Params) {
		if p = strings.TrimSpace(p); p != "" {
			r.params[strings.ToLower(p)] = true
		}
	}
	for _, op := range s.LoginOps {
		if op = strings.TrimSpace(op); op != "" {
			r.logins[strings.ToLower(op)] = true
		}
	}
	for _, n := range extra {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		r.headers[http.CanonicalHeaderKey(n)] = true
		r.params[strings.ToLower(n)] = true
	}
	return r
}

// header returns a copy of h with secret values redacted: by name, and
// secrets learned before wherever they recur in other headers.
func (r *redactor) header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		if r.headers[http.CanonicalHeaderKey(k)] {
			red := make([]string, len(vs))
			for i := range red {
				r.learn(k, vs[i])
				red[i] = Redacted
			}
			out[k] = red
			continue
		}
		cp := make([]string, len(vs))
		for i, v := range vs {
			cp[i] = r.scrubString(v)
		}
		out[k] = cp
	}
	return out
}

// query redacts secret params in a raw query string, keeping its order
// and everything else byte for byte.
func (r *redactor) query(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if !hasValue {
			continue
		}
		if r.params[strings.ToLower(unescape(name))] {
			_, v, _ := strings.Cut(p, "=")
			r.learn(unescape(name), unescape(v))
			parts[i] = name + "=" + Redacted
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '+':
			b.WriteByte(' ')
		case s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// body redacts a request body: JSON by key, anything else as a form.
func (r *redactor) body(b []byte) []byte {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return b
	}
	if t[0] == '{' || t[0] == '[' {
		if out, ok := r.json(t); ok {
			return out
		}
		return b
	}
	if bytes.IndexByte(t, '=') < 0 {
		return b
	}
	q := r.query(string(b))
	if q == string(b) {
		return b
	}
	return []byte(q)
}

// json redacts secret keys at any depth, and every string of a login
// message but what says what it is ({"op":"auth","args":[...]},
// {"op":"auth","key":..}; see redactAuth). It returns the re-encoded document and true if anything
// was redacted.
func (r *redactor) json(b []byte) ([]byte, bool) { return r.jsonAs(b, false) }

// jsonAs is json; fromServer leaves out the client-only names.
func (r *redactor) jsonAs(b []byte, fromServer bool) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return b, false
	}
	if !r.redactValue(v, fromServer) {
		return b, false
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return out, true
}

func (r *redactor) redactValue(v any, fromServer bool) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		if !fromServer && r.isAuthMessage(x) {
			return r.redactAuth(x)
		}
		for k, e := range x {
			if r.secretKey(k, e, fromServer) {
				if red := r.redactAll(k, e); !equalScalar(red, e) {
					x[k] = red
					changed = true
				}
				continue
			}
			if r.redactValue(e, fromServer) {
				changed = true
			}
		}
	case []any:
		for _, e := range x {
			if r.redactValue(e, fromServer) {
				changed = true
			}
		}
	}
	return changed
}

// secretKey reports whether the JSON key k holding e is a secret.
// Header names are matched as keys too, except the short ones (KEY,
// SIGN) that would hit innocent fields; an {"auth":{"KEY":..,"SIGN":..}}
// object is caught by its name.
func (r *redactor) secretKey(k string, e any, fromServer bool) bool {
	lk := strings.ToLower(k)
	if fromServer && clientOnlyParams[lk] {
		return false
	}
	_, isMap := e.(map[string]any)
	return r.params[lk] ||
		(r.headers[http.CanonicalHeaderKey(k)] && len(k) > 4) ||
		(lk == "auth" && isMap)
}

// equalScalar reports whether redactAll left a scalar as it was (a
// number under a secret name).
func equalScalar(a, b any) bool {
	switch a.(type) {
	case map[string]any, []any:
		return false
	}
	return a == b
}

// redactAll replaces every string inside v, learning the values. Numbers,
// booleans and nulls are kept: no exchange's credential is one, and a
// number under a secret-looking name is data.
func (r *redactor) redactAll(name string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = r.redactAll(k, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = r.redactAll(name, e)
		}
		return x
	case string:
		r.learn(name, x)
		return Redacted
	}
	return v
}

// responseBody redacts secret keys in a JSON response body (a listen key
// handed out, ...). Bodies that name no secret key are returned as they
// are without being parsed.
func (r *redactor) responseBody(b []byte) []byte {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || !r.namesSecret(t) {
		return b
	}
	out, _ := r.jsonAs(t, true)
	if bytes.Equal(out, t) {
		return b
	}
	return out
}

// namesSecret reports whether b holds a JSON key spelled like a secret
// param (case-insensitively for ASCII).
func (r *redactor) namesSecret(b []byte) bool {
	lower := bytes.ToLower(b)
	for p := range r.params {
		if clientOnlyParams[p] {
			continue // not redacted in responses: no reason to parse
		}
		if bytes.Contains(lower, []byte(`"`+p+`"`)) {
			return true
		}
	}
	return false
}
