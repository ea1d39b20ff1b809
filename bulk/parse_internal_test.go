package bulk

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// parseDecimal reads every input as cc.ParseDecimal does: the same value
// and scale, or an error for the same inputs.
func TestParseDecimalIsCCParseDecimal(t *testing.T) {
	in := []string{"0", "0.0", "42283.58000000", "35.92724", "1", ".5", "5.", ".", "", "-1.5", "+2", "1e-8", "1.2.3",
		"12a", " 1", "1 ", "999999999999999999", "9999999999999999999", "99999999999999999999", "9223372036854775807",
		"9223372036854775808", "0.000000000000000001", "0.0000000000000000010", "1234567890.12345678", "123456789.0123456789",
		"00000000000000000001", "1.000000000000000000000", "NaN", "-", "+", "0x10", "١"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(22) {
			b.WriteByte("0123456789.-e"[min(rng.IntN(16), 12)])
		}
		in = append(in, b.String())
		in = append(in, strconv.FormatFloat(rng.Float64()*1e6, 'f', rng.IntN(12), 64))
	}
	for _, s := range in {
		got, gerr := parseDecimal([]byte(s))
		want, werr := cc.ParseDecimal(s)
		if got != want || (gerr == nil) != (werr == nil) {
			t.Fatalf("%q: %+v, %v; cc.ParseDecimal %+v, %v", s, got, gerr, want, werr)
		}
	}
}
