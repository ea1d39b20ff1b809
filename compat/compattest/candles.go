package compattest

import (
	"strconv"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// Bar is the part of a candle the checks look at, in the units a client
// library hands back: open time in Unix ms and prices as the strings or
// numbers it parsed. Close is the close time in Unix ms, 0 when the client
// does not report one.
type Bar struct {
	Open, Close   int64
	O, H, L, C, V float64
}

// ParseFloat parses a price or volume string and fails the test if it is
// not a number.
func ParseFloat(t testing.TB, field, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s %q is not a number: %v", field, s, err)
	}
	return f
}

// CheckSeries fails the test unless bars are oldest first, every open time
// is aligned to iv, each bar follows the one before it with no gap or
// overlap, close times (where given) are the last millisecond of the bar,
// and prices are consistent (low <= open, close <= high; volume >= 0).
func CheckSeries(t testing.TB, bars []Bar, iv cc.Interval) {
	t.Helper()
	for i, b := range bars {
		if got := iv.Truncate(b.Open); got != b.Open {
			t.Errorf("bar %d opens at %s, not aligned to %s (want %s)", i, ms(b.Open), iv, ms(got))
		}
		if i > 0 {
			if want := iv.Next(bars[i-1].Open); b.Open != want {
				t.Errorf("bar %d opens at %s, want %s right after bar %d (%s): %s", i, ms(b.Open), ms(want), i-1, ms(bars[i-1].Open), gapOrOverlap(b.Open, want))
			}
		}
		if b.Close != 0 && b.Close != iv.CloseTime(b.Open) {
			t.Errorf("bar %d (%s) closes at %d, want %d", i, ms(b.Open), b.Close, iv.CloseTime(b.Open))
		}
		if b.L > b.H || b.O < b.L || b.O > b.H || b.C < b.L || b.C > b.H || b.V < 0 {
			t.Errorf("bar %d (%s) is inconsistent: O=%v H=%v L=%v C=%v V=%v", i, ms(b.Open), b.O, b.H, b.L, b.C, b.V)
		}
	}
}

// CheckJoin fails the test unless page next starts exactly one interval
// after page prev ends: consecutive pages with no gap and no overlap.
func CheckJoin(t testing.TB, prev, next []Bar, iv cc.Interval) {
	t.Helper()
	if len(prev) == 0 || len(next) == 0 {
		t.Errorf("cannot join pages of %d and %d bars", len(prev), len(next))
		return
	}
	last, first := prev[len(prev)-1].Open, next[0].Open
	if want := iv.Next(last); first != want {
		t.Errorf("next page starts at %s, want %s right after %s: %s", ms(first), ms(want), ms(last), gapOrOverlap(first, want))
	}
}

// CurrentOpen is the open time of the iv candle in progress at now.
func CurrentOpen(iv cc.Interval, now time.Time) int64 { return iv.Truncate(now.UnixMilli()) }

func gapOrOverlap(got, want int64) string {
	if got > want {
		return "gap"
	}
	return "overlap"
}

func ms(t int64) string { return time.UnixMilli(t).UTC().Format("2006-01-02T15:04:05.000Z") }
