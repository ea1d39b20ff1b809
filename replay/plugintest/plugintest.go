package plugintest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// Options tune Run. The zero value serves cc.DefaultPairs with seed 7 at
// DefaultNow.
type Options struct {
	Pairs []cc.Pair
	Seed  uint64
	// Now is the fixed virtual instant the servers live at.
	Now time.Time
}

// withDefaults fills in what opts leaves zero: the default pairs, seed 7
// and DefaultNow.
func (opts Options) withDefaults() Options {
	if len(opts.Pairs) == 0 {
		opts.Pairs = cc.DefaultPairs
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.Now.IsZero() {
		opts.Now = DefaultNow
	}
	return opts
}

// DefaultNow is mid-candle for every interval from 1s to 1M.
var DefaultNow = time.Date(2026, 3, 18, 14, 37, 25, 500_000_000, time.UTC)

// Run runs the whole suite on p with default options.
func Run(t *testing.T, p plugins.Plugin) { RunWith(t, p, Options{}) }

// RunWith runs the whole suite on p.
func RunWith(t *testing.T, p plugins.Plugin, opts Options) {
	opts = opts.withDefaults()
	t.Run("registry", func(t *testing.T) { checkRegistry(t, p) })
	t.Run("defaults", func(t *testing.T) { checkDefaults(t, p) })
	t.Run("symbols", func(t *testing.T) { checkSymbols(t, p) })
	h := newHarness(t, p, opts)
	t.Run("candles", func(t *testing.T) { checkCandles(t, h) })
	t.Run("unknown symbol", func(t *testing.T) { checkUnknownSymbol(t, h) })
	t.Run("unknown path", func(t *testing.T) { checkUnknownPath(t, h) })
	t.Run("server error", func(t *testing.T) { checkServerError(t, p) })
	t.Run("determinism", func(t *testing.T) { checkDeterminism(t, h, opts) })
	if ks, ok := p.(plugins.KlineSubscriber); ok {
		t.Run("ws klines", func(t *testing.T) { checkWS(t, h, ks) })
	}
	t.Run("record then replay offline", func(t *testing.T) { checkRoundTrip(t, p, opts) })
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func checkRegistry(t *testing.T, p plugins.Plugin) {
	name := p.Name()
	if !idPattern.MatchString(name) {
		t.Errorf("name %q is not a lower-case exchange id", name)
	}
	if err := plugins.Validate(p); err != nil {
		t.Error(err)
	}
	got, err := plugins.Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v (register from init)", name, err)
	}
	if got.Name() != name {
		t.Errorf("Lookup(%q) returned %q", name, got.Name())
	}
}

func checkDefaults(t *testing.T, p plugins.Plugin) {
	d := p.Defaults()
	checkURL(t, "UpstreamREST", d.UpstreamREST, "https", "http")
	if d.UpstreamWS != "" {
		checkURL(t, "UpstreamWS", d.UpstreamWS, "wss", "ws")
	}
	if d.MaxLimit <= 0 {
		t.Errorf("MaxLimit %d, want > 0", d.MaxLimit)
	}
	if len(d.Intervals) == 0 {
		t.Error("no Intervals")
	}
	for i, iv := range d.Intervals {
		if !iv.Valid() {
			t.Errorf("interval %q is not canonical", iv)
		}
		if i > 0 && iv.Millis() <= d.Intervals[i-1].Millis() {
			t.Errorf("intervals not shortest first and unique: %q after %q", iv, d.Intervals[i-1])
		}
	}
	for _, list := range [][]string{d.VolatileParams, d.SecretHeaders, d.SecretParams} {
		for _, s := range list {
			if s == "" {
				t.Errorf("empty name in %v", list)
			}
		}
	}
}

func checkURL(t *testing.T, what, raw string, schemes ...string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Errorf("%s %q is not an absolute URL", what, raw)
		return
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return
		}
	}
	t.Errorf("%s %q: scheme %q, want one of %v", what, raw, u.Scheme, schemes)
}

func checkSymbols(t *testing.T, p plugins.Plugin) {
	seen := map[string]string{}
	for _, pair := range cc.DefaultPairs {
		s := p.Symbol(pair)
		if s == "" {
			t.Errorf("Symbol(%s) is empty", pair.Name())
			continue
		}
		if other, dup := seen[s]; dup {
			t.Errorf("Symbol(%s) = Symbol(%s) = %q", pair.Name(), other, s)
		}
		seen[s] = pair.Name()
	}
}

