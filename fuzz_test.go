package candlecassette_test

import (
	"encoding/json"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// FuzzParseDecimal: any string parses or fails cleanly; a parsed value
// formats back to a string that parses to the very same value, and every
// formatting path stays within its documented shape.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "+1", "3", "42000.01000000", "-1.5", ".5", "5.", "1e-8", "1E+3", "-2.5e-3", "0.000000000000000001",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "922337203685477580.70000000000",
		"1.2.3", "--1", "+", "-", ".", "e5", "1e", "1e999", "NaN", "Inf", "0x10", "1_000", " 1", "１",
		"0." + strings.Repeat("0", 40) + "1", strings.Repeat("9", 30),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := cc.ParseDecimal(s)
		if err != nil {
			return
		}
		out := d.String()
		back, err := cc.ParseDecimal(out)
		if err != nil {
			t.Fatalf("ParseDecimal(%q) = %+v, whose String %q does not parse: %v", s, d, out, err)
		}
		if back != d {
			t.Fatalf("ParseDecimal(%q) = %+v, String %q parses to %+v", s, d, out, back)
		}
		if d.Cmp(back) != 0 {
			t.Fatalf("%+v does not compare equal to itself", d)
		}
		for _, places := range []int{-1, 0, 2, int(d.Scale), 18, 30} {
			_ = d.Fixed(places)
			trimmed := string(d.AppendTrim(nil, places))
			if strings.HasSuffix(trimmed, ".") || (strings.Contains(trimmed, ".") && strings.HasSuffix(trimmed, "0")) {
				t.Fatalf("AppendTrim(%+v, %d) = %q keeps a trailing zero or point", d, places, trimmed)
			}
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var j cc.Decimal
		if err := json.Unmarshal(b, &j); err != nil || j != d {
			t.Fatalf("JSON round trip of %+v: %s -> %+v, %v", d, b, j, err)
		}
	})
}

// FuzzParsePairs: any flag value parses or fails cleanly; parsed pairs
// have a base and a quote, are distinct, and their names parse back to
// the same pairs.
func FuzzParsePairs(f *testing.F) {
	for _, s := range []string{
		"", "BTC-USDT", "BTC-USDT:50000,ETH-USDT:3000", " btc-usdt : 1 ", "BTC-USDT,BTC-USDT", "BTC", "-USDT", "BTC-",
		"BTC-USDT:0", "BTC-USDT:-1", "BTC-USDT:abc", "BTC-USDT:1e400", "A-B-C", "A/B", ",,,", "BTC-USDT:", ":5",
		"ü-€", "BTC-USDT:1:2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := cc.ParsePairs(s)
		if err != nil {
			return
		}
		if len(ps) == 0 {
			t.Fatalf("ParsePairs(%q): no pairs and no error", s)
		}
		names := make([]string, len(ps))
		seen := map[string]bool{}
		for i, p := range ps {
			if p.Base == "" || p.Quote == "" || p.Price < 0 {
				t.Fatalf("ParsePairs(%q): pair %+v", s, p)
			}
			if seen[p.Name()] {
				t.Fatalf("ParsePairs(%q): %s twice", s, p.Name())
			}
			seen[p.Name()] = true
			names[i] = p.Name()
		}
		again, err := cc.ParsePairs(strings.Join(names, ","))
		if err != nil || len(again) != len(ps) {
			t.Fatalf("ParsePairs(%q) names %q do not parse back: %v", s, names, err)
		}
		for i := range again {
			if again[i].Base != ps[i].Base || again[i].Quote != ps[i].Quote {
				t.Fatalf("ParsePairs(%q): %s parses back as %s", s, ps[i].Name(), again[i].Name())
			}
		}
	})
}
