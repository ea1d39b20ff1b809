package bulk_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/candlecassette/candlecassette/bulk"
)

// BenchmarkImport imports 1M real-valued 1m candles in Binance's
// headerless 12-field CSV layout into a new cassette (target ≥ 1M
// candles/s; reported as candles/s).
func BenchmarkImport(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	src := filepath.Join(dir, "BTCUSDT-1m-2023-01.csv")
	if err := os.WriteFile(src, binanceRows(b, n, 1_600_000_000_000-1_600_000_000_000%60_000), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		path := filepath.Join(dir, "out.cassette")
		os.Remove(path)
		res, err := importInto(b, path, "binance_spot", []string{src}, bulk.ImportOptions{})
		if err != nil || res.Report.Added != n {
			b.Fatal(err, res.Report)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
}
