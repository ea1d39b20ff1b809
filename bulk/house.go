package bulk

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/candlecassette/candlecassette/cassettes"
)

// Housekeeping: merge, trim and compact write a new cassette through a
// temp file in the output's directory, renamed over the output only once
// complete, so a failure never leaves half a file. They refuse to write
// over one of their inputs unless InPlace says so. Merge and trim go
// through the cassette API (every value re-sealed as written, interaction
// and frame order, match keys and series lists rebuilt); compact is
// bbolt's Compact, which copies every key and value as it is, seals
// included, into fresh pages.

// HouseOptions configure Merge, Trim and Compact.
type HouseOptions struct {
	// InPlace allows the output to be one of the inputs.
	InPlace bool
	// ToolVersion goes into a new file's meta record.
	ToolVersion string
}

// Window bounds what Trim keeps: open times of candles, start times of
// interactions and connections, times of frames, in [Start, End) Unix ms.
type Window struct{ Start, End int64 }

func (w Window) has(ms int64) bool { return ms >= w.Start && ms < w.End }

func (w Window) hasTime(t time.Time) bool { return w.has(t.UnixMilli()) }

// HouseReport says what Merge or Trim wrote.
type HouseReport struct {
	Exchanges    []string
	Interactions int64
	Duplicates   int64 // interactions and connections present in both inputs, written once
	Conns        int64
	Frames       int64
	Candles      int64
	// Trades counts the trades index's new ids in out; TradeConflicts
	// the trades that differ between the inputs (A's kept).
	Trades         int64
	TradeConflicts int64
	// Books counts the book records (snapshots and diffs) written to
	// out's books index, one recorded in both inputs once.
	Books int64
	// Conflicts: recordings of the same request at the same instant, or
	// of one connection, that differ; and candles that differ (A's kept).
	Conflicts []string
	// CandleConflicts counts candles that differ between the inputs.
	CandleConflicts int64
	Dropped         struct{ Interactions, Conns, Frames, Candles int64 }
}

// refuseInput fails if out is one of ins (the same file), unless allowed.
func refuseInput(out string, ins []string, inPlace bool) error {
	ofi, err := os.Stat(out)
	if err != nil {
		return nil // does not exist yet
	}
	for _, in := range ins {
		if ifi, err := os.Stat(in); err == nil && os.SameFile(ofi, ifi) && !inPlace {
			return fmt.Errorf("output %s is the input %s: give another -o, or --in-place to replace it", out, in)
		}
	}
	return nil
}

// tempBeside makes a free temp path in out's directory.
func tempBeside(out string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	f.Close()
	return name, os.Remove(name) // bbolt creates it
}

