package serve

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
)

// Per-request observation. Every REST request a Stack serves (WS
// handshakes excepted: their connections have counters of their own) is
// seen once on its way out: when, what, which route, the status, where the
// answer came from (NoteSource), the fault the network simulation or the
// rate limits put on it, how long it took and who asked. The last
// RequestLogSize of them are kept per exchange (GET /__admin/requests) and
// each one moves the Prometheus counters (metrics.go).
//
// It costs no allocation per request: on a connection, the request's
// state lives in the connection's values (connVals, one allocation per
// connection, made by the server's ConnContext), reused by each request
// of the connection in turn — HTTP/1.1 serves them one after the other.
// A request handed to the Handler in process with a background context
// (tests, benchmarks) is served as a copy, reused from a free list, whose
// context never changes (inProcess); any other gets a context of its own.
//
// Neither context is ever pointed at another parent: a context derived
// from a request's (an upstream request in record mode) may outlive it.

// RequestLogSize is how many requests each exchange's log keeps.
const RequestLogSize = 500

// RequestRecord is one request served, as GET /__admin/requests lists it.
type RequestRecord struct {
	Time     time.Time
	Exchange string
	Method   string
	Path     string
	// Query is the raw query as received; the admin API and Requests give
	// it with secret parameters redacted.
	Query string
	// Route is the route class: the pattern of the plugin route that
	// answered, the REST route listed by the plugin for the path, or
	// "other".
	Route  string
	Status int // 0 when no answer was sent (a dropped request)
	Source Source
	// Fault is what the network simulation or the rate limits did to the
	// request: latency, drop, hang, outage, error, throttle,
	// stale_snapshot, ratelimit, ban, or "".
	Fault    string
	Duration time.Duration
	Client   string
}

// Fault kinds a request can carry besides the network simulation's
// (netsim.Fault*): refused by the rate limits.
const (
	FaultRateLimit = "ratelimit" // 429 (or the exchange's own refusal)
	FaultBan       = "ban"       // refused while the client's IP is banned
)

// slotKey finds a request's obsSlot in its context.
type slotKey struct{}

// obsSlot is where the Stack keeps the state of the request it observes
// (cur), for NoteSource and the layers' hooks to find.
type obsSlot struct {
	cur   *obs // the request being served, or nil
	own   obs  // reused by each request of the connection
	watch watch
}

func slotOf(ctx context.Context) *obs {
	if sl, ok := ctx.Value(slotKey{}).(*obsSlot); ok {
		return sl.cur
	}
	return nil
}

// connVals are the values of a connection's requests: its way in, if it
// was not straight HTTP (proxy.go), and the slot of its request.
type connVals struct {
	context.Context
	way  *way
	slot obsSlot
}

func (c *connVals) Value(key any) any {
	switch key.(type) {
	case slotKey:
		return &c.slot
	case wayKey:
		if c.way == nil {
			return nil
		}
		return c.way
	}
	return c.Context.Value(key)
}

// obsCtx is the context given to a request that arrived without a
// connection's values (a Handler called in process).
type obsCtx struct {
	context.Context
	slot obsSlot
}

func (c *obsCtx) Value(key any) any {
	if _, ok := key.(slotKey); ok {
		return &c.slot
	}
	return c.Context.Value(key)
}

// obs is the state of one request observed, and the ResponseWriter its
// handlers write to (to see the status).
type obs struct {
	w        http.ResponseWriter
	status   int
	bytes    int64 // body bytes written
	source   Source
	fault    string
	admitted bool // passed the rate limits
}

func (o *obs) Header() http.Header { return o.w.Header() }

func (o *obs) WriteHeader(code int) {
	if o.status == 0 && code >= 200 {
		o.status = code
	}
	o.w.WriteHeader(code)
}

func (o *obs) Write(p []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	n, err := o.w.Write(p)
	o.bytes += int64(n)
	return n, err
}

// WriteStatic keeps the server's path for bodies that never change
// (plugins.WriteStatic).
func (o *obs) WriteStatic(p []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	n, err := plugins.WriteStatic(o.w, p)
	o.bytes += int64(n)
	return n, err
}

