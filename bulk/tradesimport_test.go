package bulk_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
	"github.com/candlecassette/candlecassette/cassettes"
)

func importTrades(t *testing.T, path string, files []string, o bulk.TradeImportOptions) (bulk.TradeImportResult, error) {
	t.Helper()
	c, closeFn, err := bulk.OpenWritable(path, "binance_spot", "test")
	if err != nil {
		t.Fatal(err)
	}
	res, err := bulk.ImportTrades(c, files, o)
	if cerr := closeFn(); cerr != nil {
		t.Fatal(cerr)
	}
	return res, err
}

func indexedTrades(t *testing.T, path, sym string) []cc.Trade {
	t.Helper()
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true, Exchange: "binance_spot"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts, err := c.IndexedTrades(sym, 0, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestImportBinanceTradesAndAggTrades imports an aggTrades file (zip,
// header, ms) and then the trades file of the same span (csv, no header,
// µs): the aggregates' prints first, then replaced by the real ones,
// keeping the aggregate ids; a file that disagrees with the index is
// reported and, unless --overwrite, leaves it as it was; a bad checksum
// imports nothing.
func TestImportBinanceTradesAndAggTrades(t *testing.T) {
	dir := t.TempDir()
	cas := filepath.Join(dir, "t.cassette")
	const t0 = int64(1_704_067_200_000) // 2024-01-01, ms
	// Aggregates 500 (prints 1000..1002) and 501 (print 1003).
	agg := "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match\n" +
		fmt.Sprintf("500,42000.10000000,0.30000000,1000,1002,%d,true,true\n", t0) +
		fmt.Sprintf("501,42000.20000000,0.05000000,1003,1003,%d,False,True\n", t0+5)
	aggZip := filepath.Join(dir, "BTCUSDT-aggTrades-2024-01-01.zip")
	writeZip(t, aggZip, "BTCUSDT-aggTrades-2024-01-01.csv", []byte(agg))
	writeChecksum(t, aggZip, false)
	res, err := importTrades(t, cas, []string{aggZip, aggZip + ".CHECKSUM"}, bulk.TradeImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Rows != 2 || !res.Files[0].Checksum || res.Files[0].Kind != bulk.KindAggTrades || res.Report.Added != 4 {
		t.Fatalf("aggTrades import: %+v %+v", res.Files, res.Report)
	}
	got := indexedTrades(t, cas, "BTCUSDT")
	if len(got) != 4 || got[0].ID != 1000 || got[2].ID != 1002 || got[0].AggID != 500 || got[3].AggID != 501 ||
		got[0].Size.Add(got[1].Size).Add(got[2].Size).Cmp(cc.MustDecimal("0.3")) != 0 || !got[0].BuyerMaker || got[3].BuyerMaker || got[3].Time != (t0+5)*1000 {
		t.Fatalf("after aggTrades: %+v", got)
	}

	// The real prints, µs times, no header.
	prints := fmt.Sprintf("1000,42000.10000000,0.10000000,4200.01,%d,true,true\n", t0*1000) +
		fmt.Sprintf("1001,42000.10000000,0.15000000,6300.015,%d,true,true\n", t0*1000) +
		fmt.Sprintf("1002,42000.10000000,0.05000000,2100.005,%d,true,true\n", t0*1000) +
		fmt.Sprintf("1003,42000.20000000,0.05000000,2100.01,%d,false,true\n", t0*1000+5000) +
		fmt.Sprintf("1004,42000.30000000,1.00000000,42000.3,%d,false,true\n", t0*1000+7123)
	tradesCSV := filepath.Join(dir, "BTCUSDT-trades-2024-01-01.csv")
	if err := os.WriteFile(tradesCSV, []byte(prints), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = importTrades(t, cas, []string{tradesCSV}, bulk.TradeImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if r.Given != 5 || r.Added != 1 || r.Replaced != 2 || r.Same != 2 || r.Conflicts != 0 { // 1000 and 1003 equal the aggregates' prints
		t.Fatalf("trades import report: %+v", r)
	}
	got = indexedTrades(t, cas, "BTCUSDT")
	want := []string{"1000 0.1 500", "1001 0.15 500", "1002 0.05 500", "1003 0.05 501", "1004 1 1004"}
	for i, w := range want {
		if i >= len(got) || fmt.Sprintf("%d %s %d", got[i].ID, strings.TrimRight(strings.TrimRight(got[i].Size.String(), "0"), "."), got[i].AggID) != w {
			t.Fatalf("after trades: %+v", got)
		}
	}
	if got[4].Time != t0*1000+7123 {
		t.Errorf("µs time: %d", got[4].Time)
	}

	// A disagreeing copy: reported, kept; with Overwrite, replaced.
	other := filepath.Join(dir, "other.csv")
	os.WriteFile(other, []byte(fmt.Sprintf("1004,42000.30000000,2.00000000,84000.6,%d,false,true\n", t0+7)), 0o644)
	res, err = importTrades(t, cas, []string{other}, bulk.TradeImportOptions{Symbol: "BTCUSDT", Kind: bulk.KindTrades})
	if err != nil || res.Report.Conflicts != 1 || len(res.Report.Examples) != 1 || res.Report.Replaced != 0 {
		t.Fatalf("conflict: %v %+v", err, res.Report)
	}
	if got := indexedTrades(t, cas, "BTCUSDT"); got[4].Size.Cmp(cc.MustDecimal("1")) != 0 {
		t.Fatalf("a conflict replaced the indexed trade: %+v", got[4])
	}
	res, err = importTrades(t, cas, []string{other}, bulk.TradeImportOptions{Symbol: "BTCUSDT", Kind: bulk.KindTrades, Overwrite: true})
	if err != nil || res.Report.Replaced != 1 {
		t.Fatalf("overwrite: %v %+v", err, res.Report)
	}
	if got := indexedTrades(t, cas, "BTCUSDT"); got[4].Size.Cmp(cc.MustDecimal("2")) != 0 || got[4].Time != (t0+7)*1000 {
		t.Fatalf("overwrite kept the old trade: %+v", got[4])
	}

	// A bad checksum, or a bad row in a later file, imports nothing.
	eth := filepath.Join(dir, "ETHUSDT-trades-2024-01.zip")
	writeZip(t, eth, "ETHUSDT-trades-2024-01.csv", []byte(fmt.Sprintf("7,3000.1,1,3000.1,%d,true,true\n", t0)))
	bad := filepath.Join(dir, "SOLUSDT-trades-2024-01-02.csv")
	os.WriteFile(bad, []byte(fmt.Sprintf("9,150,1,150,%d,maybe,true\n", t0)), 0o644)
	_, err = importTrades(t, cas, []string{eth, bad}, bulk.TradeImportOptions{})
	var le *bulk.LineError
	if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "isBuyerMaker") {
		t.Fatalf("bad row: %v", err)
	}
	zero := filepath.Join(dir, "SOLUSDT-trades-2024-01-03.csv")
	os.WriteFile(zero, []byte(fmt.Sprintf("9,150,1,150,%d,true,true\n10,150,-0.5,-75,%d,true,true\n", t0, t0)), 0o644)
	if _, err = importTrades(t, cas, []string{eth, zero}, bulk.TradeImportOptions{}); !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "positive size") {
		t.Fatalf("negative qty: %v", err)
	}
	writeChecksum(t, eth, true)
	if _, err := importTrades(t, cas, []string{eth}, bulk.TradeImportOptions{}); !errors.Is(err, bulk.ErrChecksum) {
		t.Fatalf("bad checksum: %v", err)
	}
	if got := indexedTrades(t, cas, "ETHUSDT"); len(got) != 0 {
		t.Fatalf("a failed import left %d trades", len(got))
	}
	c := openRO(t, cas, "binance_spot")
	if v, err := c.Verify(); err != nil || v.Trades != 5 {
		t.Fatalf("verify: %v %+v", err, v)
	}
}

// TestExportTrades writes the trades index as CSV, and what replay serves
// (recorded inside the span, renumbered synthetic before it) as JSON lines.
func TestExportTrades(t *testing.T) {
	dir := t.TempDir()
	cas := filepath.Join(dir, "t.cassette")
	const t0 = int64(1_704_067_200_000_000) // µs
	f := filepath.Join(dir, "BTCUSDT-trades-2024-01-01.csv")
	os.WriteFile(f, []byte(fmt.Sprintf("5000,42000.12000000,0.50000000,21000.06,%d,true,true\n5001,42000.13000000,0.25000000,10500.0325,%d,false,true\n", t0, t0+1500)), 0o644)
	if _, err := importTrades(t, cas, []string{f}, bulk.TradeImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res, err := bulk.Export(cas, &out, bulk.ExportOptions{What: bulk.WhatTrades})
	if err != nil || res.Rows != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	want := "exchange,symbol,time,id,agg_id,price,size,quote,buyer_maker,source\n" +
		fmt.Sprintf("binance_spot,BTCUSDT,%d,5000,5000,42000.12000000,0.50000000,21000.0600000000000000,true,recorded\n", t0) +
		fmt.Sprintf("binance_spot,BTCUSDT,%d,5001,5001,42000.13000000,0.25000000,10500.0325000000000000,false,recorded\n", t0+1500)
	if out.String() != want {
		t.Fatalf("csv:\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	res, err = bulk.Export(cas, &out, bulk.ExportOptions{What: bulk.WhatTrades, Symbol: "BTCUSDT", Source: bulk.SourceBoth, Format: bulk.FormatJSONL,
		Start: (t0 - 600_000_000) / 1000, End: (t0 + 2_000) / 1000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if int64(len(lines)) != res.Rows || len(lines) < 3 {
		t.Fatalf("%d lines, %d rows:\n%s", len(lines), res.Rows, out.String())
	}
	n := len(lines)
	if !strings.Contains(lines[n-1], `"id":5001`) || !strings.Contains(lines[n-1], `"source":"recorded"`) ||
		!strings.Contains(lines[n-2], `"id":5000`) || !strings.Contains(lines[n-3], `"id":4999,`) || !strings.Contains(lines[n-3], `"source":"synthetic"`) {
		t.Fatalf("both: the synthetic trades before the span do not run up to the recorded ids:\n%s\n%s\n%s", lines[n-3], lines[n-2], lines[n-1])
	}
	// Without a recorded span or a window there is nothing to export:
	// said, not an empty file.
	if _, err := bulk.Export(cas, io.Discard, bulk.ExportOptions{What: bulk.WhatTrades, Symbol: "ETHUSDT"}); err == nil || !strings.Contains(err.Error(), "no trades selected") {
		t.Fatalf("ETHUSDT without recorded trades: %v", err)
	}
}

// TestMergeAndTrimKeepTrades: merge unions the inputs' trades indexes
// (an id in both is written once), trim keeps the window's trades.
func TestMergeAndTrimKeepTrades(t *testing.T) {
	dir := t.TempDir()
	const t0 = int64(1_704_067_200_000_000)
	mk := func(name string, ids ...int64) string {
		p := filepath.Join(dir, name)
		c, err := cassettes.Open(p, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		var ts []cc.Trade
		for _, id := range ids {
			ts = append(ts, cc.Trade{ID: id, AggID: id, Time: t0 + id*1_000_000, Price: cc.NewDecimal(100+id, 1), Size: cc.NewDecimal(1, 0)})
		}
		if err := c.AddTrades(cassettes.TradeSeries{Symbol: "BTCUSDT", Trades: ts}); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := mk("a.cassette", 1, 2, 3), mk("b.cassette", 3, 4, 70, 200)
	out := filepath.Join(dir, "m.cassette")
	rep, err := bulk.Merge(a, b, out, bulk.HouseOptions{})
	if err != nil || rep.Trades != 6 || rep.TradeConflicts != 0 {
		t.Fatalf("merge: %v %+v", err, rep)
	}
	if got := indexedTrades(t, out, "BTCUSDT"); len(got) != 6 || got[5].ID != 200 {
		t.Fatalf("merged: %+v", got)
	}
	trimmed := filepath.Join(dir, "t.cassette")
	w := bulk.Window{Start: (t0 + 2_000_000) / 1000, End: (t0 + 71_000_000) / 1000}
	if _, err := bulk.Trim(out, trimmed, w, bulk.HouseOptions{}); err != nil {
		t.Fatal(err)
	}
	got := indexedTrades(t, trimmed, "BTCUSDT")
	if len(got) != 4 || got[0].ID != 2 || got[3].ID != 70 {
		t.Fatalf("trimmed: %+v", got)
	}
}
