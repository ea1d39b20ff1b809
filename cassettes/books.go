package cassettes

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
)

// The books index: the recorded order book snapshots (REST depth bodies,
// WS snapshots and partial streams) and diffs (WS updates) of each
// symbol, in time order, beside the trades index and laid out like it:
// the bucket "books" (created by the first write), one bucket per symbol,
// one block per minute keyed by its start (Unix µs, as timeKey). A block
// is a header (kind, count, first and last time) and its records column
// by column, zstd compressed: times as deltas, a flags byte (snapshot),
// depth, first and last update ids (the last as a delta from the first),
// level counts, then every level's price and size as scale and units
// (prices as deltas within a side). Every block is sealed (CRC-32C of key
// and value) in a sealed cassette. A record equal to one indexed (same
// time, kind, ids, depth and levels) is not stored twice, so recording
// the same stream twice (two connections) keeps one copy.

var bucketBooks = []byte("books")

// BookRecord is one recorded book payload of a symbol: a snapshot (the
// whole book to Depth levels a side, 0: as deep as the exchange sends;
// Seq in LastSeq, FirstSeq 0) or a diff (the levels that changed, size 0
// removed, covering update ids FirstSeq..LastSeq). Ids are 0 where the
// exchange names none.
type BookRecord struct {
	Symbol            string
	Time              int64 // Unix µs
	Snapshot          bool
	Depth             int
	FirstSeq, LastSeq int64
	Bids, Asks        []cc.BookLevel // best first
}

// Book is r as a book (a snapshot's state).
func (r BookRecord) Book() cc.Book {
	return cc.Book{Time: r.Time, Seq: r.LastSeq, Bids: r.Bids, Asks: r.Asks}
}

// Diff is r as a diff.
func (r BookRecord) Diff() cc.BookDiff {
	return cc.BookDiff{Time: r.Time, FirstSeq: r.FirstSeq, LastSeq: r.LastSeq, Bids: r.Bids, Asks: r.Asks}
}

func bookLess(a, b BookRecord) bool {
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	if a.LastSeq != b.LastSeq {
		return a.LastSeq < b.LastSeq
	}
	return a.Snapshot && !b.Snapshot // a diff then the snapshot it leads to
}

func sameLevels(a, b []cc.BookLevel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Price.Cmp(b[i].Price) != 0 || a[i].Size.Cmp(b[i].Size) != 0 {
			return false
		}
	}
	return true
}

func sameBookRecord(a, b BookRecord) bool {
	return a.Time == b.Time && a.Snapshot == b.Snapshot && a.Depth == b.Depth && a.FirstSeq == b.FirstSeq &&
		a.LastSeq == b.LastSeq && sameLevels(a.Bids, b.Bids) && sameLevels(a.Asks, b.Asks)
}

// encodeBookBlock writes recs (sorted) as a block value (unsealed).
func encodeBookBlock(recs []BookRecord) []byte {
	var cols []byte
	prevT := recs[0].Time
	for _, r := range recs {
		cols = binary.AppendVarint(cols, r.Time-prevT)
		prevT = r.Time
	}
	for _, r := range recs {
		var f byte
		if r.Snapshot {
			f = 1
		}
		cols = append(cols, f)
	}
	for _, r := range recs {
		cols = binary.AppendUvarint(cols, uint64(r.Depth))
	}
	for _, r := range recs {
		cols = binary.AppendVarint(cols, r.FirstSeq)
		cols = binary.AppendVarint(cols, r.LastSeq-r.FirstSeq)
	}
	for _, r := range recs {
		cols = binary.AppendUvarint(cols, uint64(len(r.Bids)))
		cols = binary.AppendUvarint(cols, uint64(len(r.Asks)))
	}
	levels := func(f func(l cc.BookLevel) cc.Decimal, delta bool) {
		for _, r := range recs {
			for _, side := range [][]cc.BookLevel{r.Bids, r.Asks} {
				prev := int64(0)
				for _, l := range side {
					d := f(l)
					cols = append(cols, byte(d.Scale))
					if delta {
						cols = binary.AppendVarint(cols, d.Units-prev)
						prev = d.Units
					} else {
						cols = binary.AppendVarint(cols, d.Units)
					}
				}
			}
		}
	}
	levels(func(l cc.BookLevel) cc.Decimal { return l.Price }, true)
	levels(func(l cc.BookLevel) cc.Decimal { return l.Size }, false)
	out := []byte{1}
	out = binary.AppendUvarint(out, uint64(len(recs)))
	out = binary.AppendVarint(out, recs[0].Time)
	out = binary.AppendVarint(out, recs[len(recs)-1].Time)
	return compress(out, cols)
}

// BookBlock describes one block of a symbol's book records.
type BookBlock struct {
	Start       int64 // the minute it holds, Unix µs
	Count       int
	First, Last int64 // the first and last record time, Unix µs
}