func (o *obs) Flush() { http.NewResponseController(o.w).Flush() }

// Unwrap lets http.ResponseController reach the server's writer (Hijack,
// deadlines).
func (o *obs) Unwrap() http.ResponseWriter { return o.w }

// faultRank orders faults: a request keeps the gravest noted.
func faultRank(kind string) int {
	switch kind {
	case "":
		return 0
	case netsim.FaultLatency, netsim.FaultThrottle:
		return 1
	}
	return 2
}

// noteFault is the network simulation's hook (netsim.Options.Fault).
func (st *Stack) noteFault(r *http.Request, kind string) {
	st.obs.fault(kind)
	sl, _ := r.Context().Value(slotKey{}).(*obsSlot)
	if sl == nil || sl.cur == nil {
		return
	}
	if faultRank(kind) >= faultRank(sl.cur.fault) {
		sl.cur.fault = kind
	}
	sl.watch.noteFault()
}

// admitted marks the requests the rate limits let through.
func admitted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := slotOf(r.Context()); o != nil {
			o.admitted = true
		}
		next.ServeHTTP(w, r)
	})
}

// layers are the Stack's layers around h: observation, rate limits,
// network simulation.
func (st *Stack) layers(h http.Handler) http.Handler {
	return st.observe(st.limiter.Middleware(admitted(st.sim.Middleware(h))))
}

// observe is the outermost layer: it installs the request's state, lets
// next serve it and records what happened.
func (st *Stack) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sl, _ := r.Context().Value(slotKey{}).(*obsSlot)
		if sl == nil || sl.cur != nil {
			if r.Context() == context.Background() {
				st.observeInProcess(next, w, r, start)
				return
			}
			c := &obsCtx{Context: r.Context()}
			sl, r = &c.slot, r.WithContext(c)
		}
		st.serveObserved(next, sl, w, r, start)
	})
}

func (st *Stack) serveObserved(next http.Handler, sl *obsSlot, w http.ResponseWriter, r *http.Request, start time.Time) {
	o := &sl.own
	*o = obs{w: w}
	sl.cur = o
	st.watchStart(sl, r, start)
	// Only the watch's end deferred: a handler that panics
	// (http.ErrAbortHandler) leaves the slot taken, and its connection is
	// closed; the request goes unrecorded.
	defer sl.watch.stop()
	next.ServeHTTP(o, r)
	sl.cur = nil
	if sl.watch.stop() {
		st.answeredLate(r, o, start)
	}
	st.finish(r, o, start)
}

// inProcess is the request and context a request handed to the Handler
// in process with a background context is observed under: reused, so that
// observing it costs no allocation either. req's context is ctx, whose
// parent is context.Background() for good; each use copies the request's
// fields into req.
type inProcess struct {
	ctx obsCtx
	req *http.Request
}

// inProcessFree holds the inProcess values not in use, at most
// maxInProcessFree. (A free list rather than a sync.Pool, which costs an
// allocation per use here.)
type inProcessFree struct {
	mu   sync.Mutex
	free []*inProcess
}

const maxInProcessFree = 64

func (f *inProcessFree) get() *inProcess {
	f.mu.Lock()
	if n := len(f.free); n > 0 {
		p := f.free[n-1]
		f.free = f.free[:n-1]
		f.mu.Unlock()
		return p
	}
	f.mu.Unlock()
	p := &inProcess{ctx: obsCtx{Context: context.Background()}}
	p.req = (&http.Request{}).WithContext(&p.ctx)
	return p
}

func (f *inProcessFree) put(p *inProcess) {
	f.mu.Lock()
	if len(f.free) < maxInProcessFree {
		f.free = append(f.free, p)
	}
	f.mu.Unlock()
}

func (st *Stack) observeInProcess(next http.Handler, w http.ResponseWriter, r *http.Request, start time.Time) {
	p := st.obs.inProc.get()
	copyRequest(p.req, r)
	st.serveObserved(next, &p.ctx.slot, w, p.req, start)
	// Not reached on a panic: p is then left to the garbage collector.
	copyRequest(p.req, &http.Request{})
	st.obs.inProc.put(p)
}