// Compact rewrites the cassette at in into out with bbolt's Compact:
// every bucket, key, value (seals included) and sequence copied into
// freshly packed pages, leaving out the free pages a long recording or
// merge leaves behind.
func Compact(in, out string, o HouseOptions) (before, after int64, err error) {
	if err := refuseInput(out, []string{in}, o.InPlace); err != nil {
		return 0, 0, err
	}
	// A cassette, intact: checked as replay would open it.
	f, err := cassettes.OpenFile(in, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return 0, 0, err
	}
	f.Close()
	src, err := bolt.Open(in, 0o444, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", in, err)
	}
	defer src.Close()
	tmp, err := tempBeside(out)
	if err != nil {
		return 0, 0, err
	}
	dst, err := bolt.Open(tmp, 0o644, &bolt.Options{PageSize: src.Info().PageSize, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(tmp)
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		return 0, 0, fmt.Errorf("compact %s: %w", in, err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return 0, 0, err
	}
	// bbolt grows a file ahead in large steps: give back what its pages
	// do not use, as a cassette's Close does.
	var used int64
	_ = dst.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	if err := dst.Close(); err != nil {
		return 0, 0, err
	}
	if fi, err := os.Stat(tmp); err == nil && used > 0 && fi.Size() > used {
		if err := os.Truncate(tmp, used); err != nil {
			return 0, 0, err
		}
	}
	src.Close()
	if fi, err := os.Stat(in); err == nil {
		before = fi.Size()
	}
	if fi, err := os.Stat(tmp); err == nil {
		after = fi.Size()
	}
	return before, after, os.Rename(tmp, out)
}

// Merge writes the union of cassettes a and b, which must hold the same
// exchanges, to out: interactions and connections in time order (one
// recorded in both is written once; two differing recordings of one
// request at one instant keep a's and are reported), candle, trades and
// books indexes unioned (differing candles and trades keep a's and are
// reported; a book record in both is written once).
func Merge(a, b, out string, o HouseOptions) (HouseReport, error) {
	return rewrite([]string{a, b}, out, nil, o)
}

// Trim writes what cassette in holds inside w to out.
func Trim(in, out string, w Window, o HouseOptions) (HouseReport, error) {
	if w.End <= w.Start {
		return HouseReport{}, fmt.Errorf("trim: end %d is not after start %d", w.End, w.Start)
	}
	return rewrite([]string{in}, out, &w, o)
}

func rewrite(ins []string, out string, win *Window, o HouseOptions) (rep HouseReport, err error) {
	if err := refuseInput(out, ins, o.InPlace); err != nil {
		return rep, err
	}
	var files []*cassettes.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	single := true
	for _, in := range ins {
		f, err := cassettes.OpenFile(in, 0, &cassettes.Options{ReadOnly: true})
		if err != nil {
			return rep, err
		}
		files = append(files, f)
		single = single && !f.Multi()
	}
	ids := files[0].Exchanges()
	for i, f := range files[1:] {
		other := f.Exchanges()
		if !sameSet(ids, other) {
			return rep, fmt.Errorf("merge: %s holds %v, %s holds %v: merge cassettes of the same exchange(s)", ins[0], ids, ins[i+1], other)
		}
	}
	rep.Exchanges = ids
	tmp, err := tempBeside(out)
	if err != nil {
		return rep, err
	}
	defer os.Remove(tmp)
	// Single-exchange inputs give a single-exchange (format 3) output.
	var dstFile *cassettes.File
	var dstOne *cassettes.Cassette
	if !single {
		if dstFile, err = cassettes.OpenFile(tmp, 0o644, &cassettes.Options{ToolVersion: o.ToolVersion}); err != nil {
			return rep, err
		}
		defer dstFile.Close()
	}
	for _, id := range ids {
		var srcs []*cassettes.Cassette
		var volatile []string
		for _, f := range files {
			c, err := f.Exchange(id, nil)
			if err != nil {
				return rep, err
			}
			srcs = append(srcs, c)
			for _, p := range c.Meta().VolatileParams {
				if !slices.Contains(volatile, p) {
					volatile = append(volatile, p)
				}
			}
		}
		m := srcs[0].Meta()
		opts := &cassettes.Options{Exchange: id, ToolVersion: o.ToolVersion, UpstreamREST: m.UpstreamREST, UpstreamWS: m.UpstreamWS,
			VolatileParams: volatile, BatchItems: 10_000}
		var dst *cassettes.Cassette
		if single {
			if dstOne, err = cassettes.Open(tmp, 0o644, opts); err != nil {
				return rep, err
			}
			dst = dstOne
		} else if dst, err = dstFile.Exchange(id, opts); err != nil {
			return rep, err
		}
		if err := copyExchange(dst, srcs, win, &rep); err != nil {
			dst.Close()
			return rep, fmt.Errorf("%s: %w", id, err)
		}
		if err := dst.Close(); err != nil {
			return rep, err
		}
	}
	if dstFile != nil {
		if err := dstFile.Close(); err != nil {
			return rep, err
		}
	}
	for _, f := range files {
		f.Close()
	}
	files = nil
	return rep, os.Rename(tmp, out)
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

type timedIx struct {
	ix  *cassettes.Interaction
	src int
}

type timedConn struct {
	c   *cassettes.Conn
	src int
}

// copyExchange writes the union of srcs (within win, if set) to dst.
func copyExchange(dst *cassettes.Cassette, srcs []*cassettes.Cassette, win *Window, rep *HouseReport) error {
	// Interactions, in start order, once each.
	var ixs []timedIx
	for i, c := range srcs {
		err := c.Interactions(func(ix *cassettes.Interaction) error {
			if win != nil && !win.hasTime(ix.Start) {
				rep.Dropped.Interactions++
				return nil
			}
			ixs = append(ixs, timedIx{ix, i})
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.SliceStable(ixs, func(i, j int) bool { return ixs[i].ix.Start.Before(ixs[j].ix.Start) })
	type ixKey struct {
		key   string
		start int64
	}
	seen := map[ixKey]*cassettes.Interaction{}
	for _, t := range ixs {
		ix := t.ix
		k := ixKey{ix.MatchKey, ix.Start.UnixNano()}
		if prev, ok := seen[k]; ok {
			if prev.Status == ix.Status && bytes.Equal(prev.Body, ix.Body) {
				rep.Duplicates++
			} else {
				rep.Conflicts = append(rep.Conflicts, fmt.Sprintf("%s %s?%s at %s: recorded differently (status %d vs %d, %d vs %d body bytes); the first kept",
					ix.Method, ix.Path, ix.Query, ix.Start.UTC().Format(time.RFC3339Nano), prev.Status, ix.Status, len(prev.Body), len(ix.Body)))
			}
			continue
		}
		seen[k] = ix
		cp := *ix
		cp.Seq = 0
		if err := dst.AddInteraction(&cp); err != nil {
			return err
		}
		rep.Interactions++
	}
	// Connections and their frames, in start order, once each.
	var conns []timedConn
	for i, c := range srcs {
		cs, err := c.Conns()
		if err != nil {
			return err
		}
		for _, cn := range cs {
			if win != nil && !win.hasTime(cn.Start) {
				rep.Dropped.Conns++
				rep.Dropped.Frames += cn.Frames
				continue
			}
			conns = append(conns, timedConn{cn, i})
		}
	}
	sort.SliceStable(conns, func(i, j int) bool { return conns[i].c.Start.Before(conns[j].c.Start) })
	type connKey struct {
		url   string
		start int64
	}
	seenConn := map[connKey]*cassettes.Conn{}
	for _, t := range conns {
		cn := t.c
		k := connKey{cn.URL, cn.Start.UnixNano()}
		if prev, ok := seenConn[k]; ok {
			if prev.Frames == cn.Frames && prev.End.Equal(cn.End) {
				rep.Duplicates++
			} else {
				rep.Conflicts = append(rep.Conflicts, fmt.Sprintf("ws %s at %s: %d vs %d frames; the first kept",
					cn.URL, cn.Start.UTC().Format(time.RFC3339Nano), prev.Frames, cn.Frames))
			}
			continue
		}
		seenConn[k] = cn
		id, err := dst.BeginConn(cn.URL, cn.Start)
		if err != nil {
			return err
		}
		rep.Conns++
		last := cn.Start
		err = srcs[t.src].Frames(cn.ID, func(f cassettes.Frame) error {
			at := cn.Start.Add(f.Offset)
			if win != nil && !win.hasTime(at) {
				rep.Dropped.Frames++
				return nil
			}
			f.Conn, f.Seq = id, 0
			rep.Frames++
			last = at
			return dst.AddFrame(f)
		})
		if err != nil {
			return err
		}
		end := cn.End
		if win != nil && !end.IsZero() && !win.hasTime(end) {
			// Trimmed mid-connection: it ends with its last frame kept.
			end = last
		}
		if !end.IsZero() {
			if err := dst.EndConn(id, end, cn.CloseCode); err != nil {
				return err
			}
		}
	}
	// Candles last: the recorded range is then set by the recordings
	// (an import-only cassette's by its candles, see cassettes.Bulk).
	if err := dst.Flush(); err != nil {
		return err
	}
	bulk, err := dst.BeginBulk(cassettes.BulkOptions{MaxExamples: 5})
	if err != nil {
		return err
	}
	defer bulk.Rollback()
	for _, c := range srcs {
		keys, err := c.Series()
		if err != nil {
			return err
		}
		for _, k := range keys {
			start, end := int64(-1<<62), int64(1<<62)
			if win != nil {
				start, end = win.Start, win.End
				if all, err := c.Coverage(k.Symbol, k.Interval); err == nil {
					rep.Dropped.Candles += int64(all.Total())
				}
			}
			cs, err := c.Candles(k.Symbol, k.Interval, start, end)
			if err != nil {
				return err
			}
			if win != nil {
				rep.Dropped.Candles -= int64(len(cs))
			}
			if err := bulk.Put(cassettes.Series{Symbol: k.Symbol, Interval: k.Interval, Candles: cs}); err != nil {
				return err
			}
		}
	}
	// Trades and books are copied by symbol, in the window (µs) if any.
	start, end := int64(-1<<62), int64(1<<62)
	if win != nil {
		start, end = win.Start*1000, win.End*1000
	}
	for _, c := range srcs {
		tspans, err := c.TradeSpans()
		if err != nil {
			return err
		}
		for _, sp := range tspans {
			if _, err := bulk.CopyTrades(c, sp.Symbol, start, end); err != nil {
				return err
			}
		}
		bspans, err := c.BookSpans()
		if err != nil {
			return err
		}
		for _, sp := range bspans {
			if _, err := bulk.CopyBooks(c, sp.Symbol, start, end); err != nil {
				return err
			}
		}
	}
	r := bulk.Report()
	rep.Books += r.Books.Added
	rep.Trades += r.Trades.Added
	rep.TradeConflicts += r.Trades.Conflicts
	rep.Candles += r.Added
	rep.CandleConflicts += r.Conflicts
	for _, e := range r.Examples {
		rep.Conflicts = append(rep.Conflicts, fmt.Sprintf("candle %s at %s: %s vs %s (close); the first kept",
			e.Key, time.UnixMilli(e.Old.OpenTime).UTC().Format(time.RFC3339), e.Old.Close, e.New.Close))
	}
	return bulk.Commit()
}
