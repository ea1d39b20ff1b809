package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// requestTimeout is how long one malformed request may take to be
// answered before the suite calls it a hang.
const requestTimeout = 5 * time.Second

// slowCase is the time past which a request is reported in the log (it
// passes, but walks more than it should).
const slowCase = 250 * time.Millisecond

// panicCatcher wraps the serving stack, recording handler panics (the HTTP
// server would otherwise swallow them into a reset connection) and the
// requests that reached it.
type panicCatcher struct {
	h      http.Handler
	mu     sync.Mutex
	panics []string
	seen   map[string]bool
}

func (c *panicCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get("X-Robust-Case"); id != "" {
		c.mu.Lock()
		c.seen[id] = true
		c.mu.Unlock()
	}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		c.mu.Lock()
		c.panics = append(c.panics, fmt.Sprintf("%s %.300s: panic: %v\n%s", r.Method, r.URL.String(), v, debug.Stack()))
		c.mu.Unlock()
		http.Error(w, "panic", http.StatusInternalServerError)
	}()
	c.h.ServeHTTP(w, r)
}

func (c *panicCatcher) reached(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[id]
}

// takePanics returns and forgets the panics recorded so far.
func (c *panicCatcher) takePanics() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.panics
	c.panics = nil
	return p
}

// robustHarness is one plugin served through replay behind a panicCatcher.
type robustHarness struct {
	p      plugins.Plugin
	srv    *replay.Server
	catch  *panicCatcher
	http   *server
	now    int64
	pairs  []cc.Pair
	client *http.Client
}

