package cassettes

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
)

// The trades index: the recorded trades of each symbol, by time, deduped
// by trade id, beside the candle index. It lives in the bucket "trades"
// (created by the first write, so files without one simply have none),
// one bucket per symbol, keyed by the start of a minute (Unix µs, as
// timeKey) whose trades the block holds. A block is a small header
// (count, id and time bounds) and the trades column by column, zstd
// compressed: ids and times as deltas, aggregate ids as offsets from the
// id, prices and sizes as scale and units, the flags as bytes. Every block
// is sealed (CRC-32C of key and value) in a sealed cassette, and the meta
// record "trades" (sealed) counts each symbol's trades, which TradeSpans
// holds the buckets to, as the series list does for candles.
//
// Merging: a trade is known by its id within its symbol. A recorded print
// (a trades response, a trade event) is never replaced; a print expanded
// from an aggregate (see TradeSeries.Last) is replaced by the real print
// when one is recorded. An aggregate id learnt from an aggregate is kept
// on the print. Trades with an id of 0 or less (an exchange without
// numeric ids) are not indexed.

var (
	bucketTrades = []byte("trades")
	keyTrades    = []byte("trades") // in the meta bucket
)

// tradeBlockSpan is the time one block spans: a minute, in µs.
const tradeBlockSpan = 60_000_000

// maxExpand bounds how many prints one aggregate is expanded to.
const maxExpand = 100_000

// TradeSeries is what a plugin decoded from one payload: trades of one
// symbol, oldest first. Last is nil for prints; for aggregates it is as
// long as Trades and Trades[i] stands for the prints [Trades[i].ID,
// Last[i]], its Size their total. The index expands such an aggregate to
// its prints at its time, price and side, the size split evenly at a
// scale that holds it exactly (the remainder on the last print), so that
// aggregating them again gives the recorded aggregate.
type TradeSeries struct {
	Symbol string
	Trades []cc.Trade
	Last   []int64
}

// Row flags.
const (
	flagBuyerMaker = 1 << iota
	flagExpanded   // a print made up from an aggregate: its size is a share
	flagAggKnown   // AggID came from an aggregate
)

type tradeRow struct {
	cc.Trade
	flags byte
}

// rows expands s to the rows the index stores.
func (s TradeSeries) rows() []tradeRow {
	out := make([]tradeRow, 0, len(s.Trades))
	for i, t := range s.Trades {
		var f byte
		if t.BuyerMaker {
			f |= flagBuyerMaker
		}
		if s.Last == nil || i >= len(s.Last) {
			if t.ID > 0 {
				out = append(out, tradeRow{t, f})
			}
			continue
		}
		n := s.Last[i] - t.ID + 1
		if t.ID <= 0 || n < 1 || n > maxExpand {
			continue
		}
		f |= flagAggKnown
		if n == 1 {
			out = append(out, tradeRow{t, f})
			continue
		}
		size := t.Size
		for size.Units < n && size.Scale < 18 && size.Units < 1<<59 {
			size = size.Rescale(int(size.Scale) + 1)
		}
		each := size.Units / n
		for k := int64(0); k < n; k++ {
			p := t
			p.ID = t.ID + k
			p.Size = cc.Decimal{Units: each, Scale: size.Scale}
			if k == n-1 {
				p.Size.Units = size.Units - each*(n-1)
			}
			out = append(out, tradeRow{p, f | flagExpanded})
		}
	}
	return out
}

// mergeTrade decides which of an indexed row and a new one with the same
// id is kept (see the merging rules above).
func mergeTrade(old, new tradeRow) tradeRow {
	keep := old
	if old.flags&flagExpanded != 0 && new.flags&flagExpanded == 0 {
		keep = new
	}
	if keep.flags&flagAggKnown == 0 {
		for _, r := range []tradeRow{old, new} {
			if r.flags&flagAggKnown != 0 {
				keep.AggID, keep.flags = r.AggID, keep.flags|flagAggKnown
				break
			}
		}
	}
	return keep
}

func tradeLess(a, b tradeRow) bool {
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	return a.ID < b.ID
}

func tradeBlockStart(t int64) int64 {
	q := t / tradeBlockSpan
	if t < 0 && t%tradeBlockSpan != 0 {
		q--
	}
	return q * tradeBlockSpan
}

