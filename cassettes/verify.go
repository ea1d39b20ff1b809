package cassettes

import (
	"fmt"

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
}

// Verify reads and checks every value of the cassette: bbolt's own
// consistency check (tx.Check: every page reachable once, the free list
// consistent), then every interaction (body templates rebuilt), match
// entry, connection, frame chunk and candle block decoded, seals checked
// where the format has them, and the totals of the meta record and the
// series list held to what is stored. The first damage found is returned,
// a *CorruptError naming its bucket and key where it has one.
func (c *Cassette) Verify() (Verified, error) {
	v := Verified{Format: c.meta.Format, Sealed: bool(c.sealed)}
	if c.sealed {
		if err := checkMetaFile(c.path); err != nil {
			return v, err
		}
	}
	err := c.view(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drained: the check runs on a goroutine of its own
			if first == nil {
				first = fmt.Errorf("%w: bbolt consistency check: %v", ErrCorrupt, err)
			}
		}
		if first != nil {
			return first
		}
		v.Pages = int64(tx.Size()) / int64(c.db.Info().PageSize)
		return nil
	})
	if err != nil {
		return v, err
	}
	meta := c.Meta()
	if err := c.Interactions(func(*Interaction) error { v.Interactions++; return nil }); err != nil {
		return v, err
	}
	err = c.view(func(tx *bolt.Tx) error {
		ixs := tx.Bucket(bucketInteractions)
		return tx.Bucket(bucketMatch).ForEach(func(k, val []byte) error {
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
		return tx.Bucket(bucketFrames).ForEach(func(k, val []byte) error {
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
	if c.sealed {
		// The totals the meta record keeps, against what is stored.
		switch {
		case int64(v.Interactions) != meta.Interactions || int64(v.MatchKeys) != meta.Interactions:
			err = fmt.Errorf("%w: meta counts %d interactions, %d are stored with %d match entries", ErrCorrupt, meta.Interactions, v.Interactions, v.MatchKeys)
		case int64(v.Conns) != meta.Conns || v.Frames != meta.Frames:
			err = fmt.Errorf("%w: meta counts %d connections and %d frames, %d and %d are stored", ErrCorrupt, meta.Conns, meta.Frames, v.Conns, v.Frames)
		}
		if err != nil {
			return v, corruptAt(string(bucketMeta), keyMeta, err)
		}
	}
	return v, nil
}
