package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// export --what trades writes the synthetic tape's trades of a window
// without a cassette (stdout and a Parquet file), and refuses what it
// cannot do with a message.
func TestExportTrades(t *testing.T) {
	args := []string{"export", "--what", "trades", "--exchange", "binance_spot", "--symbol", "BTCUSDT",
		"--start", "2025-03-05T15:00:00Z", "--end", "2025-03-05T15:00:10Z"}
	out, _, err := run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "exchange,symbol,time,id,agg_id,price,size,quote,buyer_maker,source" || len(lines) < 2 {
		t.Fatalf("csv: %q", out)
	}
	for _, l := range lines[1:] {
		if fs := strings.Split(l, ","); len(fs) != 10 || fs[0] != "binance_spot" || fs[1] != "BTCUSDT" || fs[9] != "synthetic" {
			t.Fatalf("row %q", l)
		}
	}
	pq := filepath.Join(t.TempDir(), "t.parquet")
	_, stderr, err := run(t, append(args, "--format", "parquet", "-o", pq)...)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(pq); err != nil || st.Size() == 0 || !strings.Contains(stderr, "trades to "+pq) {
		t.Fatalf("parquet file %v %v, stderr %q", st, err, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(args, "--source", "recorded"), "needs a --cassette"},
		{args[:7], "--start and --end"},
		{[]string{"export", "--what", "trades", "--start", "2025-03-05", "--end", "2025-03-06"}, "--exchange"},
		{[]string{"export"}, "--cassette is required"},
		{[]string{"export", "--what", "quotes", "--cassette", "x"}, "want candles or trades"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}