func newRobustHarness(t *testing.T, p plugins.Plugin, opts Options) *robustHarness {
	srv, err := replay.New(replay.Options{Exchange: p.Name(), Pairs: opts.Pairs, Seed: opts.Seed, Clock: replaytest.Clock(opts.Now, 0), Serve: serve.Options{NoRateLimit: true}})
	if err != nil {
		t.Fatalf("replay.New(%s): %v", p.Name(), err)
	}
	c := &panicCatcher{h: srv.Handler(), seen: map[string]bool{}}
	hs := newServer(c)
	h := &robustHarness{p: p, srv: srv, catch: c, http: hs, now: opts.Now.UnixMilli(), pairs: srv.Env().Pairs}
	h.client = &http.Client{Timeout: requestTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	return h
}

func (h *robustHarness) close() {
	h.srv.Env().Hub.CloseAll(1001, "robustness over")
	h.http.Close()
	h.client.CloseIdleConnections()
	h.srv.Close(context.Background())
}

// RunRobustness checks that p survives bad input with default options: see
// RunRobustnessWith.
func RunRobustness(t *testing.T, p plugins.Plugin) { RunRobustnessWith(t, p, Options{}) }

// RunRobustnessWith sends p, through the real serving stack, malformed REST
// requests (unknown paths, garbage, missing, duplicated and extreme
// parameters, wrong methods, huge and invalid bodies) and garbage on its WS
// paths (junk frames, oversized frames, subscription and ping storms). No
// request may panic, hang, answer a 5xx or an empty body (unless the
// exchange's own unknown-path reply is empty); a WS session must answer or
// close cleanly, stay responsive, and leave no goroutine behind once closed.
func RunRobustnessWith(t *testing.T, p plugins.Plugin, opts Options) {
	opts = opts.withDefaults()
	t.Run("rest", func(t *testing.T) {
		// The server's goroutines, told from those of plugins checked in
		// parallel by their label.
		g := replaytest.NewGoroutines(t.Name())
		g.Track(func() {
			h := newRobustHarness(t, p, opts)
			defer h.close()
			checkRobustREST(t, h)
		})
		if err := g.Leaked(requestTimeout); err != nil {
			t.Errorf("goroutines left after the server closed: %v", err)
		}
	})
	t.Run("ws", func(t *testing.T) { checkRobustWS(t, p, opts) })
}

// restCase is one malformed request.
type restCase struct {
	method string
	path   string // escaped path
	query  string // raw query
	body   []byte
	ctype  string
}

func (c restCase) String() string {
	s := c.method + " " + c.path
	if c.query != "" {
		s += "?" + c.query
	}
	if len(c.body) > 0 {
		s += fmt.Sprintf(" body[%d]=%.80q", len(c.body), c.body)
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// badValues are parameter values no exchange accepts as they are, or
// accepts only at an edge: garbage, overflow, negative, NaN, unicode, far
// past and far future instants (in ms and in s).
var badValues = []string{
	"", " ", "abc", "0", "-1", "1.5", "1e12", "1e308", "-1e308", "NaN", "Inf", "-Inf",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"18446744073709551616", "99999999999999999999999999999999999999", "0x10", "1_000", "+5",
	"true", "null", "[]", "{}", `{"a":1}`, `["BTC","ETH"]`,
	"-62135596800000", "-62135596800", "253402300799999", "253402300799", "2147483648", "4294967296",
	"ü€😀", "\x00", "\xff\xfe", "'\"<>;", "../../etc/passwd", "%", strings.Repeat("9", 400), strings.Repeat("A", 8000),
	"2026-03-18T14:37:25Z", "1m", "1M", "1w", "ZZZQUSDT", "btcusdt", "BTC-USDT-SWAP",
}

// shortBadValues is the subset used where the product of routes and
// parameters would otherwise grow large.
var shortBadValues = []string{"", "abc", "-1", "0", "1e12", "NaN", "99999999999999999999999", "ü€😀", "\x00", strings.Repeat("A", 4000), "-62135596800000", "253402300799999"}

// commonParams are parameter names used by at least one exchange's routes.
var commonParams = []string{
	"symbol", "symbols", "interval", "limit", "startTime", "endTime", "start", "end", "from", "to",
	"instId", "instType", "bar", "after", "before", "category", "granularity", "pair", "coin",
	"currency_pair", "contract", "settle", "type", "product_ids", "n", "since", "timeZone", "uly",
}

// badBodies are request bodies for POST routes.
var badBodies = [][]byte{
	nil, []byte("{"), []byte("nul"), []byte("null"), []byte("[]"), []byte("{}"), []byte(`"x"`), []byte("1e999"),
	[]byte(`{"type":null}`), []byte(`{"type":"candleSnapshot"}`), []byte(`{"type":"candleSnapshot","req":null}`),
	[]byte(`{"type":"candleSnapshot","req":{}}`), []byte(`{"type":"meta"}`), []byte(`{"type":"spotMeta"}`),
	[]byte(`{"type":"allMids"}`), []byte(`{"type":"metaAndAssetCtxs"}`), []byte(`{"type":"spotMetaAndAssetCtxs"}`),
	[]byte(`{"type":123}`), []byte("\xff\xfe\x00"), []byte(strings.Repeat("[", 100000)),
	[]byte(`{"type":"` + strings.Repeat("x", 100000) + `"}`),
}

// restCases builds every malformed request for h's plugin.
func (h *robustHarness) restCases(t *testing.T) []restCase {
	var cases []restCase
	add := func(c restCase) {
		if c.method == "" {
			c.method = http.MethodGet
		}
		cases = append(cases, c)
	}
	d := h.p.Defaults()
	sym := h.pairs[0].Symbol

	// Candles requests: semantic edges through the plugin's own builder.
	var candleReqs []*http.Request
	for _, q := range h.edgeQueries(sym, d) {
		req, err := candlesRequest(h.p, q)
		if err != nil {
			if strings.Contains(err.Error(), "panic") {
				t.Errorf("CandlesRequest(%+v): %v", q, err)
			}
			continue
		}
		candleReqs = append(candleReqs, req)
		add(fromRequest(req))
	}
	// Parameter mutations of one valid candles request per interval picked.
	for i, iv := range pickIntervals(d.Intervals) {
		q := h.pastQueryFor(sym, iv, 5)
		req, err := candlesRequest(h.p, q)
		if err != nil {
			t.Fatalf("CandlesRequest(%+v): %v", q, err)
		}
		vals := badValues
		if i > 0 {
			vals = shortBadValues
		}
		for _, c := range mutateRequest(fromRequest(req), vals) {
			add(c)
		}
	}

	// Every listed route: no parameters, garbage parameters, wrong methods,
	// bodies.
	rest, _ := h.routes()
	for _, rt := range rest {
		method, path := splitRoute(rt)
		add(restCase{method: method, path: path})
		for _, v := range shortBadValues {
			qv := url.Values{}
			for _, name := range commonParams {
				qv.Set(name, v)
			}
			add(restCase{method: method, path: path, query: qv.Encode()})
		}
		add(restCase{method: method, path: path, query: "symbol=%zz&%00=%&&&=&symbol"})
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, http.MethodHead, "BREW"} {
			if m != method {
				add(restCase{method: m, path: path})
			}
		}
		add(restCase{method: http.MethodPost, path: path, body: bytes.Repeat([]byte("x"), 4<<20), ctype: "application/octet-stream"})
		if method == http.MethodPost {
			for _, b := range badBodies {
				add(restCase{method: method, path: path, body: b, ctype: "application/json"})
			}
			add(restCase{method: method, path: path, body: []byte(`{"type":"candleSnapshot"}`), ctype: "text/plain"})
		}
	}

	// Unknown and malformed paths.
	for _, p := range []string{
		"/", "//", "/..", "/%2e%2e/%2e%2e", "/%00", "/%ff%fe", "/ü€😀", "/" + strings.Repeat("a", 6000),
		strings.Repeat("/x", 500), "/api", "/api/v3", "/api/v3/", "/api/v3/klines/extra", "/info/x", "/ws/../info",
		"/__admin", "/index.html", "/favicon.ico", "/robots.txt", "/.env",
	} {
		add(restCase{path: p})
	}
	for _, req := range candleReqs[:min(1, len(candleReqs))] {
		c := fromRequest(req)
		segs := strings.Split(strings.Trim(c.path, "/"), "/")
		for i := range segs {
			for _, v := range []string{"ZZZQ", "%00", "%ff", strings.Repeat("Z", 3000), ""} {
				m := append([]string(nil), segs...)
				m[i] = v
				add(restCase{method: c.method, path: "/" + strings.Join(m, "/"), query: c.query, body: c.body, ctype: c.ctype})
			}
		}
		add(restCase{method: c.method, path: c.path + "/", query: c.query, body: c.body, ctype: c.ctype})
		add(restCase{method: c.method, path: strings.ToUpper(c.path), query: c.query, body: c.body, ctype: c.ctype})
	}
	// The admin API shares the listener: bad bodies must be refused
	// cleanly too. Last, so nothing it might accept affects the cases
	// above.
	for _, p := range []string{"/__admin/conditions", "/__admin/limits"} {
		for _, b := range badBodies {
			cases = append(cases, restCase{method: http.MethodPut, path: p, body: b, ctype: "application/json"})
		}
		for _, b := range []string{`{"latency":"-1s"}`, `{"loss":2}`, `{"latency":"1e400h"}`, `{"rest_limit":-5}`, `{"ws_limit":"x"}`, `{"jitter":null}`} {
			cases = append(cases, restCase{method: http.MethodPut, path: p, body: []byte(b), ctype: "application/json"})
		}
	}
	for _, b := range [][]byte{[]byte("{"), []byte(`{"code":"x"}`), []byte(`{"code":-1}`), []byte(`{"code":99999}`)} {
		cases = append(cases, restCase{method: http.MethodPost, path: "/__admin/disconnect", body: b, ctype: "application/json"})
	}
	cases = append(cases, restCase{method: http.MethodPost, path: "/__admin/reset", body: []byte("[")},
		restCase{method: http.MethodDelete, path: "/__admin/status"}, restCase{path: "/__admin/nope"})
	return cases
}

// edgeQueries are candles queries at the edges every exchange must refuse
// or clamp: limits, reversed and extreme windows, unknown symbols and
// intervals.
func (h *robustHarness) edgeQueries(sym string, d plugins.Defaults) []plugins.Query {
	iv := pickIntervals(d.Intervals)[0]
	base := h.pastQueryFor(sym, iv, 5)
	year1 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	year9999 := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMilli()
	with := func(f func(*plugins.Query)) plugins.Query { q := base; f(&q); return q }
	qs := []plugins.Query{
		with(func(q *plugins.Query) { q.Limit = -1 }),
		with(func(q *plugins.Query) { q.Limit = 1e12 }),
		with(func(q *plugins.Query) { q.Limit = math.MaxInt32 + 1 }),
		with(func(q *plugins.Query) { q.Limit = d.MaxLimit + 1 }),
		with(func(q *plugins.Query) { q.Limit = d.MaxLimit * 10 }),
		with(func(q *plugins.Query) { q.Start, q.End, q.Limit = 0, 0, d.MaxLimit+1 }),
		with(func(q *plugins.Query) { q.Start, q.End = q.End+iv.Millis()*10, q.Start }),
		with(func(q *plugins.Query) { q.Start, q.End = year1, year1+iv.Millis()*3 }),
		with(func(q *plugins.Query) { q.Start, q.End = year1, year9999 }),
		with(func(q *plugins.Query) { q.Start, q.End = year9999, year9999+iv.Millis()*3 }),
		with(func(q *plugins.Query) { q.Start, q.End = year9999, 0 }),
		with(func(q *plugins.Query) { q.Start, q.End = 0, year9999 }),
		with(func(q *plugins.Query) { q.Start, q.End = 0, year1 }),
		with(func(q *plugins.Query) { q.Start, q.End = -1, -1 }),
		with(func(q *plugins.Query) { q.Start, q.End = 1, 2 }),
		with(func(q *plugins.Query) { q.Start, q.End = math.MinInt64/2, math.MaxInt64/2 }),
		with(func(q *plugins.Query) { q.Start, q.End = h.now, h.now }),
		with(func(q *plugins.Query) { q.Start, q.End, q.Limit = h.now+86_400_000, h.now+2*86_400_000, 0 }),
		with(func(q *plugins.Query) { q.Start, q.End = q.Start+1, q.End-1 }),
		with(func(q *plugins.Query) { q.Start, q.End = 0, 0 }),
		with(func(q *plugins.Query) { q.Symbol = "" }),
		with(func(q *plugins.Query) { q.Symbol = h.p.Symbol(cc.Pair{Base: "ZZZQ", Quote: "USDT"}) }),
		with(func(q *plugins.Query) { q.Symbol = strings.ToLower(sym) }),
		with(func(q *plugins.Query) { q.Symbol = "ü€😀" }),
		with(func(q *plugins.Query) { q.Symbol = strings.Repeat("B", 5000) }),
		with(func(q *plugins.Query) { q.Symbol = sym + "\x00" }),
		with(func(q *plugins.Query) { q.Interval = "7m" }),
		with(func(q *plugins.Query) { q.Interval = "" }),
	}
	for _, other := range cc.Intervals {
		qs = append(qs, with(func(q *plugins.Query) { q.Interval = other; q.Start, q.End = 0, 0 }))
	}
	// Windows spanning millennia at every served interval: nothing may walk
	// them candle by candle.
	for _, iv := range d.Intervals {
		for _, w := range [][3]int64{
			{year1, year9999, 0}, {year1, year9999, int64(d.MaxLimit)}, {1, h.now, 3}, {year1, 0, 2}, {0, year9999, 2},
			{h.now - iv.Millis()*int64(d.MaxLimit)*1000, h.now, int64(d.MaxLimit)},
		} {
			qs = append(qs, plugins.Query{Symbol: sym, Interval: iv, Start: w[0], End: w[1], Limit: int(w[2])})
		}
	}
	return qs
}

// pastQueryFor is harness.pastQuery for the robustness harness.
func (h *robustHarness) pastQueryFor(sym string, iv cc.Interval, n int) plugins.Query {
	last := iv.Prev(iv.Truncate(h.now))
	return plugins.Query{Symbol: sym, Interval: iv, Start: iv.Add(last, 1-n), End: last, Limit: n}
}

// candlesRequest calls p.CandlesRequest, turning a panic into an error.
func candlesRequest(p plugins.Plugin, q plugins.Query) (req *http.Request, err error) {
	defer func() {
		if v := recover(); v != nil {
			req, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	return p.CandlesRequest(q)
}

func fromRequest(req *http.Request) restCase {
	c := restCase{method: req.Method, path: req.URL.EscapedPath(), query: req.URL.RawQuery}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			c.body, _ = io.ReadAll(rc)
			rc.Close()
		}
	} else if req.Body != nil {
		c.body, _ = io.ReadAll(req.Body)
	}
	c.ctype = req.Header.Get("Content-Type")
	return c
}

// mutateRequest returns c with each query parameter (or, for a JSON body,
// each leaf) replaced by every bad value, dropped and duplicated, plus a
// few whole-query garbages.
func mutateRequest(c restCase, vals []string) []restCase {
	var out []restCase
	if len(c.body) > 0 && json.Valid(c.body) {
		for _, b := range mutateJSON(c.body, vals) {
			m := c
			m.body = b
			out = append(out, m)
		}
	}
	keys, values := splitQuery(c.query)
	for i := range keys {
		set := func(v string, drop, dup bool) restCase {
			var parts []string
			for j := range keys {
				switch {
				case j != i:
					parts = append(parts, keys[j]+"="+values[j])
				case drop:
				case dup:
					parts = append(parts, keys[j]+"="+values[j], keys[j]+"="+url.QueryEscape(v))
				default:
					parts = append(parts, keys[j]+"="+url.QueryEscape(v))
				}
			}
			m := c
			m.query = strings.Join(parts, "&")
			return m
		}
		for _, v := range vals {
			out = append(out, set(v, false, false))
		}
		out = append(out, set("", true, false), set("abc", false, true), set(values[i], false, true))
		// Unescaped garbage straight in the raw query.
		for _, raw := range []string{"%", "%zz", "%00", "a b", "1;2", "\xff"} {
			m := c
			m.query = strings.Replace(c.query, keys[i]+"="+values[i], keys[i]+"="+raw, 1)
			out = append(out, m)
		}
	}
	for _, q := range []string{"", "&&&", "=", "==&=", "%", "x=1", strings.Repeat("a=1&", 3000), c.query + "&" + c.query} {
		m := c
		m.query = q
		out = append(out, m)
	}
	return out
}

func splitQuery(raw string) (keys, values []string) {
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
		values = append(values, v)
	}
	return keys, values
}

// jsonBad are JSON values replacing one leaf of a valid body.
var jsonBad = []string{
	`null`, `""`, `"abc"`, `-1`, `0`, `1.5`, `1e300`, `-1e300`, `9223372036854775808`, `-62135596800000`,
	`253402300799999`, `[]`, `{}`, `true`, `"NaN"`, `"ü€😀"`, `"` + strings.Repeat("A", 5000) + `"`,
}

// mutateJSON replaces each leaf of body with every jsonBad value and drops
// each object key in turn.
func mutateJSON(body []byte, _ []string) [][]byte {
	var root any
	if err := json.Unmarshal(body, &root); err != nil {
		return nil
	}
	var paths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(v[k], append(append([]any(nil), path...), k))
			}
		case []any:
			for i := range v {
				walk(v[i], append(append([]any(nil), path...), i))
			}
		default:
			paths = append(paths, path)
		}
	}
	walk(root, nil)
	var out [][]byte
	for _, p := range paths {
		for _, bad := range jsonBad {
			var r any
			json.Unmarshal(body, &r)
			var bv any
			json.Unmarshal([]byte(bad), &bv)
			if b, err := json.Marshal(setJSON(r, p, bv, false)); err == nil {
				out = append(out, b)
			}
		}
		var r any
		json.Unmarshal(body, &r)
		if b, err := json.Marshal(setJSON(r, p, nil, true)); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func setJSON(root any, path []any, v any, drop bool) any {
	if len(path) == 0 {
		return v
	}
	switch node := root.(type) {
	case map[string]any:
		k := path[0].(string)
		if len(path) == 1 && drop {
			delete(node, k)
			return node
		}
		node[k] = setJSON(node[k], path[1:], v, drop)
		return node
	case []any:
		i := path[0].(int)
		if len(path) == 1 && drop {
			return append(node[:i], node[i+1:]...)
		}
		node[i] = setJSON(node[i], path[1:], v, drop)
		return node
	}
	return root
}

func splitRoute(rt string) (method, path string) {
	if m, p, ok := strings.Cut(rt, " "); ok {
		return m, p
	}
	return http.MethodGet, rt
}

// routes lists the plugin's REST routes and WS paths: its own list, plus
// its candles path and kline stream path if the list lacks them.
func (h *robustHarness) routes() (rest, ws []string) {
	return pluginRoutes(h.p, h.pairs[0].Symbol)
}

func pluginRoutes(p plugins.Plugin, sym string) (rest, ws []string) {
	rest, ws = p.Routes()
	iv := pickIntervals(p.Defaults().Intervals)[0]
	if req, err := candlesRequest(p, plugins.Query{Symbol: sym, Interval: iv, Start: DefaultNow.UnixMilli() - iv.Millis()*5, End: DefaultNow.UnixMilli() - iv.Millis(), Limit: 5}); err == nil {
		rest = appendNew(rest, req.Method+" "+req.URL.EscapedPath())
	}
	if ks, ok := p.(plugins.KlineSubscriber); ok {
		path, _ := ks.KlineSubscription(sym, iv)
		ws = appendNew(ws, path)
	}
	return rest, ws
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s || (!strings.Contains(x, " ") && "GET "+x == s) {
			return list
		}
	}
	return append(list, s)
}

