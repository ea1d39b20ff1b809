package replay

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// Report is what a replay session did with its cassette: where answers
// came from, what the cassette lacked (misses), what it held that nobody
// asked for (unused), and the faults injected meanwhile. `replay --report`
// writes it as JSON at exit; a CI job asserts its fixture is exactly used
// with Misses and Unused empty.
type Report struct {
	Cassette string `json:"cassette"`
	OnMiss   OnMiss `json:"on_miss"`
	// Served counts REST answers by source, Streams WS subscriptions
	// (exact: a recorded stream; synthetic: one the cassette lacks).
	Served  Counts `json:"served"`
	Streams Counts `json:"streams"`
	// Misses are the distinct misses with their counts, most frequent
	// first; MissesTotal counts every miss.
	Misses      []Miss `json:"misses"`
	MissesTotal int64  `json:"misses_total"`
	// Unused are the recorded REST requests (by match key) and WS streams
	// (by label) the session never asked for.
	Unused []Unused `json:"unused"`
	// Faults are each exchange's injected faults and limits hit.
	Faults []Faults `json:"faults"`
}

// Unused is a recorded request or stream nobody asked for.
type Unused struct {
	Exchange string `json:"exchange"`
	// Kind is "rest" or "ws".
	Kind string `json:"kind"`
	// Key is the match key of a REST request, "WS " and the stream label
	// of a stream (as in Miss).
	Key string `json:"key"`
	// Recorded counts the interactions recorded under the key, or the
	// frames of the stream.
	Recorded int64 `json:"recorded"`
}

// Faults are what the network simulation and the rate limits did to one
// exchange's traffic, and the damaged cassette reads.
type Faults struct {
	Exchange     string          `json:"exchange"`
	Network      netsim.Stats    `json:"network"`
	RateLimits   ratelimit.Stats `json:"rate_limits"`
	CorruptReads int64           `json:"corrupt_reads"`
}

// Report builds the session's report so far. It reads the cassette's
// match index and connection list (not the bodies), so it is cheap enough
// to build at exit; call it before Close.
func (s *Server) Report() (*Report, error) {
	if s.usage == nil || len(s.tapes) == 0 {
		return nil, errNoTape
	}
	st := s.usage.status()
	rep := &Report{Cassette: s.tapes[0].c.Path(), OnMiss: st.OnMiss, Served: st.Served, Streams: st.Streams,
		Misses: st.Misses, MissesTotal: st.MissesTotal, Unused: []Unused{}}
	for _, t := range s.tapes {
		un, err := t.unused()
		if err != nil {
			return nil, fmt.Errorf("replay: report: %w", err)
		}
		rep.Unused = append(rep.Unused, un...)
	}
	for _, stack := range s.Server.Exchanges() {
		ss := stack.Status()
		rep.Faults = append(rep.Faults, Faults{Exchange: ss.Exchange, Network: ss.Faults, RateLimits: ss.RateLimits, CorruptReads: ss.CorruptReads})
	}
	return rep, nil
}

// unused lists the tape's recorded requests and streams never asked for.
func (t *tape) unused() ([]Unused, error) {
	id := t.c.Meta().Exchange
	keys, err := t.c.MatchCounts()
	if err != nil {
		return nil, err
	}
	t.useMu.Lock()
	rests := append([]*recordedREST(nil), t.rests...)
	streams := make(map[string]int64, len(t.streams))
	for k, v := range t.streams {
		streams[k] = v
	}
	for k := range t.appended {
		delete(keys, k)
	}
	t.useMu.Unlock()
	var out []Unused
	for key, n := range keys {
		used := int64(0)
		for _, h := range rests {
			h.mu.RLock()
			if m := h.byKey[key]; m != nil {
				used += m.seen.Load()
			}
			h.mu.RUnlock()
		}
		if used == 0 {
			out = append(out, Unused{Exchange: id, Kind: "rest", Key: key, Recorded: int64(n)})
		}
	}
	conns, err := t.c.Conns()
	if err != nil {
		return nil, err
	}
	frames := map[string]int64{}
	for _, c := range conns {
		for label, n := range c.Streams {
			if label != "" {
				frames[label] += n
			}
		}
	}
	for label, n := range frames {
		if streams[label] == 0 {
			out = append(out, Unused{Exchange: id, Kind: "ws", Key: missKeyPrefixWS + label, Recorded: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind // rest, then ws
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// Failures are the reasons rep fails a run that asked to fail on misses
// (failOnMiss) or unused recordings (failOnUnused); none means it passes.
func (rep *Report) Failures(failOnMiss, failOnUnused bool) []string {
	var out []string
	if failOnMiss && rep.MissesTotal > 0 {
		first := ""
		if len(rep.Misses) > 0 {
			first = fmt.Sprintf(" (first: %s %s)", rep.Misses[0].Exchange, rep.Misses[0].Key)
		}
		out = append(out, fmt.Sprintf("%d requests missed the cassette, %d distinct%s", rep.MissesTotal, len(rep.Misses), first))
	}
	if failOnUnused && len(rep.Unused) > 0 {
		out = append(out, fmt.Sprintf("%d recorded requests or streams were never used (first: %s %s)", len(rep.Unused), rep.Unused[0].Exchange, rep.Unused[0].Key))
	}
	return out
}

// WriteText writes rep for people, as inspect does: the counts, then each
// miss and each unused recording on a line of its own.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "replay report: %s (on-miss %s)\n", rep.Cassette, rep.OnMiss)
	c := rep.Served
	fmt.Fprintf(&b, "  served:  %d exact, %d index, %d synthetic, %d upstream\n", c.Exact, c.Index, c.Synthetic, c.Upstream)
	c = rep.Streams
	fmt.Fprintf(&b, "  streams: %d recorded, %d synthetic, %d upstream\n", c.Exact, c.Synthetic, c.Upstream)
	fmt.Fprintf(&b, "  misses:  %d (%d distinct)\n", rep.MissesTotal, len(rep.Misses))
	for _, m := range rep.Misses {
		fmt.Fprintf(&b, "    %6dx  %s  %s\n", m.Count, m.Exchange, m.Key)
	}
	fmt.Fprintf(&b, "  unused:  %d\n", len(rep.Unused))
	for _, u := range rep.Unused {
		fmt.Fprintf(&b, "    %6d   %s  %s\n", u.Recorded, u.Exchange, u.Key)
	}
	for _, f := range rep.Faults {
		n := f.Network
		fmt.Fprintf(&b, "  faults %s: %d delayed, %d dropped, %d hung, %d errors, %d ws dropped, %d ws aborted, %d disconnected; limited %d, banned %d; corrupt reads %d\n",
			f.Exchange, n.Delayed, n.Dropped, n.Hung, n.Errors, n.WSDropped, n.WSAborted, n.Disconnected, f.RateLimits.Limited, f.RateLimits.Banned, f.CorruptReads)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
