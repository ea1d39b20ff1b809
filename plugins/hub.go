package plugins

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Conn is a WS connection a Hub owns: a plugin's Session, or the record
// mode's relay. One that implements Describer is listed with its path,
// client, streams and counts by Hub.Connections (conninfo.go).
type Conn interface {
	// CloseWS closes the connection with a close frame carrying code and
	// reason, after what it has queued; 1006 cuts it without one. It
	// reports whether this call started the close (false when the
	// connection was already ending).
	CloseWS(code int, reason string) bool
	// Abort cuts the connection at once.
	Abort()
	// Streams is how many streams the connection has subscribed.
	Streams() int
}

// Hub owns the live WS connections of one server: the admin API and the
// network simulation count, list and close them through it, and Shutdown ends
// them all and waits for every goroutine they started. Connections are
// rooted on the hub's Context, so nothing a connection runs outlives the
// hub. The zero value is not usable; call NewHub.
type Hub struct {
	ctx    context.Context
	cancel context.CancelFunc
	// wg counts the connections being served; each waits for its own
	// goroutines (writer, subscriptions, the protocol's) before it is done.
	wg sync.WaitGroup

	mu       sync.Mutex
	policy   Policy
	closed   bool
	conns    map[Conn]connEntry
	lastID   uint64 // the last connEntry.id given, under mu
	opened   atomic.Int64
	sent     atomic.Int64
	dropped  atomic.Int64
	received atomic.Int64
	// faults are the exchange-protocol faults (faults.go).
	faults hubFaults
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{ctx: ctx, cancel: cancel, conns: map[Conn]connEntry{}}
}

// Pipeline is what one WS connection's messages pass through, handed out
// by the hub's Policy as the connection opens. A nil field lets messages
// through untouched.
type Pipeline struct {
	// Link carries the connection's outgoing messages (the network
	// simulation).
	Link Link
	// Limit rates what the connection's client sends (the rate limits).
	Limit Limit
}

// Policy admits a WS handshake before the upgrade and gives the
// connection its Pipeline; the front (serve.Stack) installs one with
// SetPolicy. A refused handshake has been answered on w (the exchange's
// 429, say) and ok is false. Otherwise release gives back what the
// connection holds (its place among its client's connections); it is
// called once, when the connection is over, and may be nil.
type Policy func(w http.ResponseWriter, r *http.Request) (p Pipeline, release func(), ok bool)

// SetPolicy makes p admit every connection opened from now on; nil
// admits all, with an empty Pipeline.
func (h *Hub) SetPolicy(p Policy) {
	h.mu.Lock()
	h.policy = p
	h.mu.Unlock()
}

// Admit asks the hub's policy about the WS handshake r before the
// upgrade, and so before Track: the connection gets its Pipeline, or is
// refused with an HTTP answer already written to w (ok false). The caller
// calls release (never nil; only its first call counts) once the
// connection is over, before Track's done, so that a connection the hub
// no longer counts holds nothing either.
func (h *Hub) Admit(w http.ResponseWriter, r *http.Request) (p Pipeline, release func(), ok bool) {
	h.mu.Lock()
	policy := h.policy
	h.mu.Unlock()
	if policy == nil {
		return Pipeline{}, func() {}, true
	}
	p, release, ok = policy(w, r)
	if !ok {
		return Pipeline{}, func() {}, false
	}
	if release == nil {
		return p, func() {}, true
	}
	return p, sync.OnceFunc(release), true
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

// Context ends when the hub shuts down for good (Shutdown's deadline
// passed, or all connections ended): root a connection's work on it.
func (h *Hub) Context() context.Context { return h.ctx }

// Track registers c until done is called, which the connection does once
// it and every goroutine it started are over. ok is false once the hub is
// shutting down: the connection must then be refused.
func (h *Hub) Track(c Conn) (done func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	// Under mu, before Shutdown can set closed and Wait: no Add races the
	// Wait.
	h.wg.Add(1)
	h.lastID++
	h.conns[c] = connEntry{id: h.lastID, tracked: time.Now()}
	h.opened.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.conns, c)
			h.mu.Unlock()
			h.wg.Done()
		})
	}, true
}

// Shutdown refuses new connections, closes every live one with 1001
// (going away) after what it has queued, and waits until every connection
// and every goroutine a connection started has returned. If ctx ends
// first, the remaining connections are cut, the hub's context cancelled,
// and Shutdown still waits for them to end (which then takes no longer
// than a write deadline) before returning ctx's error. Afterwards nothing
// the hub served touches what the server serves from: a cassette behind
// it may be closed.
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
		err = &ShutdownError{Open: h.Connections(), Err: ctx.Err(), Goroutines: Goroutines(64 << 10)}
		h.cancel()
		for _, c := range h.snapshot() {
			c.Abort()
		}
		<-done
	}
	h.cancel()
	return err
}

// ShutdownError is Shutdown's error when its context ended before every
// connection had: those still open then, which it cut.
type ShutdownError struct {
	Open []ConnInfo
	Err  error // the context's
	// Goroutines is the process's goroutine profile as the deadline
	// passed, before the connections were cut (Goroutines): what they
	// were waiting for. Error leaves it out.
	Goroutines string
}

// Goroutines is the process's goroutine profile (pprof debug=1: one
// entry per distinct stack, with its count), cut at max bytes.
func Goroutines(max int) string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	if b.Len() > max {
		b.Truncate(max)
		b.WriteString("\n[cut]")
	}
	return b.String()
}

func (e *ShutdownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugins: %d WebSocket connections still open when shutdown gave up (", len(e.Open))
	for i, c := range e.Open {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 8 {
			fmt.Fprintf(&b, "%d more", len(e.Open)-i)
			break
		}
		fmt.Fprintf(&b, "%s from %s, open %s", c.Path, c.Client, time.Since(c.Opened).Round(time.Millisecond))
		if len(c.Subscriptions) > 0 {
			fmt.Fprintf(&b, ", %s", strings.Join(c.Subscriptions, " "))
		}
	}
	fmt.Fprintf(&b, "): %v", e.Err)
	return b.String()
}

func (e *ShutdownError) Unwrap() error { return e.Err }

func (h *Hub) snapshot() []Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Conn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
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
	for _, c := range h.snapshot() {
		st.Connections++
		st.Subscriptions += c.Streams()
	}
	return st
}

// CloseAll closes every connection with the given close code (1006 means
// an abnormal close: the TCP connection is cut without a close frame). It
// returns how many it closed, not counting those already ending.
func (h *Hub) CloseAll(code int, reason string) int {
	n := 0
	for _, c := range h.snapshot() {
		if c.CloseWS(code, reason) {
			n++
		}
	}
	return n
}

// CountSent, CountDropped and CountReceived count messages of a
// connection that is no Session (the record relay).
func (h *Hub) CountSent()     { h.sent.Add(1) }
func (h *Hub) CountDropped()  { h.dropped.Add(1) }
func (h *Hub) CountReceived() { h.received.Add(1) }

// ResetCounters zeroes the message counters (not the live connections).
func (h *Hub) ResetCounters() {
	h.opened.Store(0)
	h.sent.Store(0)
	h.dropped.Store(0)
	h.received.Store(0)
}