func readBookHeader(v []byte) (BookBlock, []byte, error) {
	r := reader{b: v}
	if r.byte() != 1 {
		return BookBlock{}, nil, fmt.Errorf("%w: book block kind", ErrCorrupt)
	}
	n := r.uvarint()
	h := BookBlock{First: r.varint(), Last: r.varint()}
	if r.err != nil || n > 1<<24 || n == 0 {
		return BookBlock{}, nil, fmt.Errorf("%w: book block header", ErrCorrupt)
	}
	h.Count = int(n)
	h.Start = tradeBlockStart(h.First)
	return h, r.b, nil
}

// decodeBookBlock reads a block value (unsealed) of symbol.
func decodeBookBlock(symbol string, v []byte) ([]BookRecord, error) {
	h, z, err := readBookHeader(v)
	if err != nil {
		return nil, err
	}
	cols, err := decompress(z)
	if err != nil {
		return nil, err
	}
	if h.Count > len(cols) {
		return nil, fmt.Errorf("%w: book block of %d records in %d bytes", ErrCorrupt, h.Count, len(cols))
	}
	recs := make([]BookRecord, h.Count)
	r := reader{b: cols}
	t := h.First
	for i := range recs {
		t += r.varint()
		recs[i].Symbol, recs[i].Time = symbol, t
	}
	for i := range recs {
		recs[i].Snapshot = r.byte() == 1
	}
	for i := range recs {
		recs[i].Depth = int(r.uvarint())
	}
	for i := range recs {
		recs[i].FirstSeq = r.varint()
		recs[i].LastSeq = recs[i].FirstSeq + r.varint()
	}
	total := uint64(0)
	for i := range recs {
		nb, na := r.uvarint(), r.uvarint()
		total += nb + na
		if r.err != nil || total > uint64(len(cols)) {
			return nil, fmt.Errorf("%w: book block level counts", ErrCorrupt)
		}
		recs[i].Bids, recs[i].Asks = make([]cc.BookLevel, nb), make([]cc.BookLevel, na)
	}
	levels := func(f func(l *cc.BookLevel) *cc.Decimal, delta bool) {
		for i := range recs {
			for _, side := range [][]cc.BookLevel{recs[i].Bids, recs[i].Asks} {
				prev := int64(0)
				for k := range side {
					d := f(&side[k])
					d.Scale = int8(r.byte())
					d.Units = r.varint()
					if delta {
						d.Units += prev
						prev = d.Units
					}
				}
			}
		}
	}
	levels(func(l *cc.BookLevel) *cc.Decimal { return &l.Price }, true)
	levels(func(l *cc.BookLevel) *cc.Decimal { return &l.Size }, false)
	if r.err != nil || len(r.b) != 0 || recs[len(recs)-1].Time != h.Last {
		return nil, fmt.Errorf("%w: book block columns", ErrCorrupt)
	}
	return recs, nil
}

func bookBucketName(symbol string) string { return string(bucketBooks) + "/" + symbol }

// putBooks merges recs of symbol into the index inside tx and returns
// how many it added (those not already indexed).
func putBooks(tx store, sealed sealing, symbol string, recs []BookRecord) (added int, err error) {
	root, err := tx.CreateBucketIfNotExists(bucketBooks)
	if err != nil {
		return 0, err
	}
	b, err := root.CreateBucketIfNotExists([]byte(symbol))
	if err != nil {
		return 0, err
	}
	recs = append([]BookRecord(nil), recs...)
	sort.SliceStable(recs, func(i, j int) bool { return bookLess(recs[i], recs[j]) })
	name := bookBucketName(symbol)
	for len(recs) > 0 {
		start := tradeBlockStart(recs[0].Time)
		n := sort.Search(len(recs), func(i int) bool { return recs[i].Time >= start+tradeBlockSpan })
		key := timeKey(start)
		var merged []BookRecord
		if v := b.Get(key); v != nil {
			p, err := sealed.open(name, key, v)
			if err != nil {
				return added, err
			}
			if merged, err = decodeBookBlock(symbol, p); err != nil {
				return added, corruptAt(name, key, err)
			}
		}
		for _, r := range recs[:n] {
			dup := false
			for _, o := range merged {
				if o.Time == r.Time && sameBookRecord(o, r) {
					dup = true
					break
				}
			}
			if !dup {
				merged = append(merged, r)
				added++
			}
		}
		sort.SliceStable(merged, func(i, j int) bool { return bookLess(merged[i], merged[j]) })
		if err := sealed.put(b, key, encodeBookBlock(merged)); err != nil {
			return added, err
		}
		recs = recs[n:]
	}
	return added, nil
}

// AddBooks queues book records for the index.
func (c *Cassette) AddBooks(rs ...BookRecord) error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	return w.send(item{kind: itemBooks, books: rs})
}

