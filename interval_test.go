package candlecassette_test

import (
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
