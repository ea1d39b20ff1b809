package synth

import "sync"

// dayCacheBlocks bounds the 4-day blocks of fixed days a Market keeps
// (about 2.5 MB: 45 years of one symbol's days).
const dayCacheBlocks = 4096

// blockDays is the fan of dayLevel: the days of a 4-day block.
const blockDays = 4

// dayCache keeps the fixed days (ticks, lots and the float state their
// splits start from) of the 4-day blocks last split, per symbol. A day is
// a pure function of its symbol and index, but fixing one costs two
// splits (the 4-day block's, and the dry split pathVWAP aims its VWAP
// with), most of the cost of a 1d or 1w candle: a window of days asked
// again, or days shared by windows of finer candles, reuse them.
// Eviction is oldest first.
type dayCache struct {
	mu   sync.RWMutex
	m    map[dayBlockKey]*[blockDays]node
	ring [dayCacheBlocks]dayBlockKey // insertion order
	next int                         // the ring's oldest entry, once full
}

type dayBlockKey struct {
	s   *symbol
	blk int64
}

// load copies block blk's days of s into days and reports whether they
// were there.
func (c *dayCache) load(s *symbol, blk int64, days *[maxFan]node) bool {
	c.mu.RLock()
	d, ok := c.m[dayBlockKey{s, blk}]
	if ok {
		copy(days[:blockDays], d[:])
	}
	c.mu.RUnlock()
	return ok
}

// store keeps days as block blk's days of s.
func (c *dayCache) store(s *symbol, blk int64, days *[maxFan]node) {
	k := dayBlockKey{s, blk}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[dayBlockKey]*[blockDays]node)
	}
	if _, ok := c.m[k]; ok {
		return
	}
	var d *[blockDays]node
	if len(c.m) == dayCacheBlocks {
		old := c.ring[c.next]
		d = c.m[old]
		delete(c.m, old)
	} else {
		d = new([blockDays]node)
	}
	copy(d[:], days[:blockDays])
	c.m[k] = d
	c.ring[c.next] = k
	c.next = (c.next + 1) % dayCacheBlocks
}

// reset forgets every block (a symbol's shift changed: see Market.pin).
func (c *dayCache) reset() {
	c.mu.Lock()
	c.m = nil
	c.next = 0
	c.mu.Unlock()
}
