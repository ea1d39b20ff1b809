package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportTradesCommandAndInspect: trades files are told apart by name,
// imported into the trades index and shown by inspect; a mix of trades
// and kline files is refused.
func TestImportTradesCommandAndInspect(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.cassette")
	f := filepath.Join(dir, "BTCUSDT-trades-2024-01-01.csv")
	rows := "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match\n" +
		"11,42000.1,0.5,21000.05,1704067200000,true,true\n" +
		"12,42000.2,0.25,10500.05,1704067201000,false,true\n"
	if err := os.WriteFile(f, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := run(t, "import", "--cassette", path, "--exchange", "binance_spot", "--no-progress", f)
	if err != nil || !strings.Contains(out, "imported 2 trades from 1 files") || !strings.Contains(out, "2 new") ||
		!strings.Contains(errOut, "2 rows BTCUSDT trades") {
		t.Fatalf("import: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
	out, _, err = run(t, "inspect", path)
	if err != nil || !strings.Contains(out, "trades: 1 symbols") ||
		!strings.Contains(out, "BTCUSDT: 2 trades, ids 11 .. 12, 2024-01-01T00:00:00.000000Z .. 2024-01-01T00:00:01.000000Z") {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
	kl := filepath.Join(dir, "BTCUSDT-1m-2024-01-01.csv")
	os.WriteFile(kl, []byte("1704067200000,1,2,0.5,1,1,1704067259999,1,1,1,1,0\n"), 0o644)
	if _, _, err := run(t, "import", "--cassette", path, "--exchange", "binance_spot", f, kl); err == nil || !strings.Contains(err.Error(), "some files are trades files") {
		t.Fatalf("mixed files: %v", err)
	}
}
