package plugins

import (
	"sync"
	"sync/atomic"
)

// Hub tracks the live WS sessions of one server so the admin API can count
// and close them. The zero value is not usable; call NewHub.
type Hub struct {
	mu       sync.Mutex
	sessions map[*Session]struct{}
	opened   atomic.Int64
	sent     atomic.Int64
	dropped  atomic.Int64
	received atomic.Int64
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{sessions: map[*Session]struct{}{}} }

// HubStats is a snapshot of a hub's counters.
type HubStats struct {
	Connections      int   `json:"connections"`
	Subscriptions    int   `json:"subscriptions"`
	TotalConnections int64 `json:"total_connections"`
	MessagesSent     int64 `json:"messages_sent"`
	MessagesDropped  int64 `json:"messages_dropped"`
	MessagesReceived int64 `json:"messages_received"`
}

func (h *Hub) add(s *Session) {
	h.mu.Lock()
	h.sessions[s] = struct{}{}
	h.mu.Unlock()
	h.opened.Add(1)
}

func (h *Hub) remove(s *Session) {
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
}

func (h *Hub) snapshot() []*Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Session, 0, len(h.sessions))
	for s := range h.sessions {
		out = append(out, s)
	}
	return out
}

// Stats returns the current counters.
func (h *Hub) Stats() HubStats {
	st := HubStats{
		TotalConnections: h.opened.Load(),
		MessagesSent:     h.sent.Load(),
		MessagesDropped:  h.dropped.Load(),
		MessagesReceived: h.received.Load(),
	}
	for _, s := range h.snapshot() {
		st.Connections++
		st.Subscriptions += len(s.Subscriptions())
	}
	return st
}

// CloseAll closes every session with the given close code (1006 means an
// abnormal close: the TCP connection is cut without a close frame). It
// returns how many sessions it closed, not counting those already ending.
func (h *Hub) CloseAll(code int, reason string) int {
	n := 0
	for _, s := range h.snapshot() {
		if s.close(code, reason) {
			n++
		}
	}
	return n
}

// ResetCounters zeroes the message counters (not the live sessions).
func (h *Hub) ResetCounters() {
	h.opened.Store(0)
	h.sent.Store(0)
	h.dropped.Store(0)
	h.received.Store(0)
}