// harness is one plugin served on 127.0.0.1 through replay.
type harness struct {
	p     plugins.Plugin
	srv   *replay.Server
	http  *server
	now   int64
	pairs []cc.Pair
}

func newHarness(t *testing.T, p plugins.Plugin, opts Options) *harness {
	// Rate limits would refuse the suite's bursts; the suite checks the
	// plugin, not the limiter.
	srv, err := replay.New(replay.Options{Exchange: p.Name(), Pairs: opts.Pairs, Seed: opts.Seed, Clock: replaytest.Clock(opts.Now, 0), Serve: serve.Options{NoRateLimit: true}})
	if err != nil {
		t.Fatalf("replay.New(%s): %v", p.Name(), err)
	}
	hs := newServer(srv.Handler())
	t.Cleanup(func() {
		srv.Env().Hub.CloseAll(1001, "conformance over")
		hs.Close()
		srv.Close(context.Background()) // stops the network simulation's scheduler
	})
	return &harness{p: p, srv: srv, http: hs, now: opts.Now.UnixMilli(), pairs: srv.Env().Pairs}
}

// do sends req (relative to the server root) and returns status and body.
func (h *harness) do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	u, err := url.Parse(h.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	out := req.Clone(context.Background())
	out.URL = u.ResolveReference(&url.URL{Path: req.URL.Path, RawQuery: req.URL.RawQuery})
	out.Host, out.RequestURI = "", ""
	if req.GetBody != nil {
		out.Body, _ = req.GetBody()
	}
	res, err := h.http.Client().Do(out)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// pastQuery asks for the n candles of iv that closed just before the one
// in progress, with every bound set: the form every exchange accepts.
func (h *harness) pastQuery(sym string, iv cc.Interval, n int) plugins.Query {
	last := iv.Prev(iv.Truncate(h.now))
	return plugins.Query{Symbol: sym, Interval: iv, Start: iv.Add(last, 1-n), End: last, Limit: n}
}

func checkUnknownSymbol(t *testing.T, h *harness) {
	sym := h.p.Symbol(cc.Pair{Base: "ZZZQ", Quote: "USDT"})
	req, err := h.p.CandlesRequest(h.pastQuery(sym, pickIntervals(h.p.Defaults().Intervals)[0], 5))
	if err != nil {
		t.Fatalf("CandlesRequest: %v", err)
	}
	status, body := h.do(t, req)
	if status >= 200 && status < 300 {
		set, err := h.p.DecodeCandles(req, body)
		if ue, ok := h.p.(plugins.UnknownSymbolEmpty); ok && ue.EmptyForUnknownSymbol() && err == nil && len(set.Candles) == 0 {
			return
		}
		if err == nil {
			t.Errorf("unknown symbol %q: status %d and decodable body with %d candles: %.200s", sym, status, len(set.Candles), body)
		}
	}
}

func checkUnknownPath(t *testing.T, h *harness) {
	req, _ := http.NewRequest(http.MethodGet, "/cc-conformance/no/such/route", nil)
	if status, body := h.do(t, req); status < 400 || status >= 500 {
		t.Errorf("unknown path: %d %.200s, want a 4xx", status, body)
	}
}

func checkServerError(t *testing.T, p plugins.Plugin) {
	r := p.ServerError()
	if r.Status < 500 || r.Status >= 600 || len(r.Body) == 0 {
		t.Errorf("ServerError: %d %q, want a non-empty 5xx", r.Status, r.Body)
	}
}

func checkDeterminism(t *testing.T, h *harness, opts Options) {
	iv := pickIntervals(h.p.Defaults().Intervals)[0]
	req, err := h.p.CandlesRequest(h.pastQuery(h.pairs[0].Symbol, iv, 20))
	if err != nil {
		t.Fatal(err)
	}
	_, a := h.do(t, req)
	_, b := h.do(t, req)
	if !bytes.Equal(a, b) {
		t.Fatalf("same request, different bodies:\n%.300s\n%.300s", a, b)
	}
	other := newHarness(t, h.p, opts)
	if _, c := other.do(t, req); !bytes.Equal(a, c) {
		t.Errorf("a second server with the same seed and clock answers differently:\n%.300s\n%.300s", a, c)
	}
}
