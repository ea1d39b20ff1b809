package h1

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// head is a request head this server can serve itself.
type head struct {
	method     string
	target     string
	protoMinor int
	header     http.Header
	host       string
	length     int64 // Content-Length; 0 when absent
	close      bool  // the client asked to close after this request
}

// maxHead is the largest request head served here; a larger one goes to
// the fallback, which answers 431 as net/http does.
const maxHead = 64 << 10

// headEnd is the length of the head at the start of b through its blank
// line, 0 while no blank line has arrived, or -1 when the first blank line
// is not CRLF CRLF (bare LF line ends, which net/http accepts).
func headEnd(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	for i >= 0 {
		rest := b[i+1:]
		switch {
		case len(rest) == 0:
			return 0
		case rest[0] == '\n':
			return -1
		case rest[0] == '\r':
			if len(rest) == 1 {
				return 0
			}
			if rest[1] != '\n' {
				return -1
			}
			if i == 0 || b[i-1] != '\r' {
				return -1
			}
			return i + 3
		}
		j := bytes.IndexByte(rest, '\n')
		if j < 0 {
			return 0
		}
		i += 1 + j
	}
	return 0
}

// parseHead parses b, a complete head ending in CRLF CRLF. ok is false for
// anything this server leaves to net/http: unknown methods, other targets
// than origin-form, versions but 1.0 and 1.1, folded, malformed or
// duplicated framing headers, a body other than Content-Length, Expect,
// Upgrade. It is deliberately strict: whatever it refuses is still served,
// by the fallback, exactly as net/http would.
func parseHead(raw []byte) (h head, ok bool) {
	// One copy of the head: the target, names and values are its
	// substrings, not an allocation each.
	b := string(raw[:len(raw)-2]) // keep the last header line's CRLF as its terminator
	i := strings.Index(b, "\r\n")
	if i < 0 {
		return h, false
	}
	line := b[:i]
	b = b[i+2:]

	// Request line: METHOD SP target SP HTTP/1.x
	sp1 := strings.IndexByte(line, ' ')
	if sp1 < 0 {
		return h, false
	}
	if h.method = knownMethod(line[:sp1]); h.method == "" {
		return h, false
	}
	rest := line[sp1+1:]
	sp2 := strings.IndexByte(rest, ' ')
	if sp2 <= 0 || rest[0] != '/' {
		return h, false
	}
	target, proto := rest[:sp2], rest[sp2+1:]
	for i := range len(target) {
		if c := target[i]; c <= ' ' || c >= 0x7f {
			return h, false
		}
	}
	switch proto {
	case "HTTP/1.1":
		h.protoMinor = 1
	case "HTTP/1.0":
		h.protoMinor = 0
		h.close = true // unless it asks for keep-alive
	default:
		return h, false
	}
	h.target = target

	h.header = make(http.Header, 8)
	vals := make([]string, 0, 8)
	hostSeen, lengthSeen := false, false
	for len(b) > 0 {
		i := strings.Index(b, "\r\n")
		if i <= 0 {
			return h, false // a bare CR or LF, or an empty line inside the head
		}
		line := b[:i]
		b = b[i+2:]
		if line[0] == ' ' || line[0] == '\t' {
			return h, false // obsolete line folding
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			return h, false
		}
		name := line[:colon]
		for i := range len(name) {
			if !isToken(name[i]) {
				return h, false
			}
		}
		value := trimOWS(line[colon+1:])
		for i := range len(value) {
			if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
				return h, false
			}
		}
		key := canonicalKey(name)
		switch key {
		case "Host":
			if hostSeen || !validHost(value) {
				return h, false
			}
			hostSeen = true
			h.host = value
			continue // promoted to Request.Host, as net/http does
		case "Content-Length":
			if lengthSeen {
				return h, false
			}
			lengthSeen = true
			n, err := strconv.ParseUint(value, 10, 63)
			if err != nil || len(value) == 0 || value[0] == '+' {
				return h, false
			}
			h.length = int64(n)
		case "Transfer-Encoding", "Expect", "Upgrade", "Http2-Settings", "Trailer":
			return h, false
		case "Connection":
			for tok := range strings.SplitSeq(value, ",") {
				tok = trimOWS(tok)
				switch {
				case asciiEqualFold(tok, "close"):
					h.close = true
				case asciiEqualFold(tok, "keep-alive"):
					if h.protoMinor == 0 {
						h.close = false
					}
				case asciiEqualFold(tok, "upgrade"):
					return h, false
				}
			}
		}
		if prev, ok := h.header[key]; ok {
			h.header[key] = append(prev, value)
		} else {
			// Values share one backing array, each slice capped at
			// its length so that appending to one copies it.
			vals = append(vals, value)
			n := len(vals)
			h.header[key] = vals[n-1 : n : n]
		}
	}
	if h.protoMinor == 1 && !hostSeen {
		return h, false // net/http answers 400: missing required Host header
	}
	return h, true
}

var crlf = []byte("\r\n")

// knownMethod returns the method as a constant string (no allocation), or
// "" for a method left to the fallback.
func knownMethod(b string) string {
	switch b {
	case "GET":
		return http.MethodGet
	case "HEAD":
		return http.MethodHead
	case "POST":
		return http.MethodPost
	case "PUT":
		return http.MethodPut
	case "DELETE":
		return http.MethodDelete
	case "PATCH":
		return http.MethodPatch
	case "OPTIONS":
		return http.MethodOptions
	}
	return ""
}

// canonicalKey is http.CanonicalHeaderKey without an allocation for the
// headers clients commonly send.
func canonicalKey(name string) string {
	for _, k := range commonKeys {
		if len(k) == len(name) && asciiEqualFold(name, k) {
			return k
		}
	}
	return http.CanonicalHeaderKey(name)
}

var commonKeys = [...]string{
	"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
	"Connection", "Content-Length", "Content-Type", "Cache-Control",
	"Pragma", "Origin", "Referer", "Cookie", "Authorization",
	"X-Mbx-Apikey", "Upgrade", "Transfer-Encoding", "Expect",
	"Keep-Alive", "Trailer", "Http2-Settings",
}

func asciiEqualFold(b, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func trimOWS(b string) string {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// isToken reports whether c may appear in a header name (RFC 9110 tchar).
func isToken(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// validHost accepts the host[:port] forms clients send; anything else
// (including an empty Host) goes to net/http's own checks.
func validHost(b string) bool {
	if len(b) == 0 {
		return false
	}
	for i := range len(b) {
		c := b[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_':
		default:
			return false
		}
	}
	return true
}

// parseTarget is the request URL, or false when net/http should judge it.
func parseTarget(target string) (*url.URL, bool) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	return u, true
}
