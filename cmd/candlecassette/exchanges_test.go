package main

import (
	"encoding/json"
	"slices"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

func TestExchangesJSONDescribesEveryRegisteredID(t *testing.T) {
	stdout, _, err := run(t, "exchanges", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []exchangeListing
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	var ids []string
	byID := map[string]exchangeListing{}
	for _, l := range list {
		ids = append(ids, l.ID)
		byID[l.ID] = l
	}
	if !slices.Equal(ids, plugins.Names()) {
		t.Fatalf("ids %v, want the registry's %v", ids, plugins.Names())
	}
	for _, l := range list {
		p, _ := plugins.Lookup(l.ID)
		d := p.Defaults()
		if !slices.Equal(l.Hosts, d.Hosts) || len(l.Hosts) == 0 {
			t.Errorf("%s: hosts %v, want the declared %v", l.ID, l.Hosts, d.Hosts)
		}
		if len(l.Intervals) != len(d.Intervals) || len(l.Pairs) != len(cc.DefaultPairs) || len(l.REST) == 0 {
			t.Errorf("%s: %d intervals (want %d), %d pairs, %d REST routes", l.ID, len(l.Intervals), len(d.Intervals), len(l.Pairs), len(l.REST))
		}
	}
	for _, tc := range []struct {
		id, family, market string
		iv                 cc.Interval
		ivName, btc        string
	}{
		{"binance_spot", "binance", "spot", cc.Interval1m, "1m", "BTCUSDT"},
		{"okx_perpetual", "okx", "perpetual", cc.Interval1h, "1H", "BTC-USDT-SWAP"},
		{"coinbase_advanced_trade", "coinbase", "spot", cc.Interval1m, "ONE_MINUTE", "BTC-USDT"},
		{"kraken_spot", "kraken", "spot", cc.Interval1d, "1440", "XBT/USDT"},
		{"mexc_perpetual", "mexc", "perpetual", cc.Interval1m, "Min1", "BTC_USDT"},
		{"gate_io_perpetual", "gateio", "perpetual", cc.Interval1w, "7d", "BTC_USDT"},
	} {
		l, ok := byID[tc.id]
		if !ok {
			continue // not built into this binary
		}
		if l.Family != tc.family || l.Market != tc.market || l.Pairs[0].Symbol != tc.btc {
			t.Errorf("%s: family %q market %q BTC %q, want %q %q %q", tc.id, l.Family, l.Market, l.Pairs[0].Symbol, tc.family, tc.market, tc.btc)
		}
		if !slices.Contains(l.Intervals, intervalListing{tc.iv, tc.ivName}) {
			t.Errorf("%s: intervals %v lack %s named %q", tc.id, l.Intervals, tc.iv, tc.ivName)
		}
	}
}
