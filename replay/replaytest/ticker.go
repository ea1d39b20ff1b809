package replaytest

import (
	"fmt"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// TickerInstants are the instants the plugins' ticker tests freeze the
// clock at: 40, 1237 ms apart from 2026-12-07T14:00Z, so that they fall at
// every phase of a second (a ticker whose touch is taken at the clock's
// now rather than right after its last trade misses most of them).
func TickerInstants() []time.Time {
	base := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	at := make([]time.Time, 40)
	for i := range at {
		at[i] = base.Add(time.Duration(i) * 1237 * time.Millisecond)
	}
	return at
}

// Straddles fails t unless bid <= last <= ask and bid < ask: a ticker's
// best bid and ask around its last price, each a decimal string (or a
// json.Number), read with the clock at at; what names the ticker.
func Straddles(t testing.TB, what string, at time.Time, last, bid, ask any) {
	t.Helper()
	var d [3]cc.Decimal
	for i, v := range [3]any{last, bid, ask} {
		s := fmt.Sprint(v)
		x, err := cc.ParseDecimal(s)
		if err != nil {
			t.Fatalf("%s at %s: %q is not a decimal: %v", what, at.Format(time.RFC3339Nano), s, err)
		}
		d[i] = x
	}
	l, b, a := d[0], d[1], d[2]
	if b.Cmp(l) > 0 || a.Cmp(l) < 0 || b.Cmp(a) >= 0 {
		t.Errorf("%s at %s: bid %v ask %v around last %v", what, at.Format(time.RFC3339Nano), b, a, l)
	}
}
