package drift

import (
	"encoding/json"
	"testing"
)

func fmtOf(vals ...string) *numFmt {
	f := &numFmt{}
	for _, v := range vals {
		f.add(v)
	}
	return f
}

func TestNumberFormatsCompatibleOnlyWhenValuesCouldShareOneFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []string
		want bool
	}{
		{"padded 8 places both sides", []string{"0.01000000", "5.12345678"}, []string{"42.10000000"}, true},
		{"padded 8 then padded 2", []string{"0.01000000"}, []string{"0.10", "3.25"}, false},
		{"trimmed both sides, other maxima", []string{"0.5", "1.25"}, []string{"3.125", "7"}, true},
		{"padded 2 then trimmed to 1 place", []string{"50000.10", "1.25"}, []string{"50000.1"}, false},
		{"padded 2 then values that happen to fill 2 places", []string{"50000.10"}, []string{"1.25", "3.99"}, true},
		{"padded then integers", []string{"50000.00"}, []string{"50000"}, false},
		{"integers then trimmed places", []string{"12", "13"}, []string{"12.5"}, true},
		{"plain then scientific notation", []string{"0.00001"}, []string{"1e-05"}, false},
		{"shortest float spellings, one side all zero", []string{"0.42541", "7.5"}, []string{"0.0", "0.0"}, true},
		{"padded 1 place is not proven by x.0", []string{"3.0", "4.0"}, []string{"3.25"}, true},
		{"scientific both sides", []string{"1e-05"}, []string{"2.5E-7"}, true},
	} {
		if got := compatible(fmtOf(tc.a...), fmtOf(tc.b...)); got != tc.want {
			t.Errorf("%s: compatible = %v, want %v", tc.name, got, tc.want)
		}
		if got := compatible(fmtOf(tc.b...), fmtOf(tc.a...)); got != tc.want {
			t.Errorf("%s, sides swapped: compatible = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTemplateReplacesSymbolsOnlyAsWholeWords(t *testing.T) {
	nm := newNames(map[string]bool{"BTCUSDT": true, "BTC": true, "BTC-USD": true})
	for in, want := range map[string]string{
		"btcusdt@kline_1m":                         "{symbol}@kline_1m",
		"kline.1.BTCUSDT":                          "kline.1.{symbol}",
		"spot@public.kline.v3.api.pb@BTCUSDT@Min1": "spot@public.kline.v3.api.pb@{symbol}@Min1",
		"BTC-USD":                      "{symbol}",
		"/market/candles:BTC-USD_1min": "/market/candles:{symbol}_1min",
		"xbtc":                         "xbtc",
		"1700000000000":                "{n}",
		"candle1m":                     "candle1m",
	} {
		if got := nm.template(in, nil); got != want {
			t.Errorf("template(%q) = %q, want %q", in, got, want)
		}
	}
}

func nodeOf(vals ...any) *Node {
	n := newNode()
	for _, v := range vals {
		n.observe(v, func(k string) string { return k })
	}
	return n
}

func TestHexTokensThatHappenToBeDigitsAreNoTypeChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []any
		want bool // a change
	}{
		{"hex ids, all digits once", []any{"a4d3ae55"}, []any{"12345678"}, false},
		{"hex ids, mixed on one side", []any{"a4d3ae55", "00112233"}, []any{"ffee0011"}, false},
		{"hex ids, one reads as e-notation", []any{"a4d3ae55"}, []any{"1e345678"}, false},
		{"a number string that became e-notation", []any{"0.00001"}, []any{"1e-5"}, true},
		{"a quoted time that became a date", []any{"1700000000000"}, []any{"2023-11-14T22:13:20Z"}, true},
		{"a flag that became a word", []any{"0", "1"}, []any{"true"}, true},
		{"a price that became a word", []any{"0.5"}, []any{"abc"}, true},
	} {
		got := len(compareNodes(nodeOf(tc.a...), nodeOf(tc.b...), "$")) > 0
		if got != tc.want {
			t.Errorf("%s: change = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRowOrderReadsOnlyListsOfTimeKeyedRows(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	for _, tc := range []struct {
		name string
		list []any
		want string
	}{
		{"klines oldest first", []any{[]any{n("1704067200000"), "1"}, []any{n("1704067260000"), "2"}, []any{n("1704067320000"), "3"}}, orderAsc},
		{"candles newest first, times as strings", []any{[]any{"1704067320000"}, []any{"1704067260000"}, []any{"1704067200000"}}, orderDesc},
		{"times out of order", []any{[]any{n("1704067200000")}, []any{n("1704067320000")}, []any{n("1704067260000")}}, orderMixed},
		{"down then up is mixed", []any{[]any{n("1704067320000")}, []any{n("1704067200000")}, []any{n("1704067260000")}, []any{n("1704067380000")}}, orderMixed},
		{"two rows say nothing", []any{[]any{n("1704067200000")}, []any{n("1704067260000")}}, orderNone},
		{"book levels by price", []any{[]any{"42000.10", "1"}, []any{"42000.20", "1"}, []any{"42000.30", "1"}}, orderNone},
		{"small integers", []any{[]any{n("1")}, []any{n("2")}, []any{n("3")}}, orderNone},
		{"objects", []any{map[string]any{"t": n("1704067200000")}, map[string]any{"t": n("1704067260000")}, map[string]any{"t": n("1704067320000")}}, orderNone},
	} {
		if got := rowOrder(tc.list); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
