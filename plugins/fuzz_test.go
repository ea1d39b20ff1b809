package plugins_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/plugintest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// fuzzTarget is one plugin with the requests and WS paths its decoders
// are asked about.
type fuzzTarget struct {
	p       plugins.Plugin
	queries []plugins.Query
	paths   []string
}

// fuzzTargets are the registered plugins, or only $CC_FUZZ_PLUGIN (a name)
// so one family can be fuzzed at a time.
func fuzzTargets(f *testing.F) []fuzzTarget {
	var out []fuzzTarget
	only := os.Getenv("CC_FUZZ_PLUGIN")
	now := plugintest.DefaultNow.UnixMilli()
	for _, name := range plugins.Names() {
		if only != "" && name != only {
			continue
		}
		p, err := plugins.Lookup(name)
		if err != nil {
			f.Fatal(err)
		}
		sym := p.Symbol(cc.DefaultPairs[0])
		ft := fuzzTarget{p: p}
		for _, iv := range p.Defaults().Intervals[:min(2, len(p.Defaults().Intervals))] {
			ft.queries = append(ft.queries, plugins.Query{Symbol: sym, Interval: iv, Start: iv.Truncate(now) - 10*iv.Millis(), End: iv.Truncate(now), Limit: 10})
		}
		_, ft.paths = p.Routes()
		if ks, ok := p.(plugins.KlineSubscriber); ok {
			path, _ := ks.KlineSubscription(sym, p.Defaults().Intervals[0])
			ft.paths = append(ft.paths, path)
		}
		if len(ft.paths) == 0 {
			ft.paths = []string{"/"}
		}
		out = append(out, ft)
	}
	if len(out) == 0 {
		f.Fatalf("no plugin named %q", only)
	}
	return out
}

// FuzzDecode feeds arbitrary bytes to every plugin's DecodeCandles (for
// each of its candles requests) and DecodeFrame (for each WS path): they
// must return, with candles or an error, and never panic. Seeds are the
// families' recorded payloads and each plugin's own candles reply.
func FuzzDecode(f *testing.F) {
	targets := fuzzTargets(f)
	for i, ft := range targets {
		family := path.Base(reflect.TypeOf(ft.p).Elem().PkgPath())
		files, _ := filepath.Glob(filepath.Join(family, "testdata", "*.json"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil && len(b) < 32<<10 {
				f.Add(uint8(i), b)
			}
		}
		if body := candlesBody(f, ft); body != nil {
			f.Add(uint8(i), body)
		}
		f.Add(uint8(i), []byte(nil))
		f.Add(uint8(i), []byte(`{"data":[[1,"2","3"]]}`))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		ft := targets[int(which)%len(targets)]
		for _, q := range ft.queries {
			req, err := ft.p.CandlesRequest(q)
			if err != nil {
				continue
			}
			set, err := ft.p.DecodeCandles(req, data)
			if err == nil && len(set.Candles) > 0 && !set.Interval.Valid() {
				t.Errorf("%s: DecodeCandles gave %d candles of interval %q", ft.p.Name(), len(set.Candles), set.Interval)
			}
		}
		for _, path := range ft.paths {
			ups, err := ft.p.DecodeFrame(path, data)
			if err == nil {
				for _, u := range ups {
					if !u.Interval.Valid() {
						t.Errorf("%s: DecodeFrame(%s) gave an update of interval %q", ft.p.Name(), path, u.Interval)
					}
				}
			}
		}
	})
}

// candlesBody is the plugin's own reply to its first candles request.
func candlesBody(f *testing.F, ft fuzzTarget) []byte {
	srv, err := replay.New(replay.Options{Exchange: ft.p.Name(), Clock: replaytest.Clock(plugintest.DefaultNow, 0), Serve: serve.Options{NoRateLimit: true}})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close(f.Context())
	req, err := ft.p.CandlesRequest(ft.queries[0])
	if err != nil {
		return nil
	}
	if req.GetBody != nil {
		req.Body, _ = req.GetBody()
	}
	rec := httptest.NewRecorder()
	req.RequestURI = req.URL.RequestURI()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil
	}
	return bytes.Clone(rec.Body.Bytes())
}
