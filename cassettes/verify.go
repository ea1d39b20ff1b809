package cassettes

import (
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
)

// Verified is what Verify read and checked.
type Verified struct {
	Format int `json:"format"`
	// Sealed: the values carry checksums, and each was checked.
	Sealed bool `json:"sealed"`
	// Pages is the number of bbolt pages tx.Check walked.
	Pages        int64 `json:"pages"`
	Interactions int   `json:"interactions"`
	MatchKeys    int   `json:"match_keys"`
	Conns        int   `json:"conns"`
	FrameChunks  int   `json:"frame_chunks"`
	Frames       int64 `json:"frames"`
	Series       int   `json:"series"`
	Blocks       int   `json:"blocks"`
	Candles      int   `json:"candles"`
	TradeBlocks  int   `json:"trade_blocks,omitempty"`
	Trades       int64 `json:"trades,omitempty"`
	BookBlocks   int   `json:"book_blocks,omitempty"`
	BookRecords  int   `json:"book_records,omitempty"`
}

// Verify reads and checks every value of the cassette: bbolt's own
// consistency check (tx.Check: every page reachable once, the free list
// consistent), then every interaction (body templates rebuilt), match
// entry, connection, frame chunk and candle block decoded, seals checked
// where the format has them, and the totals of the meta record and the
// series list held to what is stored. The first damage found is returned,
// a *CorruptError naming its bucket and key where it has one.
//
// An exchange of a format-4 file is checked with the whole file's pages;
// File.Verify checks the pages once and every exchange.
func (c *Cassette) Verify() (Verified, error) {
	v := Verified{Format: c.meta.Format, Sealed: bool(c.sealed)}
	pages, err := c.checkFile()
	v.Pages = pages
	if err != nil {
		return v, err
	}
	return c.verifyValues(v)
}

// checkFile checks the file's bbolt meta pages (sealed formats) and runs
// bbolt's consistency check, returning the pages it walked.
func (c *Cassette) checkFile() (pages int64, err error) {
	if c.sealed {
		if err := checkMetaFile(c.path); err != nil {
			return 0, err
		}
	}
	err = c.view(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drained: the check runs on a goroutine of its own
			if first == nil {
				first = fmt.Errorf("%w: bbolt consistency check: %v", ErrCorrupt, err)
			}
		}
		if first != nil {
			return first
		}
		pages = int64(tx.Size()) / int64(c.db.Info().PageSize)
		return nil
	})
	return pages, err
}