// checkRobustREST sends every case and checks the answers.
func checkRobustREST(t *testing.T, h *robustHarness) {
	// The exchange's own reply to an unknown path tells what its error
	// bodies look like (Hyperliquid's is empty).
	base, err := h.send(restCase{method: http.MethodGet, path: "/cc-robust/no/such/route"}, "base")
	if err != nil {
		t.Fatalf("unknown path: %v", err)
	}
	emptyOK := len(base.body) == 0
	cases := h.restCases(t)
	failures := 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 25 {
			t.Errorf(format, args...)
		}
	}
	start := time.Now()
	statuses := map[int]int{}
	reached := 0
	var slow []string
	for i, c := range cases {
		id := fmt.Sprint(i)
		t0 := time.Now()
		res, err := h.send(c, id)
		took := time.Since(t0)
		if took > slowCase {
			slow = append(slow, fmt.Sprintf("%v %s", took.Round(time.Millisecond), c))
		}
		if h.catch.reached(id) {
			reached++
		}
		for _, p := range h.catch.takePanics() {
			fail("%s: handler panicked:\n%.3000s", c, p)
		}
		if err != nil {
			if h.catch.reached(id) || !isClientSideError(err) {
				fail("%s: no answer after %v: %v", c, took.Round(time.Millisecond), err)
			}
			continue
		}
		statuses[res.status]++
		if !h.catch.reached(id) && wellFormed(c) {
			fail("%s: answered %d %.100q by the HTTP server itself, without the handler seeing the request (is the connection out of step after the previous request?)", c, res.status, res.body)
		}
		if dr, ok := h.p.(plugins.DocumentedReplies); ok && dr.DocumentedReply(res.status, res.body) {
			continue
		}
		if res.status >= 500 {
			fail("%s: status %d: %.300s", c, res.status, res.body)
		}
		if len(res.body) == 0 && c.method != http.MethodHead && res.status != http.StatusNoContent && res.status != http.StatusNotModified &&
			!(emptyOK && res.status == base.status) {
			fail("%s: status %d with an empty body", c, res.status)
		}
	}
	if failures > 25 {
		t.Errorf("... and %d more failures", failures-25)
	}
	// Go's server refuses a few requests before any handler (a 400 for a
	// NUL in the path, a 431); the rest must reach the plugin, or the
	// suite tests nothing.
	if reached < len(cases)*9/10 {
		t.Errorf("only %d of %d requests reached the handler", reached, len(cases))
	}
	if len(slow) > 0 {
		t.Logf("%d requests took over %v: %q", len(slow), slowCase, slow[:min(len(slow), 10)])
	}
	t.Logf("%s: %d malformed REST requests (%d reached the plugin) in %v; statuses %v", h.p.Name(), len(cases), reached, time.Since(start).Round(time.Millisecond), statuses)
}

