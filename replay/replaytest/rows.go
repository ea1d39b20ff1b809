package replaytest

import (
	"strconv"
	"strings"
	"testing"
)

// OpenTimes parses the first column of candle rows (Unix ms as strings,
// as Bybit and OKX send them), failing the test on a bad one.
func OpenTimes(t testing.TB, rows [][]string) []int64 {
	t.Helper()
	out := make([]int64, len(rows))
	for i, row := range rows {
		v, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// Decimals is the number of digits after the point in a decimal string
// ("0.010" has 3, "5" none).
func Decimals(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}
