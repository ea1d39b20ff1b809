package candlecassette_test

import (
	"math/rand/v2"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

func ms(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func TestIntervalAlignment(t *testing.T) {
	tests := []struct {
		iv         cc.Interval
		at, open   string
		next       string
		closeFalls string
	}{
		{cc.Interval1m, "2024-01-03T10:15:42Z", "2024-01-03T10:15:00Z", "2024-01-03T10:16:00Z", ""},
		{cc.Interval4h, "2024-01-03T10:15:42Z", "2024-01-03T08:00:00Z", "2024-01-03T12:00:00Z", ""},
		{cc.Interval1d, "2024-01-03T10:15:42Z", "2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z", ""},
		{cc.Interval1w, "2024-01-03T10:15:42Z", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z", ""}, // Monday
		{cc.Interval1M, "2024-02-29T23:59:59Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", ""},
		{cc.Interval1M, "2023-12-31T10:00:00Z", "2023-12-01T00:00:00Z", "2024-01-01T00:00:00Z", ""},
		{cc.Interval1s, "1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.iv)+" at "+tt.at, func(t *testing.T) {
			open := tt.iv.Truncate(ms(tt.at))
			if open != ms(tt.open) {
				t.Fatalf("Truncate = %s, want %s", time.UnixMilli(open).UTC(), tt.open)
			}
			if next := tt.iv.Next(open); next != ms(tt.next) {
				t.Fatalf("Next = %s, want %s", time.UnixMilli(next).UTC(), tt.next)
			}
			if prev := tt.iv.Prev(tt.iv.Next(open)); prev != open {
				t.Fatalf("Prev(Next) = %d, want %d", prev, open)
			}
			if ct := tt.iv.CloseTime(open); ct != ms(tt.next)-1 {
				t.Fatalf("CloseTime = %d", ct)
			}
		})
	}
}

func TestEveryIntervalIsValidAndOrdered(t *testing.T) {
	if len(cc.Intervals) != 16 {
		t.Fatalf("%d intervals, want Binance's 16", len(cc.Intervals))
	}
	for i, iv := range cc.Intervals {
		if !iv.Valid() {
			t.Fatalf("%s not valid", iv)
		}
		if i > 0 && iv.Millis() <= cc.Intervals[i-1].Millis() {
			t.Fatalf("%s not longer than %s", iv, cc.Intervals[i-1])
		}
	}
	if _, err := cc.ParseInterval("2m"); err == nil {
		t.Fatal("2m accepted")
	}
}

// stepLoop is the reference for Add: n single steps with Next or Prev.
func stepLoop(iv cc.Interval, open int64, n int) int64 {
	for ; n > 0; n-- {
		open = iv.Next(open)
	}
	for ; n < 0; n++ {
		open = iv.Prev(open)
	}
	return open
}

// countLoop is the reference for Count: walk the opens from from to to.
func countLoop(iv cc.Interval, from, to int64) int64 {
	var n int64
	for t := from; t <= to; t = iv.Next(t) {
		n++
	}
	return n
}

func TestIntervalArithmeticMatchesSteppingOneCandleAtATime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, iv := range cc.Intervals {
		t.Run(string(iv), func(t *testing.T) {
			for range 300 {
				at := ms("2020-01-01T00:00:00Z") + r.Int64N(10*365*86_400_000) - 5*365*86_400_000
				open := iv.Truncate(at)
				n := r.IntN(101) - 50
				if got, want := iv.Add(open, n), stepLoop(iv, open, n); got != want {
					t.Fatalf("Add(%s, %d) = %s, want %s", time.UnixMilli(open).UTC(), n, time.UnixMilli(got).UTC(), time.UnixMilli(want).UTC())
				}
				if n >= 0 {
					last := iv.Add(open, n)
					to := last + r.Int64N(iv.Next(last)-last) // anywhere inside the last candle
					if got, want := iv.Count(open, to), countLoop(iv, open, to); got != want || got != int64(n)+1 {
						t.Fatalf("Count(%d, %d) = %d, loop %d, want %d", open, to, got, want, n+1)
					}
				}
				if c := iv.Ceil(at); c < at || iv.Truncate(c) != c || (c != at && iv.Prev(c) >= at) {
					t.Fatalf("Ceil(%d) = %d is not the first open at or after it", at, c)
				}
			}
		})
	}
}

func TestIntervalAddCountAndCeilByExample(t *testing.T) {
	tests := []struct {
		name      string
		got, want int64
	}{
		{"1M: one month after 31 Jan's month is February", cc.Interval1M.Add(ms("2024-01-01T00:00:00Z"), 1), ms("2024-02-01T00:00:00Z")},
		{"1M: fourteen months back crosses two years", cc.Interval1M.Add(ms("2024-03-01T00:00:00Z"), -14), ms("2023-01-01T00:00:00Z")},
		{"1M: the 3 candles ending March start in January", cc.Interval1M.Add(ms("2024-03-01T00:00:00Z"), 1-3), ms("2024-01-01T00:00:00Z")},
		{"1M: Add 0 leaves an unaligned time alone", cc.Interval1M.Add(ms("2024-03-15T10:00:00Z"), 0), ms("2024-03-15T10:00:00Z")},
		{"1w: one week back from a Monday", cc.Interval1w.Add(ms("2024-01-08T00:00:00Z"), -1), ms("2024-01-01T00:00:00Z")},
		{"1h: the 10 candles from 00:00 end with 09:00", cc.Interval1h.Add(ms("2024-01-01T00:00:00Z"), 10-1), ms("2024-01-01T09:00:00Z")},
		{"1M: Count from January to mid-March is 3", cc.Interval1M.Count(ms("2024-01-01T00:00:00Z"), ms("2024-03-15T00:00:00Z")), 3},
		{"1M: Count over 100 years is 1200", cc.Interval1M.Count(ms("1970-01-01T00:00:00Z"), ms("2069-12-31T23:59:59Z")), 1200},
		{"1m: Count of an empty range is 0", cc.Interval1m.Count(ms("2024-01-01T00:01:00Z"), ms("2024-01-01T00:00:59Z")), 0},
		{"1M: Ceil of mid-month is the next month", cc.Interval1M.Ceil(ms("2024-02-10T00:00:00Z")), ms("2024-03-01T00:00:00Z")},
		{"1M: Ceil of a month's first instant is itself", cc.Interval1M.Ceil(ms("2024-02-01T00:00:00Z")), ms("2024-02-01T00:00:00Z")},
		{"1d: Ceil of one millisecond past midnight is the next day", cc.Interval1d.Ceil(ms("2024-02-01T00:00:00Z") + 1), ms("2024-02-02T00:00:00Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %d (%s), want %d (%s)", tt.got, time.UnixMilli(tt.got).UTC(), tt.want, time.UnixMilli(tt.want).UTC())
			}
		})
	}
}
