package cassettes_test

import (
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

func TestStreamLabelsKeepTheirStoredSpellingAndParseBack(t *testing.T) {
	for _, tc := range []struct {
		symbol string
		iv     cc.Interval
		want   string
	}{
		{"BTCUSDT", cc.Interval1m, "BTCUSDT 1m"},
		{"BTC-USDT", cc.Interval1h, "BTC-USDT 1h"},
		{"XBT/USD", cc.Interval1d, "XBT/USD 1d"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			got := cassettes.StreamLabel(tc.symbol, tc.iv)
			if got != tc.want {
				t.Fatalf("StreamLabel(%q, %s) = %q, want %q: cassettes in the field hold this spelling", tc.symbol, tc.iv, got, tc.want)
			}
			if k := (cassettes.SeriesKey{Symbol: tc.symbol, Interval: tc.iv}).String(); k != got {
				t.Errorf("SeriesKey.String() = %q, the stream label is %q", k, got)
			}
			sym, iv, ok := cassettes.ParseStreamLabel(got)
			if !ok || sym != tc.symbol || iv != tc.iv {
				t.Errorf("ParseStreamLabel(%q) = %q, %q, %v", got, sym, iv, ok)
			}
		})
	}
	for _, bad := range []string{"", "BTCUSDT", " 1m", "BTCUSDT 7x", "BTCUSDT 1m "} {
		if sym, iv, ok := cassettes.ParseStreamLabel(bad); ok {
			t.Errorf("ParseStreamLabel(%q) = %q, %q, true; want not a label", bad, sym, iv)
		}
	}
}
