package plugins

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// Hub owns the live WS sessions of one server: the admin API counts and
// closes them through it, and Shutdown ends them all and waits for every
// goroutine they started. Sessions are rooted on the hub's context, so
// nothing a session runs outlives the hub. The zero value is not usable;
// call NewHub.
type Hub struct {
	ctx    context.Context
	cancel context.CancelFunc
	// wg counts the sessions being served; each waits for its own
	// goroutines (writer, subscriptions, the protocol's) before it is done.
	wg sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	sessions map[*Session]struct{}
	opened   atomic.Int64
	sent     atomic.Int64
	dropped  atomic.Int64
	received atomic.Int64
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{ctx: ctx, cancel: cancel, sessions: map[*Session]struct{}{}}
}

// HubStats is a snapshot of a hub's counters.
type HubStats struct {
	Connections      int   `json:"connections"`
	Subscriptions    int   `json:"subscriptions"`
	TotalConnections int64 `json:"total_connections"`
	MessagesSent     int64 `json:"messages_sent"`
	MessagesDropped  int64 `json:"messages_dropped"`
	MessagesReceived int64 `json:"messages_received"`
}

// add registers s; false once the hub is shutting down.
func (h *Hub) add(s *Session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	// Under mu, before Shutdown can set closed and Wait: no Add races the
	// Wait.
	h.wg.Add(1)
	h.sessions[s] = struct{}{}
	h.opened.Add(1)
	return true
}

// remove unregisters s once it and its goroutines are over.
func (h *Hub) remove(s *Session) {
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
	h.wg.Done()
}

// Shutdown refuses new sessions, closes every live one with 1001 (going
// away) after what it has queued, and waits until every session and every
// goroutine a session started has returned. If ctx ends first, the
// remaining connections are cut, the sessions' contexts cancelled, and
// Shutdown still waits for them to end (which then takes no longer than
// a write deadline) before returning ctx's error. Afterwards nothing the
// hub served touches the Env: a cassette behind it may be closed.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.CloseAll(websocket.CloseGoingAway, "server shutting down")
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		h.cancel()
		for _, s := range h.snapshot() {
			s.abort()
		}
		<-done
	}
	h.cancel()
	return err
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
