package plugins_test

import (
	"net/url"
	"slices"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// builtins are the exchange ids DESIGN.md promises.
var builtins = []string{
	"ascend_ex_spot", "binance_perpetual", "binance_spot", "bybit_perpetual", "bybit_spot",
	"coinbase_advanced_trade", "gate_io_perpetual", "gate_io_spot", "hyperliquid_perpetual",
	"hyperliquid_spot", "kraken_spot", "kucoin_perpetual", "kucoin_spot", "mexc_perpetual",
	"mexc_spot", "okx_perpetual", "okx_spot",
}

func TestEveryBuiltinDeclaresTheHostsOfItsUpstreams(t *testing.T) {
	for _, id := range builtins {
		t.Run(id, func(t *testing.T) {
			p, err := plugins.Lookup(id)
			if err != nil {
				t.Fatal(err)
			}
			d := p.Defaults()
			if len(d.Hosts) == 0 {
				t.Fatal("declares no host")
			}
			for _, up := range []struct{ what, raw string }{{"UpstreamREST", d.UpstreamREST}, {"UpstreamWS", d.UpstreamWS}} {
				u, err := url.Parse(up.raw)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(d.Hosts, u.Hostname()) {
					t.Errorf("Hosts %v lack %s, the host of %s %s", d.Hosts, u.Hostname(), up.what, up.raw)
				}
			}
		})
	}
}

func TestHostsMapsEveryHostToTheIDsThatDeclareIt(t *testing.T) {
	table := plugins.Hosts()
	// Hosts real clients reach, with the ids that must answer there.
	want := map[string][]string{
		"api.binance.com":            {"binance_spot"},
		"api3.binance.com":           {"binance_spot"},
		"data-api.binance.vision":    {"binance_spot"},
		"stream.binance.com":         {"binance_spot"},
		"data-stream.binance.vision": {"binance_spot"},
		"ws-api.binance.com":         {"binance_spot"},
		"fapi.binance.com":           {"binance_perpetual"},
		"dapi.binance.com":           {"binance_perpetual"}, // COIN-M: an empty exchangeInfo for ccxt's loadMarkets
		"fstream.binance.com":        {"binance_perpetual"},
		"www.okx.com":                {"okx_perpetual", "okx_spot"},
		"ws.okx.com":                 {"okx_perpetual", "okx_spot"},
		"api.bybit.com":              {"bybit_perpetual", "bybit_spot"},
		"api.bytick.com":             {"bybit_perpetual", "bybit_spot"},
		"stream.bybit.com":           {"bybit_perpetual", "bybit_spot"},
		"api.gateio.ws":              {"gate_io_perpetual", "gate_io_spot"},
		"fx-ws.gateio.ws":            {"gate_io_perpetual"},
		"api.hyperliquid.xyz":        {"hyperliquid_perpetual", "hyperliquid_spot"},
		"api.kucoin.com":             {"kucoin_perpetual", "kucoin_spot"},
		"api-futures.kucoin.com":     {"kucoin_perpetual"},
		"api.mexc.com":               {"mexc_spot"},
		"contract.mexc.com":          {"mexc_perpetual"},
		"api.coinbase.com":           {"coinbase_advanced_trade"},
		"ws.kraken.com":              {"kraken_spot"},
		"ascendex.com":               {"ascend_ex_spot"},
	}
	for host, ids := range want {
		if got := table[host]; !slices.Equal(got, ids) {
			t.Errorf("Hosts()[%s] = %v, want %v", host, got, ids)
		}
	}
	// The table is exactly the union of what each id declares.
	for host, ids := range table {
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Errorf("Hosts()[%s] = %v, want sorted ids, each once", host, ids)
		}
		for _, id := range ids {
			p, err := plugins.Lookup(id)
			if err != nil || !slices.Contains(p.Defaults().Hosts, host) {
				t.Errorf("Hosts()[%s] names %s, which does not declare it", host, id)
			}
		}
	}
	for _, id := range builtins {
		p, _ := plugins.Lookup(id)
		for _, h := range p.Defaults().Hosts {
			if !slices.Contains(table[h], id) {
				t.Errorf("Hosts()[%s] = %v lacks %s, which declares it", h, table[h], id)
			}
		}
	}
}

// loopbackDouble is a test double whose upstreams are local: it may
// declare no host.
type loopbackDouble struct{ fakePlugin }

func (loopbackDouble) Defaults() plugins.Defaults {
	return plugins.Defaults{UpstreamREST: "http://127.0.0.1:1", UpstreamWS: "ws://localhost:1", MaxLimit: 10, Intervals: []cc.Interval{cc.Interval1m}}
}

func (l loopbackDouble) RateLimits() ratelimit.Model { return l.fakePlugin.RateLimits() }

func TestALoopbackDoubleNeedsNoHosts(t *testing.T) {
	if err := plugins.Validate(loopbackDouble{fakePlugin{name: "zz_loopback"}}); err != nil {
		t.Fatal(err)
	}
}