// encodeTradeBlock writes rows (sorted) as a block value (unsealed).
func encodeTradeBlock(rows []tradeRow) []byte {
	var cols []byte
	h := blockHeader(rows)
	prevID, prevT, prevP := h.FirstID, h.First, int64(0)
	for _, r := range rows {
		cols = binary.AppendVarint(cols, r.ID-prevID)
		prevID = r.ID
	}
	for _, r := range rows {
		cols = binary.AppendVarint(cols, r.AggID-r.ID)
	}
	for _, r := range rows {
		cols = binary.AppendVarint(cols, r.Time-prevT)
		prevT = r.Time
	}
	for _, r := range rows {
		cols = append(cols, byte(r.Price.Scale))
	}
	for _, r := range rows {
		cols = binary.AppendVarint(cols, r.Price.Units-prevP)
		prevP = r.Price.Units
	}
	for _, r := range rows {
		cols = append(cols, byte(r.Size.Scale))
	}
	for _, r := range rows {
		cols = binary.AppendVarint(cols, r.Size.Units)
	}
	for _, r := range rows {
		cols = append(cols, r.flags)
	}
	out := []byte{1}
	out = binary.AppendUvarint(out, uint64(len(rows)))
	for _, v := range []int64{h.FirstID, h.LastID, h.First, h.Last} {
		out = binary.AppendVarint(out, v)
	}
	return compress(out, cols)
}

// TradeBlock describes one block of a symbol's trades.
type TradeBlock struct {
	Start           int64 // the minute it holds, Unix µs
	Count           int
	FirstID, LastID int64 // the least and greatest id
	First, Last     int64 // the first and last trade time, Unix µs
}

func blockHeader(rows []tradeRow) TradeBlock {
	var h TradeBlock
	for i, r := range rows {
		if i == 0 || r.ID < h.FirstID {
			h.FirstID = r.ID
		}
		if i == 0 || r.ID > h.LastID {
			h.LastID = r.ID
		}
	}
	if len(rows) > 0 {
		h.First, h.Last = rows[0].Time, rows[len(rows)-1].Time
		h.Start = tradeBlockStart(h.First)
	}
	h.Count = len(rows)
	return h
}

// readTradeHeader reads a block's header and returns the compressed
// columns after it.
func readTradeHeader(v []byte) (TradeBlock, []byte, error) {
	r := reader{b: v}
	if r.byte() != 1 {
		return TradeBlock{}, nil, fmt.Errorf("%w: trade block kind", ErrCorrupt)
	}
	n := r.uvarint()
	h := TradeBlock{FirstID: r.varint(), LastID: r.varint(), First: r.varint(), Last: r.varint()}
	if r.err != nil || n > 1<<24 {
		return TradeBlock{}, nil, fmt.Errorf("%w: trade block header", ErrCorrupt)
	}
	h.Count = int(n)
	h.Start = tradeBlockStart(h.First)
	return h, r.b, nil
}

// decodeTradeBlock reads a block value (unsealed).
func decodeTradeBlock(v []byte) ([]tradeRow, error) {
	h, z, err := readTradeHeader(v)
	if err != nil {
		return nil, err
	}
	cols, err := decompress(z)
	if err != nil {
		return nil, err
	}
	n := h.Count
	if n > len(cols) {
		return nil, fmt.Errorf("%w: trade block of %d rows in %d bytes", ErrCorrupt, n, len(cols))
	}
	rows := make([]tradeRow, n)
	r := reader{b: cols}
	id := h.FirstID // ids are deltas from the least
	for i := range rows {
		id += r.varint()
		rows[i].ID = id
	}
	for i := range rows {
		rows[i].AggID = rows[i].ID + r.varint()
	}
	t := h.First
	for i := range rows {
		t += r.varint()
		rows[i].Time = t
	}
	for i := range rows {
		rows[i].Price.Scale = int8(r.byte())
	}
	p := int64(0)
	for i := range rows {
		p += r.varint()
		rows[i].Price.Units = p
	}
	for i := range rows {
		rows[i].Size.Scale = int8(r.byte())
	}
	for i := range rows {
		rows[i].Size.Units = r.varint()
	}
	for i := range rows {
		rows[i].flags = r.byte()
		rows[i].BuyerMaker = rows[i].flags&flagBuyerMaker != 0
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, fmt.Errorf("%w: trade block columns", ErrCorrupt)
	}
	if n > 0 && (rows[0].Time != h.First || rows[n-1].Time != h.Last) {
		return nil, fmt.Errorf("%w: trade block times", ErrCorrupt)
	}
	return rows, nil
}