// verifyValues is Verify after the file checks: every value of c.
func (c *Cassette) verifyValues(v Verified) (Verified, error) {
	meta := c.Meta()
	if err := c.Interactions(func(*Interaction) error { v.Interactions++; return nil }); err != nil {
		return v, err
	}
	err := c.view(func(tx *bolt.Tx) error {
		ixs := c.root(tx).Bucket(bucketInteractions)
		return c.root(tx).Bucket(bucketMatch).ForEach(func(k, val []byte) error {
			if _, err := c.sealed.open(string(bucketMatch), k, val); err != nil {
				return err
			}
			if len(k) < 9 || k[len(k)-9] != 0 || ixs.Get(k[len(k)-8:]) == nil {
				return corruptAt(string(bucketMatch), k, fmt.Errorf("%w: match entry names no interaction", ErrCorrupt))
			}
			v.MatchKeys++
			return nil
		})
	})
	if err != nil {
		return v, err
	}
	conns, err := c.Conns()
	if err != nil {
		return v, err
	}
	v.Conns = len(conns)
	known := map[uint64]bool{}
	for _, conn := range conns {
		known[conn.ID] = true
		if err := c.Frames(conn.ID, func(Frame) error { v.Frames++; return nil }); err != nil {
			return v, err
		}
	}
	err = c.view(func(tx *bolt.Tx) error {
		return c.root(tx).Bucket(bucketFrames).ForEach(func(k, val []byte) error {
			v.FrameChunks++
			if len(k) != 16 || !known[keyU64(k)] {
				return corruptAt(string(bucketFrames), k, fmt.Errorf("%w: frames of no recorded connection", ErrCorrupt))
			}
			return nil
		})
	})
	if err != nil {
		return v, err
	}
	series, err := c.Series()
	if err != nil {
		return v, err
	}
	v.Series = len(series)
	for _, k := range series {
		if _, err := c.Coverage(k.Symbol, k.Interval); err != nil {
			return v, err
		}
		err := c.eachBlock(k, minTime, maxTime, func(cs []cc.Candle) bool {
			v.Blocks++
			v.Candles += len(cs)
			return true
		})
		if err != nil {
			return v, err
		}
	}
	spans, err := c.TradeSpans()
	if err != nil {
		return v, err
	}
	for _, sp := range spans {
		blocks, err := c.TradeBlocks(sp.Symbol)
		if err != nil {
			return v, err
		}
		for _, bl := range blocks {
			ts, err := c.TradeBlockRows(sp.Symbol, bl.Start)
			if err != nil {
				return v, err
			}
			if len(ts) != bl.Count {
				return v, corruptAt(tradeBucketName(sp.Symbol), timeKey(bl.Start), fmt.Errorf("%w: trade block header counts %d, holds %d", ErrCorrupt, bl.Count, len(ts)))
			}
			v.TradeBlocks++
			v.Trades += int64(len(ts))
		}
	}
	bspans, err := c.BookSpans()
	if err != nil {
		return v, err
	}
	for _, sp := range bspans {
		recs, err := c.BookRecords(sp.Symbol, math.MinInt64, math.MaxInt64) // every block decoded
		if err != nil {
			return v, err
		}
		if len(recs) != sp.Count {
			return v, corruptAt(bookBucketName(sp.Symbol), nil, fmt.Errorf("%w: book block headers count %d records, the blocks hold %d", ErrCorrupt, sp.Count, len(recs)))
		}
		v.BookBlocks += sp.Blocks
		v.BookRecords += len(recs)
	}
	if c.sealed {
		// The totals the meta record keeps, against what is stored.
		switch {
		case int64(v.Interactions) != meta.Interactions || int64(v.MatchKeys) != meta.Interactions:
			err = fmt.Errorf("%w: meta counts %d interactions, %d are stored with %d match entries", ErrCorrupt, meta.Interactions, v.Interactions, v.MatchKeys)
		case int64(v.Conns) != meta.Conns || v.Frames != meta.Frames:
			err = fmt.Errorf("%w: meta counts %d connections and %d frames, %d and %d are stored", ErrCorrupt, meta.Conns, meta.Frames, v.Conns, v.Frames)
		}
		if err != nil {
			return v, corruptAt(c.prefix+string(bucketMeta), keyMeta, err)
		}
	}
	return v, nil
}

// FileVerified is what File.Verify read and checked: the file's pages
// once, then every exchange.
type FileVerified struct {
	Format int   `json:"format"`
	Sealed bool  `json:"sealed"`
	Pages  int64 `json:"pages"`
	// Exchanges are the exchanges' checks, in the file's order.
	Exchanges []ExchangeVerified `json:"exchanges"`
}

// ExchangeVerified is one exchange's part of FileVerified.
type ExchangeVerified struct {
	Exchange string `json:"exchange"`
	Verified
}

// Verify reads and checks the whole file: its pages once (as
// Cassette.Verify does), then every value of every exchange. The first
// damage found is returned, naming the exchange's bucket path.
func (f *File) Verify() (FileVerified, error) {
	fv := FileVerified{Format: f.Meta().Format, Sealed: f.Meta().Format >= SealedFormat}
	ids := f.Exchanges()
	for i, id := range ids {
		c, err := f.Exchange(id, nil)
		if err != nil {
			return fv, err
		}
		v := Verified{Format: c.meta.Format, Sealed: bool(c.sealed)}
		if i == 0 {
			if fv.Pages, err = c.checkFile(); err != nil {
				return fv, err
			}
		}
		v.Pages = fv.Pages
		v, err = c.verifyValues(v)
		fv.Exchanges = append(fv.Exchanges, ExchangeVerified{Exchange: id, Verified: v})
		if err != nil {
			return fv, fmt.Errorf("%s: %w", id, err)
		}
	}
	if len(ids) == 0 && fv.Sealed {
		if err := checkMetaFile(f.path); err != nil {
			return fv, err
		}
	}
	return fv, nil
}
