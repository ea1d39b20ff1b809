package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

const fixtureCassette = "../../cassettes/testdata/binance_spot.cassette"

// verified runs inspect --verify on path (the command's own code path)
// and fails the test unless every checksum and bbolt's check pass.
func verified(t *testing.T, path string) {
	t.Helper()
	out, _, err := run(t, "inspect", "--verify", path)
	if err != nil || !strings.Contains(out, "verified:  ok") {
		t.Fatalf("inspect --verify %s: %v\n%s", path, err, out)
	}
}

// importDay imports the real 12-field day of BTCUSDT 1m into path.
func importDay(t *testing.T, path string) {
	t.Helper()
	src := "../../../shared/data/binance-spot-BTCUSDT-1m-2020-12-01-12col.csv"
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shared data: %v", err)
	}
	if _, _, err := run(t, "import", "--cassette", path, "--exchange", "binance_spot", src); err != nil {
		t.Fatal(err)
	}
}

// TestImportCommandPrintsPerFileAndReportsOverlap: the command prints a
// line per file off a terminal, and a second import reports identical
// candles; a failed import of a new file leaves no file behind.
func TestImportCommandPrintsPerFileAndReportsOverlap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.cassette")
	src := "../../../shared/data/binance-spot-BTCUSDT-1m-2020-12-01-12col.csv"
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shared data: %v", err)
	}
	out, errOut, err := run(t, "import", "--cassette", path, "--exchange", "binance_spot", src)
	if err != nil || !strings.Contains(errOut, "[1/1] "+src+": 1441 candles BTCUSDT 1m 2020-12-01T00:00:00Z .. 2020-12-02T00:00:00Z") ||
		!strings.Contains(out, "imported 1441 candles from 1 files") {
		t.Fatalf("import: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
	out, _, err = run(t, "import", "--cassette", path, "--exchange", "binance_spot", src)
	if err != nil || !strings.Contains(out, "0 new, 1441 identical") {
		t.Fatalf("re-import: %v\n%s", err, out)
	}
	verified(t, path)
	bad := filepath.Join(dir, "BTCUSDT-1m-2020-12-02.csv")
	os.WriteFile(bad, []byte("1606867200000,1,2,0.5,1,1,1606867259999,1,1,1,1,0\nnot,a,row\n"), 0o644)
	fresh := filepath.Join(dir, "fresh.cassette")
	_, _, err = run(t, "import", "--cassette", fresh, "--exchange", "binance_spot", bad)
	if err == nil || !strings.Contains(err.Error(), bad+":2: ") {
		t.Fatalf("bad file: %v, want file:2", err)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Fatalf("a failed import left %s behind (%v)", fresh, err)
	}
	if _, _, err := run(t, "import", "--cassette", fresh, "--exchange", "no_such_exchange", src); err == nil {
		t.Fatal("an unknown exchange imported")
	}
}

// everything reads one exchange's contents: interactions, connections
// with frames, candles.
func everything(t *testing.T, path string) (ixs []string, frames []string, candles map[cassettes.SeriesKey][]cc.Candle) {
	t.Helper()
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true, Exchange: "binance_spot"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Interactions(func(ix *cassettes.Interaction) error {
		ixs = append(ixs, ix.Method+" "+ix.Path+"?"+ix.Query+" "+ix.Start.String()+" "+string(ix.Body))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	conns, err := c.Conns()
	if err != nil {
		t.Fatal(err)
	}
	for _, cn := range conns {
		c.Frames(cn.ID, func(f cassettes.Frame) error {
			frames = append(frames, cn.URL+" "+cn.Start.Add(f.Offset).String()+" "+f.Stream+" "+string(f.Payload))
			return nil
		})
	}
	keys, err := c.Series()
	if err != nil {
		t.Fatal(err)
	}
	candles = map[cassettes.SeriesKey][]cc.Candle{}
	for _, k := range keys {
		cs, err := c.Candles(k.Symbol, k.Interval, -1<<62, 1<<62)
		if err != nil {
			t.Fatal(err)
		}
		candles[k] = cs
	}
	return ixs, frames, candles
}

// TestMergeTrimCompactKeepChecksumsAndContents: merging the recorded
// fixture with an imported day holds both whole (interactions, frames,
// candles), merging a cassette with itself writes each recording once,
// trimming keeps exactly what is in the range, compacting changes no
// value; every output passes inspect --verify; none overwrites its input
// without --in-place.
func TestMergeTrimCompactKeepChecksumsAndContents(t *testing.T) {
	dir := t.TempDir()
	day := filepath.Join(dir, "day.cassette")
	importDay(t, day)
	fixIx, fixFrames, fixCandles := everything(t, fixtureCassette)
	_, _, dayCandles := everything(t, day)

	merged := filepath.Join(dir, "merged.cassette")
	out, _, err := run(t, "merge", fixtureCassette, day, "-o", merged)
	if err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	verified(t, merged)
	ixs, frames, candles := everything(t, merged)
	if strings.Join(ixs, "\n") != strings.Join(fixIx, "\n") || strings.Join(frames, "\n") != strings.Join(fixFrames, "\n") {
		t.Fatalf("merged interactions/frames differ from the fixture's:\n%v\n%v", ixs, fixIx)
	}
	for _, src := range []map[cassettes.SeriesKey][]cc.Candle{fixCandles, dayCandles} {
		for k, cs := range src {
			if len(candles[k]) < len(cs) {
				t.Fatalf("merged %s: %d candles, want at least %d", k, len(candles[k]), len(cs))
			}
		}
	}
	k1m := cassettes.SeriesKey{Symbol: "BTCUSDT", Interval: cc.Interval1m}
	if len(candles[k1m]) != len(fixCandles[k1m])+len(dayCandles[k1m]) {
		t.Fatalf("merged 1m: %d candles, want %d + %d", len(candles[k1m]), len(fixCandles[k1m]), len(dayCandles[k1m]))
	}

	// With itself: every recording once, nothing in conflict.
	self := filepath.Join(dir, "self.cassette")
	out, _, err = run(t, "merge", fixtureCassette, fixtureCassette, "-o", self)
	if err != nil || !strings.Contains(out, "4 duplicates written once") || strings.Contains(out, "conflicts") {
		t.Fatalf("merge with itself: %v\n%s", err, out)
	}
	verified(t, self)
	if ixs, frames, _ := everything(t, self); len(ixs) != len(fixIx) || len(frames) != len(fixFrames) {
		t.Fatalf("self-merge: %d interactions, %d frames; want %d, %d", len(ixs), len(frames), len(fixIx), len(fixFrames))
	}

	// A conflicting candle: the day imported again with one close changed.
	changed := filepath.Join(dir, "changed.cassette")
	src := "../../../shared/data/binance-spot-BTCUSDT-1m-2020-12-01-12col.csv"
	raw, _ := os.ReadFile(src)
	lines := strings.Split(string(raw), "\n")
	fs := strings.Split(lines[5], ",")
	fs[3], fs[4] = "1.00000000", "1.00000000" // low and close: another candle, still a possible one
	lines[5] = strings.Join(fs, ",")
	alt := filepath.Join(dir, "BTCUSDT-1m-2020-12-01.csv")
	os.WriteFile(alt, []byte(strings.Join(lines, "\n")), 0o644)
	if _, _, err := run(t, "import", "--cassette", changed, "--exchange", "binance_spot", alt); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, "merge", day, changed, "-o", filepath.Join(dir, "conflict.cassette"))
	if err != nil || !strings.Contains(out, "conflicts (1 candles differ)") {
		t.Fatalf("merge with a differing candle: %v\n%s", err, out)
	}

	// Trim the merged file to the imported day's first hour.
	trimmed := filepath.Join(dir, "trimmed.cassette")
	out, _, err = run(t, "trim", "--cassette", merged, "--start", "2020-12-01T00:00:00Z", "--end", "2020-12-01T01:00:00Z", "-o", trimmed)
	if err != nil {
		t.Fatalf("trim: %v\n%s", err, out)
	}
	verified(t, trimmed)
	ixs, frames, candles = everything(t, trimmed)
	if len(ixs) != 0 || len(frames) != 0 || len(candles) != 1 || len(candles[k1m]) != 60 {
		t.Fatalf("trimmed: %d interactions, %d frames, %v series; want only the 60 candles of the hour", len(ixs), len(frames), len(candles))
	}
	for i, c := range candles[k1m] {
		if c != dayCandles[k1m][i] {
			t.Fatalf("trimmed candle %d: %+v, want %+v", i, c, dayCandles[k1m][i])
		}
	}
	// Trim to the fixture's recording keeps its interactions and frames.
	rec := filepath.Join(dir, "rec.cassette")
	if out, _, err = run(t, "trim", "--cassette", merged, "--start", "2026-12-06T17:05:29Z", "--end", "2026-12-06T17:05:32Z", "-o", rec); err != nil {
		t.Fatalf("trim: %v\n%s", err, out)
	}
	verified(t, rec)
	if ixs, frames, _ := everything(t, rec); len(ixs) != len(fixIx) || len(frames) != len(fixFrames) {
		t.Fatalf("trimmed to the recording: %d interactions, %d frames; want %d, %d", len(ixs), len(frames), len(fixIx), len(fixFrames))
	}

	// Compact: no value changes.
	before, beforeFrames, beforeCandles := everything(t, merged)
	if _, _, err := run(t, "compact", "--cassette", merged); err == nil {
		t.Fatal("compact without -o or --in-place replaced its input")
	}
	if _, _, err := run(t, "compact", "--cassette", merged, "-o", merged); err == nil || !strings.Contains(err.Error(), "--in-place") {
		t.Fatalf("compact -o INPUT: %v, want a refusal naming --in-place", err)
	}
	if _, _, err := run(t, "trim", "--cassette", merged, "--start", "2020-12-01", "--end", "2020-12-02", "-o", merged); err == nil {
		t.Fatal("trim -o INPUT replaced its input")
	}
	if out, _, err = run(t, "compact", "--cassette", merged, "--in-place"); err != nil {
		t.Fatalf("compact --in-place: %v\n%s", err, out)
	}
	verified(t, merged)
	after, afterFrames, afterCandles := everything(t, merged)
	if strings.Join(before, "\n") != strings.Join(after, "\n") || strings.Join(beforeFrames, "\n") != strings.Join(afterFrames, "\n") {
		t.Fatalf("compaction changed interactions or frames")
	}
	if len(afterCandles) != len(beforeCandles) || len(afterCandles[k1m]) != len(fixCandles[k1m])+len(dayCandles[k1m]) {
		t.Fatalf("compaction changed the candle series: %d series, %d 1m candles", len(afterCandles), len(afterCandles[k1m]))
	}
	for k, cs := range beforeCandles {
		for i := range cs {
			if afterCandles[k][i] != cs[i] {
				t.Fatalf("compaction changed %s candle %d", k, i)
			}
		}
	}
}
