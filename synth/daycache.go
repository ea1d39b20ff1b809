package synth

import "sync"

// dayCacheBlocks is the number of 4-day blocks of fixed days a Market
// keeps (1.2 MB, allocated on first use: 22 years of one symbol's days).
// A power of two.
const dayCacheBlocks = 2048

// blockDays is the fan of dayLevel: the days of a 4-day block.
const blockDays = 4

// dayCache keeps the fixed days (ticks, lots and the float state their
// splits start from) of the 4-day blocks last split. A day is a pure
// function of its symbol and index, but fixing one costs two splits (the
// 4-day block's, and the dry split pathVWAP aims its VWAP with): most of
// the cost of a 1d or 1w candle. A window of days asked again, or days
// shared by windows of finer candles, copy them. Each block has one slot
// (its index plus the symbol's key, modulo the size), so consecutive
// blocks of a symbol never evict each other and storing allocates
// nothing.
type dayCache struct {
	mu    sync.RWMutex
	slots *[dayCacheBlocks]dayBlock
}

type dayBlock struct {
	s    *symbol // nil: empty
	blk  int64
	days [blockDays]node
}

func dayCacheSlot(s *symbol, blk int64) int {
	return int((uint64(blk) + s.key) & (dayCacheBlocks - 1))
}

// load copies block blk's days of s into days and reports whether they
// were there.
func (c *dayCache) load(s *symbol, blk int64, days *[maxFan]node) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.slots == nil {
		return false
	}
	b := &c.slots[dayCacheSlot(s, blk)]
	if b.s != s || b.blk != blk {
		return false
	}
	copy(days[:blockDays], b.days[:])
	return true
}

// store keeps days as block blk's days of s, in place of the block that
// had its slot.
func (c *dayCache) store(s *symbol, blk int64, days *[maxFan]node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.slots == nil {
		c.slots = new([dayCacheBlocks]dayBlock)
	}
	b := &c.slots[dayCacheSlot(s, blk)]
	b.s, b.blk = s, blk
	copy(b.days[:], days[:blockDays])
}

// reset forgets every block (a symbol's shift changed: see Market.pin).
func (c *dayCache) reset() {
	c.mu.Lock()
	c.slots = nil
	c.mu.Unlock()
}