type answer struct {
	status int
	body   []byte
}

func (h *robustHarness) send(c restCase, id string) (answer, error) {
	u, err := url.Parse(h.http.URL)
	if err != nil {
		return answer{}, err
	}
	u.RawPath = c.path
	u.Path, err = url.PathUnescape(c.path)
	if err != nil {
		u.Path = c.path
	}
	u.RawQuery = c.query
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, h.http.URL, body)
	if err != nil {
		return answer{}, clientSide{err}
	}
	req.URL = u
	req.Header.Set("X-Robust-Case", id)
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	res, err := h.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return answer{}, err
	}
	return answer{status: res.StatusCode, body: b}, nil
}

// wellFormed reports whether Go's client sends c as a valid HTTP request
// line, which the server must hand to the handler: no control, space or
// non-ASCII byte in the path or query, within the header size limit.
func wellFormed(c restCase) bool {
	u := c.path + c.query
	if len(u) > 64<<10 {
		return false
	}
	for i := 0; i < len(u); i++ {
		if u[i] <= ' ' || u[i] >= 0x7f {
			return false
		}
	}
	return true
}

// clientSide marks a request the Go client refused to send: not a server
// failure.
type clientSide struct{ error }

// isClientSideError reports whether err happened before the request left
// the client (an invalid URL or header), or is the server refusing a huge
// body before reading it, which Go's server does by closing.
func isClientSideError(err error) bool {
	var cs clientSide
	if errors.As(err, &cs) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "invalid") {
		return true
	}
	return false
}