// tradeCounts is the decoded keyTrades record: trades per symbol.
type tradeCounts map[string]int64

func readTradeCounts(tx store) (tradeCounts, error) {
	v := tx.Bucket(bucketMeta).Get(keyTrades)
	if v == nil {
		return tradeCounts{}, nil
	}
	p, err := sealing(true).open(string(bucketMeta), keyTrades, v)
	if err != nil {
		return nil, err
	}
	var l tradeCounts
	if err := json.Unmarshal(p, &l); err != nil {
		return nil, corruptAt(string(bucketMeta), keyTrades, fmt.Errorf("%w: trades list: %v", ErrCorrupt, err))
	}
	return l, nil
}

func putTradeCounts(tx store, l tradeCounts) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return sealing(true).put(tx.Bucket(bucketMeta), keyTrades, raw)
}

func tradeBucketName(symbol string) string { return string(bucketTrades) + "/" + symbol }

// putTrades merges rows of symbol into the index inside tx and returns how
// many more trades it holds.
func putTrades(tx store, sealed sealing, symbol string, rows []tradeRow, merge func(old, new tradeRow) tradeRow) (added int64, err error) {
	if symbol == "" || len(rows) == 0 {
		return 0, nil
	}
	root, err := tx.CreateBucketIfNotExists(bucketTrades)
	if err != nil {
		return 0, err
	}
	b, err := root.CreateBucketIfNotExists([]byte(symbol))
	if err != nil {
		return 0, err
	}
	rows = append([]tradeRow(nil), rows...)
	sort.SliceStable(rows, func(i, j int) bool { return tradeLess(rows[i], rows[j]) })
	for len(rows) > 0 {
		start := tradeBlockStart(rows[0].Time)
		n := sort.Search(len(rows), func(i int) bool { return rows[i].Time >= start+tradeBlockSpan })
		key := timeKey(start)
		byID := map[int64]tradeRow{}
		var old int
		if v := b.Get(key); v != nil {
			p, err := sealed.open(tradeBucketName(symbol), key, v)
			if err != nil {
				return 0, err
			}
			olds, err := decodeTradeBlock(p)
			if err != nil {
				return 0, corruptAt(tradeBucketName(symbol), key, err)
			}
			old = len(olds)
			for _, r := range olds {
				byID[r.ID] = r
			}
		}
		for _, r := range rows[:n] {
			if o, ok := byID[r.ID]; ok {
				r = merge(o, r)
			}
			byID[r.ID] = r
		}
		merged := make([]tradeRow, 0, len(byID))
		for _, r := range byID {
			merged = append(merged, r)
		}
		sort.Slice(merged, func(i, j int) bool { return tradeLess(merged[i], merged[j]) })
		if err := sealed.put(b, key, encodeTradeBlock(merged)); err != nil {
			return 0, err
		}
		added += int64(len(merged) - old)
		rows = rows[n:]
	}
	return added, nil
}

// AddTrades queues trades for the index.
func (c *Cassette) AddTrades(ts ...TradeSeries) error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	return w.send(item{kind: itemTrades, trades: ts})
}

// commitTrades merges the trades of a batch (in the writer's transaction).
func commitTrades(c *Cassette, tx store, batch []item) (int, error) {
	pending := map[string][]tradeRow{}
	var syms []string
	for _, it := range batch {
		for _, s := range it.trades {
			rows := s.rows()
			if s.Symbol == "" || len(rows) == 0 {
				continue
			}
			if _, ok := pending[s.Symbol]; !ok {
				syms = append(syms, s.Symbol)
			}
			pending[s.Symbol] = append(pending[s.Symbol], rows...)
		}
	}
	if len(syms) == 0 {
		return 0, nil
	}
	list, err := readTradeCounts(tx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sym := range syms {
		added, err := putTrades(tx, c.sealed, sym, pending[sym], mergeTrade)
		if err != nil {
			return 0, err
		}
		list[sym] += added
		n += len(pending[sym])
	}
	return n, putTradeCounts(tx, list)
}

// TradeSpan summarizes one symbol's indexed trades.
type TradeSpan struct {
	Symbol  string `json:"symbol"`
	Count   int64  `json:"count"`
	FirstID int64  `json:"first_id"`
	LastID  int64  `json:"last_id"`
	First   int64  `json:"first"` // Unix µs of the first trade
	Last    int64  `json:"last"`  // Unix µs of the last trade
	Blocks  int    `json:"blocks"`
}

// TradeBlocks lists the blocks of symbol's trades, oldest first, from
// their headers (each block's seal checked, nothing decompressed).
func (c *Cassette) TradeBlocks(symbol string) ([]TradeBlock, error) {
	var out []TradeBlock
	err := c.view(func(tx *bolt.Tx) error {
		b := c.indexBucket(tx, bucketTrades, symbol)
		if b == nil {
			return nil
		}
		name := tradeBucketName(symbol)
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return corruptAt(name, k, fmt.Errorf("%w: trade block key", ErrCorrupt))
			}
			p, err := c.sealed.open(name, k, v)
			if err != nil {
				return err
			}
			h, _, err := readTradeHeader(p)
			if err != nil || h.Start != keyTime(k) {
				return corruptAt(name, k, fmt.Errorf("%w: trade block header", ErrCorrupt))
			}
			out = append(out, h)
			return nil
		})
	})
	return out, err
}