// commitBooks merges the book records of a batch (in the writer's
// transaction) and returns how many it was given.
func commitBooks(c *Cassette, tx store, batch []item) (int, error) {
	pending := map[string][]BookRecord{}
	var syms []string
	for _, it := range batch {
		for _, r := range it.books {
			if r.Symbol == "" {
				continue
			}
			if _, ok := pending[r.Symbol]; !ok {
				syms = append(syms, r.Symbol)
			}
			pending[r.Symbol] = append(pending[r.Symbol], r)
		}
	}
	n := 0
	for _, sym := range syms {
		if _, err := putBooks(tx, c.sealed, sym, pending[sym]); err != nil {
			return 0, err
		}
		n += len(pending[sym])
	}
	return n, nil
}

// BookSymbols lists the symbols the books index holds, sorted.
func (c *Cassette) BookSymbols() ([]string, error) {
	var syms []string
	err := c.view(func(tx *bolt.Tx) error {
		root := c.root(tx).Bucket(bucketBooks)
		if root == nil {
			return nil
		}
		return root.ForEachBucket(func(k []byte) error {
			syms = append(syms, string(k))
			return nil
		})
	})
	sort.Strings(syms)
	return syms, err
}

// BookRecords returns symbol's indexed book records with Time in
// [start, end) (Unix µs), in time order (at one instant a diff before
// the snapshot it leads to), each block's seal checked.
func (c *Cassette) BookRecords(symbol string, start, end int64) ([]BookRecord, error) {
	var out []BookRecord
	name := bookBucketName(symbol)
	err := c.view(func(tx *bolt.Tx) error {
		b := c.indexBucket(tx, bucketBooks, symbol)
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		from := tradeBlockStart(start)
		if from > start { // wrapped below the least time
			from = math.MinInt64
		}
		k, v := cur.Seek(timeKey(from))
		for ; k != nil && keyTime(k) < end; k, v = cur.Next() {
			if len(k) != 8 {
				return corruptAt(name, k, fmt.Errorf("%w: book block key", ErrCorrupt))
			}
			p, err := c.sealed.open(name, k, v)
			if err != nil {
				return err
			}
			recs, err := decodeBookBlock(symbol, p)
			if err != nil {
				return corruptAt(name, k, err)
			}
			for _, r := range recs {
				if r.Time >= start && r.Time < end {
					out = append(out, r)
				}
			}
		}
		return nil
	})
	return out, err
}

// BookSpan is the span of one symbol's book records.
type BookSpan struct {
	Symbol string `json:"symbol"`
	Count  int    `json:"count"`
	First  int64  `json:"first"` // Unix µs of the first record
	Last   int64  `json:"last"`  // Unix µs of the last record
	Blocks int    `json:"blocks"`
}

// BookSpans summarizes the books index, one span per symbol, from the
// blocks' headers (seals checked).
func (c *Cassette) BookSpans() ([]BookSpan, error) {
	syms, err := c.BookSymbols()
	if err != nil {
		return nil, err
	}
	var out []BookSpan
	for _, sym := range syms {
		sp := BookSpan{Symbol: sym}
		name := bookBucketName(sym)
		err := c.view(func(tx *bolt.Tx) error {
			b := c.indexBucket(tx, bucketBooks, sym)
			return b.ForEach(func(k, v []byte) error {
				p, err := c.sealed.open(name, k, v)
				if err != nil {
					return err
				}
				h, _, err := readBookHeader(p)
				if err != nil || len(k) != 8 || h.Start != keyTime(k) {
					return corruptAt(name, k, fmt.Errorf("%w: book block header", ErrCorrupt))
				}
				if sp.Count == 0 {
					sp.First = h.First
				}
				sp.Count += h.Count
				sp.Blocks++
				sp.Last = h.Last
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

// BookReport is what Bulk.CopyBooks did.
type BookReport struct {
	Given int64 // records read from the sources
	Added int64 // records the index did not hold (equal ones are kept once)
}

// CopyBooks puts src's book records of symbol with times in [start, end)
// (Unix µs) into the bulk write, each block re-sealed as written, a
// record equal to one indexed (same time, kind, ids, depth and levels)
// kept once. It returns how many it read.
func (b *Bulk) CopyBooks(src *Cassette, symbol string, start, end int64) (int, error) {
	if b.done {
		return 0, ErrClosed
	}
	recs, err := src.BookRecords(symbol, start, end)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	added, err := putBooks(b.c.root(b.tx), b.c.sealed, symbol, recs)
	b.report.Books.Given += int64(len(recs))
	b.report.Books.Added += int64(added)
	if err != nil {
		return len(recs), err
	}
	for _, r := range recs {
		ms := r.Time / 1000
		if r.Time < 0 && r.Time%1000 != 0 {
			ms--
		}
		b.first = min(b.first, ms)
		b.last = max(b.last, ms)
	}
	return len(recs), nil
}