// copyRequest sets every exported field of dst to src's, leaving dst's
// context (a test checks that no exported field is missed).
func copyRequest(dst, src *http.Request) {
	dst.Method, dst.URL, dst.Proto, dst.ProtoMajor, dst.ProtoMinor = src.Method, src.URL, src.Proto, src.ProtoMajor, src.ProtoMinor
	dst.Header, dst.Body, dst.GetBody, dst.ContentLength = src.Header, src.Body, src.GetBody, src.ContentLength
	dst.TransferEncoding, dst.Close, dst.Host = src.TransferEncoding, src.Close, src.Host
	dst.Form, dst.PostForm, dst.MultipartForm, dst.Trailer = src.Form, src.PostForm, src.MultipartForm, src.Trailer
	dst.RemoteAddr, dst.RequestURI, dst.TLS, dst.Cancel = src.RemoteAddr, src.RequestURI, src.TLS, src.Cancel
	dst.Response, dst.Pattern = src.Response, src.Pattern
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// finish records request r, served in o since start.
func (st *Stack) finish(r *http.Request, o *obs, start time.Time) {
	d := time.Since(start)
	fault := o.fault
	if !o.admitted {
		fault = FaultRateLimit
		if o.status == http.StatusTeapot {
			fault = FaultBan
		}
	}
	route := st.obs.route(r)
	st.obs.count(route, o.status, o.source, d, o.bytes)
	st.obs.log.add(RequestRecord{
		Time: start, Exchange: st.plugin.Name(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Route: route, Status: o.status, Source: o.source, Fault: fault, Duration: d, Client: r.RemoteAddr,
	})
}

// requestLog is a ring of the last RequestLogSize requests.
type requestLog struct {
	mu   sync.Mutex
	buf  []RequestRecord
	next int
	full bool
}

func (l *requestLog) add(rec RequestRecord) {
	l.mu.Lock()
	if l.buf == nil {
		l.buf = make([]RequestRecord, RequestLogSize)
	}
	l.buf[l.next] = rec
	l.next++
	if l.next == len(l.buf) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// since returns the requests logged after t (all for the zero t), oldest
// first.
func (l *requestLog) since(t time.Time) []RequestRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []RequestRecord
	if l.full {
		out = append(out, l.buf[l.next:]...)
	}
	out = append(out, l.buf[:l.next]...)
	if !t.IsZero() {
		out = slices.DeleteFunc(out, func(r RequestRecord) bool { return !r.Time.After(t) })
	}
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	clear(l.buf)
	l.next, l.full = 0, false
	l.mu.Unlock()
}

// Traffic counts the REST requests a Stack served since it started.
type Traffic struct {
	Requests int64 // answered or not
	Bytes    int64 // response body bytes sent
	// Failed counts requests answered with a 5xx status or not at all.
	Failed int64
}

// Traffic returns the REST traffic served (not reset by ResetCounters).
func (st *Stack) Traffic() Traffic {
	return Traffic{Requests: st.obs.served.Load(), Bytes: st.obs.bytes.Load(), Failed: st.obs.failed.Load()}
}

// Requests returns the last requests served (at most RequestLogSize),
// oldest first, those after since only unless it is zero; their queries
// have secret parameters redacted.
func (st *Stack) Requests(since time.Time) []RequestRecord {
	out := st.obs.log.since(since)
	for i := range out {
		out[i].Query = st.obs.redact(out[i].Query)
	}
	return out
}

// secretParams are the query parameters redacted in the request log: the
// generic ones cassettes redact and the plugin's own (lower case).
func secretParams(p plugins.Plugin) map[string]bool {
	m := map[string]bool{}
	for _, n := range slices.Concat(cassettes.DefaultSecretParams, p.Defaults().SecretParams) {
		m[strings.ToLower(n)] = true
	}
	return m
}

// redactQuery replaces the values of secret parameters in a raw query
// with cassettes.Redacted, keeping everything else byte for byte.
func redactQuery(raw string, secret map[string]bool) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		name, _, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if secret[strings.ToLower(name)] || secret[strings.ToLower(unescapeQuery(name))] {
			parts[i] = name + "=" + cassettes.Redacted
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	// Invalid escapes: the name as sent.
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
