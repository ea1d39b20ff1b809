package plugins

import (
	"fmt"
	"slices"
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

// IntervalName is one row of an exchange's interval-name table: the
// exchange's spelling of a canonical interval ("1H" for OKX, "ONE_HOUR"
// for Coinbase, "60" for Kraken's minutes).
type IntervalName struct {
	Interval cc.Interval
	Name     string
}

// IntervalNames is an exchange's interval-name table, declared once per
// plugin and read both ways: Parse to understand a request or a recorded
// frame, Name to spell a request, a reply or a stream. A plugin puts the
// table its candles requests use in Defaults.IntervalNames, where Register
// checks it; an exchange with a second spelling (MEXC's WS "Min1" beside
// its REST "1m") declares that table too and checks it with Check.
//
// An interval may have more than one row when the exchange accepts several
// spellings of it (Gate futures take "7d" and "1w"): Name gives the first,
// Parse accepts every one. A name appears once.
type IntervalNames []IntervalName

// Name is the exchange's spelling of iv: the first row for it.
func (t IntervalNames) Name(iv cc.Interval) (string, bool) {
	for _, r := range t {
		if r.Interval == iv {
			return r.Name, true
		}
	}
	return "", false
}

// Parse is the canonical interval the exchange means by name.
func (t IntervalNames) Parse(name string) (cc.Interval, bool) {
	for _, r := range t {
		if r.Name == name {
			return r.Interval, true
		}
	}
	return "", false
}

// Intervals lists the canonical intervals t names, each once, shortest
// first, as Defaults.Intervals wants them.
func (t IntervalNames) Intervals() []cc.Interval {
	var out []cc.Interval
	for _, iv := range cc.Intervals {
		if _, ok := t.Name(iv); ok {
			out = append(out, iv)
		}
	}
	return out
}

// CanonicalNames is the table of an exchange that spells intervals the
// canonical way (Binance's "1m", "1h", "1M", ...), for ivs.
func CanonicalNames(ivs []cc.Interval) IntervalNames {
	t := make(IntervalNames, len(ivs))
	for i, iv := range ivs {
		t[i] = IntervalName{iv, string(iv)}
	}
	return t
}

// Check reports what is wrong with t as the table of an exchange serving
// exactly served: a row with an empty name or an interval that is not
// canonical, a name used twice, an interval of served without a name or a
// named interval not in served. It returns nil for a sound table.
func (t IntervalNames) Check(served []cc.Interval) error {
	if defects := t.defects(served); len(defects) > 0 {
		return fmt.Errorf("plugins: interval names: %s", strings.Join(defects, "; "))
	}
	return nil
}

func (t IntervalNames) defects(served []cc.Interval) []string {
	var defects []string
	names := map[string]cc.Interval{}
	for _, r := range t {
		switch prev, dup := names[r.Name]; {
		case r.Name == "":
			defects = append(defects, fmt.Sprintf("%s has an empty name", r.Interval))
		case !r.Interval.Valid():
			defects = append(defects, fmt.Sprintf("%q names %q, which is not a canonical interval", r.Name, r.Interval))
		case dup:
			defects = append(defects, fmt.Sprintf("name %q used twice (%s and %s)", r.Name, prev, r.Interval))
		case !slices.Contains(served, r.Interval):
			defects = append(defects, fmt.Sprintf("%q names %s, which is not served", r.Name, r.Interval))
		}
		names[r.Name] = r.Interval
	}
	for _, iv := range served {
		if _, ok := t.Name(iv); !ok {
			defects = append(defects, fmt.Sprintf("served interval %s has no name", iv))
		}
	}
	return defects
}

// Names is d's interval-name table: IntervalNames, or, when the plugin
// declares none, the canonical spelling of Intervals.
func (d Defaults) Names() IntervalNames {
	if d.IntervalNames != nil {
		return d.IntervalNames
	}
	return CanonicalNames(d.Intervals)
}
