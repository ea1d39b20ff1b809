package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// bookRecords reads every record of symbol's books index in path.
func bookRecords(t *testing.T, path, symbol string) []cassettes.BookRecord {
	t.Helper()
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true, Exchange: "binance_spot"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	recs, err := c.BookRecords(symbol, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func bookRecString(r cassettes.BookRecord) string {
	s := fmt.Sprintf("%d snap=%v depth=%d %d-%d", r.Time, r.Snapshot, r.Depth, r.FirstSeq, r.LastSeq)
	for _, side := range [][]cc.BookLevel{r.Bids, r.Asks} {
		s += " |"
		for _, l := range side {
			s += " " + l.Price.String() + "@" + l.Size.String()
		}
	}
	return s
}

// TestMergeTrimInspectKeepBooks: merge unions the inputs' books indexes
// (a record in both written once), trim keeps the window's records,
// inspect lists them per symbol and inspect --verify counts them; every
// output's sealed blocks check out, and a changed byte in a book block
// of the merged file fails --verify naming the block.
func TestMergeTrimInspectKeepBooks(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()
	lv := func(px, sz string) cc.BookLevel {
		return cc.BookLevel{Price: cc.MustDecimal(px), Size: cc.MustDecimal(sz)}
	}
	snap := cassettes.BookRecord{Symbol: "BTCUSDT", Time: t0, Snapshot: true, Depth: 100, LastSeq: 100,
		Bids: []cc.BookLevel{lv("65000.1", "0.5"), lv("65000", "1.25")}, Asks: []cc.BookLevel{lv("65000.2", "0.001")}}
	d1 := cassettes.BookRecord{Symbol: "BTCUSDT", Time: t0 + 1_000_000, FirstSeq: 101, LastSeq: 103, Bids: []cc.BookLevel{lv("65000.1", "0")}}
	d2 := cassettes.BookRecord{Symbol: "BTCUSDT", Time: t0 + 61_000_000, FirstSeq: 104, LastSeq: 104, Asks: []cc.BookLevel{lv("65000.3", "2")}}
	d3 := cassettes.BookRecord{Symbol: "BTCUSDT", Time: t0 + 125_000_000, FirstSeq: 105, LastSeq: 107, Asks: []cc.BookLevel{lv("65000.2", "0")}}
	eth := cassettes.BookRecord{Symbol: "ETHUSDT", Time: t0 + 30_000_000, Snapshot: true, LastSeq: 9, Bids: []cc.BookLevel{lv("3000", "1")}}
	mk := func(name string, recs ...cassettes.BookRecord) string {
		p := filepath.Join(dir, name)
		c, err := cassettes.Open(p, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddBooks(recs...); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := mk("a.cassette", snap, d1, d2), mk("b.cassette", d2, d3, eth)

	merged := filepath.Join(dir, "merged.cassette")
	out, _, err := run(t, "merge", a, b, "-o", merged)
	if err != nil || !strings.Contains(out, ", 5 book records") {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	verified(t, merged)
	var got []string
	for _, r := range bookRecords(t, merged, "BTCUSDT") {
		got = append(got, bookRecString(r))
	}
	var want []string
	for _, r := range []cassettes.BookRecord{snap, d1, d2, d3} {
		want = append(want, bookRecString(r))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("merged BTCUSDT records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := bookRecords(t, merged, "ETHUSDT"); len(e) != 1 || bookRecString(e[0]) != bookRecString(eth) {
		t.Fatalf("merged ETHUSDT: %+v", e)
	}
	out, _, err = run(t, "inspect", "--verify", merged)
	if err != nil || !strings.Contains(out, "books: 2 symbols") ||
		!strings.Contains(out, "BTCUSDT: 4 records (snapshots and diffs), 2026-03-02T10:00:00.000000Z .. 2026-03-02T10:02:05.000000Z, 3 blocks") ||
		!strings.Contains(out, "ETHUSDT: 1 records") || !strings.Contains(out, "5 book records in 4 blocks") {
		t.Fatalf("inspect --verify: %v\n%s", err, out)
	}

	// Trim to [t0+0.5 s, t0+70 s): d1 and d2, and ETH's snapshot.
	trimmed := filepath.Join(dir, "trimmed.cassette")
	out, _, err = run(t, "trim", "--cassette", merged, "--start", time.UnixMicro(t0+500_000).UTC().Format(time.RFC3339Nano),
		"--end", time.UnixMicro(t0+70_000_000).UTC().Format(time.RFC3339Nano), "-o", trimmed)
	if err != nil || !strings.Contains(out, ", 3 book records") {
		t.Fatalf("trim: %v\n%s", err, out)
	}
	verified(t, trimmed)
	got = got[:0]
	for _, r := range bookRecords(t, trimmed, "BTCUSDT") {
		got = append(got, bookRecString(r))
	}
	if strings.Join(got, "\n") != bookRecString(d1)+"\n"+bookRecString(d2) {
		t.Fatalf("trimmed BTCUSDT records:\n%s", strings.Join(got, "\n"))
	}

	// A changed byte in a book block: --verify fails and names it.
	db, err := bolt.Open(merged, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte("books")).Bucket([]byte("BTCUSDT"))
		k, v := bk.Cursor().First()
		v = append([]byte(nil), v...)
		v[len(v)/2] ^= 0x40
		return bk.Put(append([]byte(nil), k...), v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if out, _, err := run(t, "inspect", "--verify", merged); err == nil || !strings.Contains(err.Error()+out, "books/BTCUSDT") {
		t.Fatalf("inspect --verify of a changed book block: %v\n%s", err, out)
	}
}
