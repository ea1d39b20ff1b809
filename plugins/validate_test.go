package plugins_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/all"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// defective is fakePlugin (valid) with one part of the contract replaced.
type defective struct {
	fakePlugin
	defaults    func(*plugins.Defaults)
	rest, ws    []string
	limits      func(*ratelimit.Model)
	serverError *plugins.Response
	symbol      *string
}

func (d defective) Defaults() plugins.Defaults {
	def := d.fakePlugin.Defaults()
	if d.defaults != nil {
		d.defaults(&def)
	}
	return def
}

func (d defective) Routes() (rest, ws []string) {
	if d.rest == nil && d.ws == nil {
		return d.fakePlugin.Routes()
	}
	return d.rest, d.ws
}

func (d defective) RateLimits() ratelimit.Model {
	m := d.fakePlugin.RateLimits()
	if d.limits != nil {
		d.limits(&m)
	}
	return m
}

func (d defective) ServerError() plugins.Response {
	if d.serverError != nil {
		return *d.serverError
	}
	return d.fakePlugin.ServerError()
}

func (d defective) Symbol(p cc.Pair) string {
	if d.symbol != nil {
		return *d.symbol
	}
	return d.fakePlugin.Symbol(p)
}

func ptr[T any](v T) *T { return &v }

func TestValidateRefusesEachDefect(t *testing.T) {
	ok := fakePlugin{name: "zz_valid_spot"}
	tests := []struct {
		name   string
		p      plugins.Plugin
		defect string
	}{
		{"an empty name", defective{fakePlugin: fakePlugin{name: ""}}, `name "" is not an exchange id`},
		{"an upper-case name", defective{fakePlugin: fakePlugin{name: "Binance_spot"}}, `name "Binance_spot" is not an exchange id`},
		{"a name with a double underscore", defective{fakePlugin: fakePlugin{name: "gate__io"}}, `name "gate__io" is not an exchange id`},
		{"a name with a dash", defective{fakePlugin: fakePlugin{name: "gate-io"}}, `name "gate-io" is not an exchange id`},
		{"no intervals", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Intervals = nil }}, "Defaults.Intervals is empty"},
		{"a made-up interval", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Intervals = []cc.Interval{"2m"} }}, `"2m" is not a canonical interval`},
		{"intervals out of order", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) {
			d.Intervals = []cc.Interval{cc.Interval1h, cc.Interval1m}
		}}, "1m after 1h, want shortest first"},
		{"an interval twice", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) {
			d.Intervals = []cc.Interval{cc.Interval1m, cc.Interval1m}
		}}, "1m after 1m"},
		{"MaxLimit zero", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.MaxLimit = 0 }}, "Defaults.MaxLimit is 0, want > 0"},
		{"a relative upstream", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.UpstreamREST = "api.example.com" }}, `Defaults.UpstreamREST "api.example.com" is not an absolute`},
		{"a WS upstream with an HTTP scheme", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.UpstreamWS = "https://ws.example.com" }}, `Defaults.UpstreamWS "https://ws.example.com"`},
		{"an empty secret header", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.SecretHeaders = []string{"X-Key", ""} }}, "Defaults.SecretHeaders has an empty name"},
		{"no hosts", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = nil }}, `Defaults.Hosts lacks "api.example.com", the host of UpstreamREST`},
		{"hosts without the WS upstream's", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = d.Hosts[:1] }}, `Defaults.Hosts lacks "ws.example.com", the host of UpstreamWS`},
		{"a host with a port", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = append(d.Hosts, "ws.example.com:9443") }}, `Defaults.Hosts: "ws.example.com:9443" is not a lower-case DNS host name`},
		{"a host with a scheme", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = append(d.Hosts, "https://x.example.com") }}, `"https://x.example.com" is not a lower-case DNS host name`},
		{"an upper-case host", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = append(d.Hosts, "X.example.com") }}, `"X.example.com" is not a lower-case DNS host name`},
		{"an IP as host", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = append(d.Hosts, "10.1.2.3") }}, `"10.1.2.3" is not a lower-case DNS host name`},
		{"a host with a trailing dot", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = append(d.Hosts, "x.example.com.") }}, `"x.example.com." is not a lower-case DNS host name`},
		{"a host listed twice", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.Hosts = append(d.Hosts, "api.example.com") }}, `Defaults.Hosts: "api.example.com" listed twice`},
		{"an empty login op", defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.LoginOps = []string{" "} }}, "Defaults.LoginOps has an empty name"},
		{"an empty symbol", defective{fakePlugin: ok, symbol: ptr("")}, "Symbol(BTC-USDT) is empty"},
		{"no REST routes", defective{fakePlugin: ok, ws: []string{"/ws"}}, "Routes lists no REST route"},
		{"a route without a path", defective{fakePlugin: ok, rest: []string{"GET"}}, `REST route "GET" is not`},
		{"a route with a relative path", defective{fakePlugin: ok, rest: []string{"GET api/klines"}}, `REST route "GET api/klines" is not`},
		{"a route without a method before the space", defective{fakePlugin: ok, rest: []string{" /api/klines"}}, `REST route " /api/klines" is not`},
		{"a route with a made-up method", defective{fakePlugin: ok, rest: []string{"FETCH /api/klines"}}, `unknown method "FETCH"`},
		{"a route listed twice", defective{fakePlugin: ok, rest: []string{"/api/klines", "GET /api/klines"}}, `REST route "GET /api/klines" listed twice`},
		{"a WS path listed twice", defective{fakePlugin: ok, rest: []string{"/api/klines"}, ws: []string{"/ws", "/ws"}}, `WS path "/ws" listed twice`},
		{"a WS path without a slash", defective{fakePlugin: ok, rest: []string{"/api/klines"}, ws: []string{"ws"}}, `WS path "ws" does not start with '/'`},
		{"no rate-limit model", defective{fakePlugin: ok, limits: func(m *ratelimit.Model) { *m = ratelimit.Model{} }}, "RateLimits has no REST window"},
		{"a rate-limit window of zero", defective{fakePlugin: ok, limits: func(m *ratelimit.Model) { m.REST[0].Limit = 0 }}, `RateLimits.REST[0] "requests": limit 0 per 1s`},
		{"a negative WS limit", defective{fakePlugin: ok, limits: func(m *ratelimit.Model) { m.WS.MaxStreams = -1 }}, "RateLimits.WS has a negative limit"},
		{"a ban without durations", defective{fakePlugin: ok, limits: func(m *ratelimit.Model) { m.Ban = &ratelimit.Ban{After: 3} }}, "RateLimits.Ban needs"},
		{"a 200 server error", defective{fakePlugin: ok, serverError: &plugins.Response{Status: http.StatusOK, Body: []byte("{}")}}, "ServerError is status 200"},
		{"a server error without a body", defective{fakePlugin: ok, serverError: &plugins.Response{Status: http.StatusInternalServerError}}, "ServerError is status 500 with 0 body bytes"},
	}
	if err := plugins.Validate(defective{fakePlugin: ok}); err != nil {
		t.Fatalf("the valid base plugin is refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			err := plugins.Validate(tt.p)
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			if !errors.Is(err, plugins.ErrInvalidPlugin) {
				t.Errorf("%v does not wrap ErrInvalidPlugin", err)
			}
			if !strings.Contains(err.Error(), tt.defect) {
				t.Errorf("Validate = %v\nwant it to report %q", err, tt.defect)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.p.Name())) {
				t.Errorf("Validate = %v, does not name the plugin", err)
			}
		})
	}
}

