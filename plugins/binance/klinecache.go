package binance

import (
	"sync"

	cc "github.com/candlecassette/candlecassette"
)

// klineCacheBytes bounds the encoded answers one server keeps.
const klineCacheBytes = 16 << 20

// klineKey names one klines answer: the endpoint and the validated query.
type klineKey struct {
	path string
	sym  string
	sp   span
	unit timeUnit
}

// klineCache keeps the encoded answers of settled kline windows — every
// candle closed, and the window unable to grow as time passes (a full
// page from startTime, or one ending before now) — so a load test or a
// CI job repeating a request skips the market and the encoding. A closed
// candle never changes (the cc.Market contract), so a settled window's
// answer is the same bytes every time. Eviction is oldest first.
type klineCache struct {
	mu    sync.RWMutex
	m     map[klineKey][]byte
	order []klineKey
	size  int
}

func (c *klineCache) get(k klineKey) ([]byte, bool) {
	c.mu.RLock()
	b, ok := c.m[k]
	c.mu.RUnlock()
	return b, ok
}

// settled reports whether the answer cs to sp at now can never change.
func settled(sp span, cs []cc.Candle, now int64) bool {
	if len(cs) == 0 || !cs[len(cs)-1].Closed {
		return false
	}
	for i := range cs {
		if !cs[i].Closed {
			return false
		}
	}
	return (sp.hasStart && len(cs) == sp.limit) || (sp.hasEnd && sp.end < now)
}

func (c *klineCache) put(k klineKey, b []byte) {
	if len(b) > klineCacheBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[klineKey][]byte{}
	}
	if _, ok := c.m[k]; ok {
		return
	}
	for c.size+len(b) > klineCacheBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.m[old])
		delete(c.m, old)
	}
	c.m[k] = b
	c.order = append(c.order, k)
	c.size += len(b)
}
