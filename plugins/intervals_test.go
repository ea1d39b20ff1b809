package plugins_test

import (
	"slices"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

func TestIntervalNamesReadBothWays(t *testing.T) {
	// Gate futures' shape: a week has two names, the first is its spelling.
	names := plugins.IntervalNames{
		{Interval: cc.Interval1d, Name: "1d"},
		{Interval: cc.Interval1w, Name: "7d"},
		{Interval: cc.Interval1w, Name: "1w"},
		{Interval: cc.Interval1m, Name: "1m"},
	}
	for _, tc := range []struct {
		name string
		iv   cc.Interval
		ok   bool
	}{{"1d", cc.Interval1d, true}, {"7d", cc.Interval1w, true}, {"1w", cc.Interval1w, true}, {"1m", cc.Interval1m, true}, {"1h", "", false}, {"", "", false}} {
		if iv, ok := names.Parse(tc.name); iv != tc.iv || ok != tc.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.name, iv, ok, tc.iv, tc.ok)
		}
	}
	for _, tc := range []struct {
		iv   cc.Interval
		name string
		ok   bool
	}{{cc.Interval1w, "7d", true}, {cc.Interval1m, "1m", true}, {cc.Interval1h, "", false}} {
		if name, ok := names.Name(tc.iv); name != tc.name || ok != tc.ok {
			t.Errorf("Name(%s) = %q, %v; want %q, %v", tc.iv, name, ok, tc.name, tc.ok)
		}
	}
	if got, want := names.Intervals(), []cc.Interval{cc.Interval1m, cc.Interval1d, cc.Interval1w}; !slices.Equal(got, want) {
		t.Errorf("Intervals() = %v, want %v (each once, shortest first)", got, want)
	}
	if err := names.Check(names.Intervals()); err != nil {
		t.Errorf("Check of a sound table: %v", err)
	}
}

func TestIntervalNamesCheckFindsEachDefect(t *testing.T) {
	served := []cc.Interval{cc.Interval1m, cc.Interval1h}
	for _, tc := range []struct {
		what   string
		names  plugins.IntervalNames
		defect string
	}{
		{"a name used twice", plugins.IntervalNames{{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval1h, Name: "1"}}, `name "1" used twice (1m and 1h)`},
		{"a served interval without a name", plugins.IntervalNames{{Interval: cc.Interval1m, Name: "1"}}, "served interval 1h has no name"},
		{"a name for an interval not served", plugins.IntervalNames{{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval1h, Name: "60"}, {Interval: cc.Interval1d, Name: "D"}}, `"D" names 1d, which is not served`},
		{"an empty name", plugins.IntervalNames{{Interval: cc.Interval1m, Name: ""}, {Interval: cc.Interval1h, Name: "60"}}, "1m has an empty name"},
		{"a made-up interval", plugins.IntervalNames{{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval1h, Name: "60"}, {Interval: "2m", Name: "2"}}, `"2" names "2m", which is not a canonical interval`},
	} {
		t.Run(tc.what, func(t *testing.T) {
			err := tc.names.Check(served)
			if err == nil || !strings.Contains(err.Error(), tc.defect) {
				t.Fatalf("Check = %v, want it to name %q", err, tc.defect)
			}
		})
	}
}

func TestValidateRefusesAnIntervalTableThatDoesNotMatchIntervals(t *testing.T) {
	ok := fakePlugin{name: "zz_interval_names_spot"}
	for _, tc := range []struct {
		what   string
		names  plugins.IntervalNames
		defect string
	}{
		{"a table missing a served interval", plugins.IntervalNames{{Interval: cc.Interval1m, Name: "1"}}, "Defaults.IntervalNames: served interval 1h has no name"},
		{"a table naming an extra interval", plugins.IntervalNames{{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval1h, Name: "60"}, {Interval: cc.Interval1d, Name: "D"}}, `Defaults.IntervalNames: "D" names 1d, which is not served`},
		{"a table with a name twice", plugins.IntervalNames{{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval1h, Name: "1"}}, `Defaults.IntervalNames: name "1" used twice`},
	} {
		t.Run(tc.what, func(t *testing.T) {
			p := defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) { d.IntervalNames = tc.names }}
			err := plugins.Validate(p)
			if err == nil || !strings.Contains(err.Error(), tc.defect) {
				t.Fatalf("Validate = %v, want it to name %q", err, tc.defect)
			}
		})
	}
	good := defective{fakePlugin: ok, defaults: func(d *plugins.Defaults) {
		d.IntervalNames = plugins.IntervalNames{{Interval: cc.Interval1h, Name: "60"}, {Interval: cc.Interval1m, Name: "1"}}
	}}
	if err := plugins.Validate(good); err != nil {
		t.Errorf("a table naming exactly the intervals, in any order: %v", err)
	}
}

// Every built-in exchange declares its spelling, and it reads back: each
// served interval's name parses to that interval.
func TestEveryExchangeDeclaresItsIntervalNames(t *testing.T) {
	for _, name := range plugins.Names() {
		p, _ := plugins.Lookup(name)
		if strings.HasPrefix(name, "zz_") {
			continue // this package's own test plugins
		}
		d := p.Defaults()
		if d.IntervalNames == nil {
			t.Errorf("%s: Defaults.IntervalNames is nil; declare the exchange's interval names", name)
			continue
		}
		for _, iv := range d.Intervals {
			n, ok := d.IntervalNames.Name(iv)
			if back, ok2 := d.IntervalNames.Parse(n); !ok || !ok2 || back != iv {
				t.Errorf("%s: %s is named %q, which parses back to %q", name, iv, n, back)
			}
		}
	}
}

func TestDefaultsNamesFallsBackToTheCanonicalSpelling(t *testing.T) {
	d := plugins.Defaults{Intervals: []cc.Interval{cc.Interval1m, cc.Interval1M}}
	if n, _ := d.Names().Name(cc.Interval1M); n != "1M" {
		t.Errorf("Names().Name(1M) = %q, want 1M", n)
	}
	d.IntervalNames = plugins.IntervalNames{{Interval: cc.Interval1m, Name: "Min1"}}
	if n, _ := d.Names().Name(cc.Interval1m); n != "Min1" {
		t.Errorf("Names().Name(1m) = %q, want the declared Min1", n)
	}
}
