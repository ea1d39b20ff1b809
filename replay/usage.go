package replay

import (
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/candlecassette/candlecassette/serve"
)

// usage counts what a Server answered from where, and its misses: what
// /__admin/status shows under "replay" and the Report is built from. The
// hits are counted on the request path with atomics; a miss takes a lock
// (misses are rare, and each distinct one is logged once).
type usage struct {
	logger *slog.Logger
	mode   OnMiss

	served  [nSources]atomic.Int64 // REST answers by source
	streams [nSources]atomic.Int64 // WS subscriptions by source

	mu       sync.Mutex
	misses   map[missID]int64
	overflow int64 // misses of keys beyond maxMissKeys
}

// maxMissKeys bounds the distinct miss keys kept: a client walking ever
// new windows must not grow memory without end.
const maxMissKeys = 10_000

// missID is one distinct miss: exchange, "rest" or "ws", and key.
type missID struct{ exchange, kind, key string }

// The sources in the order they are counted and reported.
var sources = [...]serve.Source{serve.SourceExact, serve.SourceIndex, serve.SourceSynthetic, serve.SourceUpstream}

const nSources = len(sources)

func sourceIndex(s serve.Source) int {
	for i, x := range sources {
		if x == s {
			return i
		}
	}
	return int(nSources) - 2 // synthetic
}

func newUsage(logger *slog.Logger, mode OnMiss) *usage {
	return &usage{logger: logger, mode: mode, misses: map[missID]int64{}}
}

// hit counts a REST answer from src.
func (u *usage) hit(src serve.Source) { u.served[sourceIndex(src)].Add(1) }

// stream counts a WS subscription served from src.
func (u *usage) stream(src serve.Source) { u.streams[sourceIndex(src)].Add(1) }

// miss counts a miss of exchange's kind ("rest", "ws") under key, logging
// the first of each key.
func (u *usage) miss(exchange, kind, key string) {
	id := missID{exchange, kind, key}
	u.mu.Lock()
	n, seen := u.misses[id]
	switch {
	case seen:
		u.misses[id] = n + 1
	case len(u.misses) < maxMissKeys:
		u.misses[id] = 1
	default:
		u.overflow++
	}
	u.mu.Unlock()
	if !seen {
		u.logger.Warn("replay: miss: the cassette has no answer", "exchange", exchange, "kind", kind, "key", key, "on_miss", string(u.mode))
	}
}

// Counts are answers or subscriptions by source.
type Counts struct {
	Exact     int64 `json:"exact"`
	Index     int64 `json:"index"`
	Synthetic int64 `json:"synthetic"`
	Upstream  int64 `json:"upstream"`
}

func countsOf(a *[nSources]atomic.Int64) Counts {
	return Counts{Exact: a[0].Load(), Index: a[1].Load(), Synthetic: a[2].Load(), Upstream: a[3].Load()}
}

// Miss is one distinct miss and how often it happened.
type Miss struct {
	Exchange string `json:"exchange"`
	// Kind is "rest" or "ws".
	Kind string `json:"kind"`
	// Key is the normalized request: the cassette's match key of a REST
	// request ("GET /api/v3/klines?interval=1m&symbol=BTCUSDT"), "WS "
	// and the stream label for a subscription ("WS BTCUSDT 1m").
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// UsageStatus is what /__admin/status shows under "replay".
type UsageStatus struct {
	OnMiss OnMiss `json:"on_miss"`
	// Served counts REST answers by source, Streams WS subscriptions.
	Served  Counts `json:"served"`
	Streams Counts `json:"streams"`
	// Misses are the distinct misses, most frequent first; MissesTotal
	// counts every miss, those beyond the distinct keys kept included.
	Misses      []Miss `json:"misses"`
	MissesTotal int64  `json:"misses_total"`
}

func (u *usage) status() UsageStatus {
	st := UsageStatus{OnMiss: u.mode, Served: countsOf(&u.served), Streams: countsOf(&u.streams), Misses: []Miss{}}
	u.mu.Lock()
	for id, n := range u.misses {
		st.Misses = append(st.Misses, Miss{Exchange: id.exchange, Kind: id.kind, Key: id.key, Count: n})
		st.MissesTotal += n
	}
	st.MissesTotal += u.overflow
	u.mu.Unlock()
	sort.Slice(st.Misses, func(i, j int) bool {
		a, b := st.Misses[i], st.Misses[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Exchange != b.Exchange {
			return a.Exchange < b.Exchange
		}
		return a.Key < b.Key
	})
	return st
}
