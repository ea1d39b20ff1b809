package ratelimit

import (
	"fmt"
	"net/http"
	"time"
)

// Model is an exchange's rate-limit model, declared by its plugin. The zero
// Model limits nothing.
type Model struct {
	// REST windows, all enforced together per client IP. The first is the
	// primary window: the one Limits' rest_limit and rest_period override
	// and whose used weight UsedHeaders report.
	REST []Window
	// Weight is what a request costs; nil means 1 for every request. A
	// result below 1 counts as 1.
	Weight func(r *http.Request) int
	// UsedHeaders names the response headers that carry the used weight of
	// the primary window for its period, e.g. X-MBX-USED-WEIGHT-1M. Nil
	// sends none.
	UsedHeaders func(period time.Duration) []string
	// Refuse builds the exchange's body for a 429 or 418; nil gives a
	// generic JSON body. Status, Retry-After and the used-weight headers are
	// set by the Limiter.
	Refuse func(Refusal) Response
	// Ban, if set, turns clients that keep going after 429s into 418s.
	Ban *Ban
	// WS are the exchange's WebSocket limits.
	WS WSModel
}

// Window is one fixed window of a REST limit.
type Window struct {
	// Name is the exchange's name for the limit, e.g. REQUEST_WEIGHT.
	Name string
	// Limit is the most weight a client may use per Period.
	Limit int
	// Period is the window length.
	Period time.Duration
	// Aligned windows start on multiples of Period since the Unix epoch
	// (Binance's minutes start on the minute); others start at a client's
	// first request.
	Aligned bool
}

// Ban is an exchange's automated IP ban for clients that ignore 429s.
type Ban struct {
	// After is how many 429s a client may get in one window before the
	// next refused request bans it.
	After int
	// Durations are the ban lengths for the first, second, ... ban of an IP;
	// the last repeats.
	Durations []time.Duration
}

// WSModel are an exchange's limits on WebSocket clients.
type WSModel struct {
	// MessageRate is the most client messages per second on one connection;
	// 0 means no limit. Burst is the most at once (0 means MessageRate).
	MessageRate float64
	Burst       int
	// CloseCode and CloseReason close a connection that exceeds the rate.
	CloseCode   int
	CloseReason string
	// MaxStreams is the most streams one connection may subscribe; 0 means
	// no limit.
	MaxStreams int
	// ConnAttempts is the most connection attempts per IP per ConnPeriod;
	// 0 means no limit.
	ConnAttempts int
	ConnPeriod   time.Duration
	// ConnsPerIP is the most concurrent connections per IP; 0 means no limit.
	ConnsPerIP int
}

// Kind says why a request was refused.
type Kind int

const (
	// TooMany is a request over a window's limit (HTTP 429).
	TooMany Kind = iota + 1
	// Banned is a request from a banned IP (HTTP 418).
	Banned
	// TooManyConns is a WS connection attempt over the attempt or
	// concurrency limit (HTTP 429 on the handshake).
	TooManyConns
)

// Refusal describes a refused request, for Model.Refuse.
type Refusal struct {
	Kind Kind
	// Status is 429 or 418.
	Status int
	// IP is the client's address as the exchange quotes it.
	IP string
	// Window is the window that was exceeded (TooMany).
	Window Window
	// Used is the weight used in that window, this request included.
	Used int
	// RetryAfter is how long until the client may try again.
	RetryAfter time.Duration
	// Until is the end of the ban (Banned).
	Until time.Time
}

// Response is a canned HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// genericRefusal is the body for models without Refuse.
func genericRefusal(f Refusal) Response {
	msg := fmt.Sprintf("too many requests; retry after %ds", retrySeconds(f.RetryAfter))
	if f.Kind == Banned {
		msg = fmt.Sprintf("IP banned until %d", f.Until.UnixMilli())
	}
	return Response{Status: f.Status, Body: fmt.Appendf(nil, `{"code":%d,"msg":%q}`, f.Status, msg)}
}

func retrySeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// ByPath weighs requests by exact URL path from table; paths not in it
// weigh def.
func ByPath(table map[string]int, def int) func(*http.Request) int {
	return func(r *http.Request) int {
		if w, ok := table[r.URL.Path]; ok {
			return w
		}
		return def
	}
}