func TestValidateReportsEveryDefectAtOnce(t *testing.T) {
	p := defective{
		fakePlugin: fakePlugin{name: "zz_many_defects"},
		defaults:   func(d *plugins.Defaults) { d.MaxLimit, d.Intervals = -1, nil },
		limits:     func(m *ratelimit.Model) { m.REST = nil },
	}
	err := plugins.Validate(p)
	for _, want := range []string{"MaxLimit is -1", "Intervals is empty", "no REST window"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to report %q", err, want)
		}
	}
}

func TestRegisterPanicsOnAnInvalidPluginAndKeepsItOut(t *testing.T) {
	p := defective{fakePlugin: fakePlugin{name: "zz_invalid_spot"}, limits: func(m *ratelimit.Model) {
		m.REST = []ratelimit.Window{{Name: "requests", Limit: 10, Period: 0}}
	}}
	func() {
		defer func() {
			v := recover()
			msg := fmt.Sprint(v)
			if v == nil {
				t.Fatal("Register accepted an invalid plugin")
			}
			if !strings.Contains(msg, `"zz_invalid_spot"`) || !strings.Contains(msg, "limit 10 per 0s") {
				t.Errorf("panic %q does not name the plugin and its defect", msg)
			}
		}()
		plugins.Register(p)
	}()
	if _, err := plugins.Lookup("zz_invalid_spot"); err == nil {
		plugins.Unregister("zz_invalid_spot")
		t.Error("the invalid plugin was registered anyway")
	}
}

func TestEveryBuiltInPluginIsValid(t *testing.T) {
	names := plugins.Names()
	if len(names) < 17 {
		t.Fatalf("%d plugins registered, want the 17 built-ins: %v", len(names), names)
	}
	for _, name := range names {
		p, _ := plugins.Lookup(name)
		if err := plugins.Validate(p); err != nil {
			t.Error(err)
		}
	}
}