// TradeBlockRows decodes the block of symbol's trades that starts at
// start (a TradeBlock's Start): its trades by time, then id.
func (c *Cassette) TradeBlockRows(symbol string, start int64) ([]cc.Trade, error) {
	rows, err := c.tradeRows(symbol, start)
	out := make([]cc.Trade, len(rows))
	for i, r := range rows {
		out[i] = r.Trade
	}
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// CopyTrades puts src's trades of symbol with times in [start, end) (Unix
// µs) into the bulk write as PutTrades does, keeping what each row is (a
// recorded print, or one expanded from an aggregate). It returns how many
// it read.
func (b *Bulk) CopyTrades(src *Cassette, symbol string, start, end int64) (int, error) {
	blocks, err := src.TradeBlocks(symbol)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, bl := range blocks {
		if bl.Last < start || bl.First >= end {
			continue
		}
		rows, err := src.tradeRows(symbol, bl.Start)
		if err != nil {
			return n, err
		}
		kept := rows[:0]
		for _, r := range rows {
			if r.Time >= start && r.Time < end {
				kept = append(kept, r)
			}
		}
		n += len(kept)
		if err := b.putRows(symbol, kept); err != nil {
			return n, err
		}
	}
	return n, nil
}

// tradeRows decodes one block with its rows' flags.
func (c *Cassette) tradeRows(symbol string, start int64) ([]tradeRow, error) {
	var out []tradeRow
	err := c.view(func(tx *bolt.Tx) error {
		b := c.indexBucket(tx, bucketTrades, symbol)
		if b == nil {
			return nil
		}
		key := timeKey(start)
		v := b.Get(key)
		if v == nil {
			return nil
		}
		name := tradeBucketName(symbol)
		p, err := c.sealed.open(name, key, v)
		if err != nil {
			return err
		}
		rows, err := decodeTradeBlock(p)
		if err != nil {
			return corruptAt(name, key, err)
		}
		out = rows
		return nil
	})
	return out, err
}

// IndexedTrades returns symbol's indexed trades with Time in [start, end)
// (Unix µs), by time, then id.
func (c *Cassette) IndexedTrades(symbol string, start, end int64) ([]cc.Trade, error) {
	blocks, err := c.TradeBlocks(symbol)
	if err != nil {
		return nil, err
	}
	var out []cc.Trade
	for _, bl := range blocks {
		if bl.Last < start || bl.First >= end {
			continue
		}
		ts, err := c.TradeBlockRows(symbol, bl.Start)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if t.Time >= start && t.Time < end {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// TradeSpans summarizes the trades index: one span per symbol, sorted by
// symbol. In a sealed cassette each symbol's count must be the one the
// sealed trades list holds.
func (c *Cassette) TradeSpans() ([]TradeSpan, error) {
	var syms []string
	var list tradeCounts
	err := c.view(func(tx *bolt.Tx) error {
		root := c.root(tx).Bucket(bucketTrades)
		var err error
		if c.sealed {
			if list, err = readTradeCounts(c.root(tx)); err != nil {
				return err
			}
		}
		if root == nil {
			return nil
		}
		return root.ForEachBucket(func(k []byte) error {
			syms = append(syms, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if bool(c.sealed) && len(list) != len(syms) {
		return nil, corruptAt(string(bucketMeta), keyTrades, fmt.Errorf("%w: the trades list names %d symbols, the index holds %d", ErrCorrupt, len(list), len(syms)))
	}
	sort.Strings(syms)
	out := make([]TradeSpan, 0, len(syms))
	for _, sym := range syms {
		blocks, err := c.TradeBlocks(sym)
		if err != nil {
			return nil, err
		}
		sp := TradeSpan{Symbol: sym, Blocks: len(blocks)}
		for i, bl := range blocks {
			sp.Count += int64(bl.Count)
			if i == 0 || bl.FirstID < sp.FirstID {
				sp.FirstID = bl.FirstID
			}
			if i == 0 || bl.LastID > sp.LastID {
				sp.LastID = bl.LastID
			}
			if i == 0 {
				sp.First = bl.First
			}
			sp.Last = bl.Last
		}
		if want, ok := list[sym]; bool(c.sealed) && (!ok || want != sp.Count) {
			return nil, corruptAt(tradeBucketName(sym), nil, fmt.Errorf("%w: the trades list counts %d trades, the index holds %d", ErrCorrupt, want, sp.Count))
		}
		out = append(out, sp)
	}
	return out, nil
}

// TradeReport counts what a bulk import did with trades (see BulkReport).
type TradeReport struct {
	Given    int64 // prints given (aggregates expanded)
	Added    int64 // ids the index did not hold
	Same     int64 // given prints equal to the indexed one
	Replaced int64 // indexed prints replaced: expanded ones by real ones, or differing ones under Overwrite
	// Conflicts counts given prints that differ from an indexed one of
	// the same id; Examples holds the first few (old, new).
	Conflicts int64
	Examples  [][2]cc.Trade
}

func sameTrade(a, b cc.Trade) bool {
	return a.ID == b.ID && a.Time == b.Time && a.BuyerMaker == b.BuyerMaker && a.Price.Cmp(b.Price) == 0 && a.Size.Cmp(b.Size) == 0
}

// PutTrades merges s into the trades index inside the bulk write. A print
// whose id the index holds is compared: equal ones are fine; a differing
// one is a conflict, kept as indexed unless Overwrite. A real print
// replaces one expanded from an aggregate, and an aggregate's prints
// never replace real ones (they only lend them their aggregate id).
func (b *Bulk) PutTrades(s TradeSeries) error {
	if b.done {
		return ErrClosed
	}
	if s.Symbol == "" {
		return fmt.Errorf("cassettes: bulk put trades: no symbol")
	}
	return b.putRows(s.Symbol, s.rows())
}

// putRows is PutTrades of rows.
func (b *Bulk) putRows(symbol string, rows []tradeRow) error {
	if len(rows) == 0 {
		return nil
	}
	if b.trades == nil {
		var err error
		if b.trades, err = readTradeCounts(b.c.root(b.tx)); err != nil {
			return err
		}
	}
	r := &b.report.Trades
	r.Given += int64(len(rows))
	merge := func(old, new tradeRow) tradeRow {
		oldExp, newExp := old.flags&flagExpanded != 0, new.flags&flagExpanded != 0
		switch {
		case sameTrade(old.Trade, new.Trade) || (newExp && !oldExp):
			r.Same++
			return mergeTrade(old, new)
		case oldExp && !newExp:
			r.Replaced++
			return mergeTrade(old, new)
		}
		r.Conflicts++
		if len(r.Examples) < b.opts.MaxExamples {
			r.Examples = append(r.Examples, [2]cc.Trade{old.Trade, new.Trade})
		}
		if b.opts.Overwrite {
			r.Replaced++
			return new
		}
		return old
	}
	added, err := putTrades(b.c.root(b.tx), b.c.sealed, symbol, rows, merge)
	if err != nil {
		return err
	}
	r.Added += added
	b.trades[symbol] += added
	for _, t := range rows {
		b.first = min(b.first, t.Millis())
		b.last = max(b.last, t.Millis())
	}
	return nil
}

// indexBucket is symbol's bucket in the index bucket index (trades,
// books), nil when either is missing.
func (c *Cassette) indexBucket(tx *bolt.Tx, index []byte, symbol string) *bolt.Bucket {
	root := c.root(tx).Bucket(index)
	if root == nil {
		return nil
	}
	return root.Bucket([]byte(symbol))
}
