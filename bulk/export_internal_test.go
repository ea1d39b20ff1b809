package bulk

import (
	"cmp"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// scanParallel, Parquet's first pass, reads exactly the rows the plans'
// sequential run gives, however many parts it cuts them into: from a
// stored interval and aggregated, with bounds that are not whole candles.
func TestScanParallelReadsEveryRowOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.cassette")
	f, err := cassettes.OpenFile(path, 0o644, &cassettes.Options{ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := f.Exchange("binance_spot", nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20_000
	t0 := int64(1_700_000_040_000) // a whole minute, not a whole hour
	cs := make([]cc.Candle, n)
	for i := range cs {
		open := t0 + int64(i)*60_000
		p := int64(4_200_000 + (i*7919)%10_000)
		cs[i] = cc.Candle{OpenTime: open, CloseTime: open + 59_999, Open: cc.NewDecimal(p, 2), High: cc.NewDecimal(p+50, 2),
			Low: cc.NewDecimal(p-50, 2), Close: cc.NewDecimal(p+1, 2), Volume: cc.NewDecimal(int64(i%977)*1000+1, 5), Trades: int64(i), Closed: true}
	}
	bk, err := c.BeginBulk(cassettes.BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bk.Put(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: cs}); err != nil {
		t.Fatal(err)
	}
	if err := bk.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, o := range []ExportOptions{
		{},
		{Interval: cc.Interval1h},
		{Interval: cc.Interval("15m"), Start: t0 + 7*60_000 + 123, End: t0 + (n-33)*60_000 - 5},
	} {
		plan, _, err := planExport(c, "binance_spot", o)
		if err != nil || len(plan) != 1 {
			t.Fatal(plan, err)
		}
		var want []Row
		if err := plan[0].run(nil, SourceRecorded, func(rows []Row) error { want = append(want, rows...); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(want) < 100 {
			t.Fatalf("%+v: %d rows", o, len(want))
		}
		for _, workers := range []int{1, 2, 3, 7} {
			var mu sync.Mutex
			var got []Row
			err := scanParallel(plan, workers, func(rows []Row) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, rows...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(got, func(a, b Row) int { return cmp.Compare(a.OpenTime, b.OpenTime) })
			if !slices.Equal(got, want) {
				t.Fatalf("%+v, %d workers: %d rows, want %d", o, workers, len(got), len(want))
			}
		}
	}
}
