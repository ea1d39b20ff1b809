package plugins

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
)

// Exchange-protocol faults, as a plugin meets them. The front (serve.Stack
// over netsim) decides them; a plugin only marks what they apply to:
//
//   - WS book diffs go out with Session.SendBookDiff instead of Send. The
//     connection's link may then drop one (a sequence gap), send it twice,
//     swap it with the next diff of the same book, or pass it through the
//     plugin's corrupt function (which makes its checksum wrong: formats
//     differ, so only the plugin knows where the checksum is).
//   - A forced resync ends the connection as the exchange does before a
//     reconnect: by default a close frame 1001 "reconnect required"; a
//     plugin whose exchange sends an event first (a notice, a
//     resubscribe-required message) installs it with Session.OnResync.
//   - A REST book snapshot is taken at Env.SnapshotTime(r), which is now,
//     or older than the stream when the stale-snapshot fault fires.
//   - The clock skew needs nothing: the mode gives the plugin an Env whose
//     Clock is skewed (SkewedClock), so every time field follows.
//
// Every fault injected is counted by kind and route in the front's status
// and metrics.

// Faults are the front's exchange-protocol faults that are not the WS
// link's; netsim.Sim implements them. A Stack installs them on its Hub.
type Faults interface {
	// SnapshotAge is how much older than now the REST book snapshot
	// answering r is to be: 0, or the stale age when the fault fires
	// (it is then counted). Asked once per snapshot served.
	SnapshotAge(r *http.Request) time.Duration
	// ClockSkew is how far the exchange's clock runs ahead of true time.
	ClockSkew() time.Duration
}

// ProtocolLink is a Link that also injects exchange-protocol faults into
// the messages it carries; netsim.Link implements it. A Session uses it
// when its Pipeline's Link has it.
type ProtocolLink interface {
	Link
	// BookDiff decides the faults of the connection's next book diff:
	// dropped (gap: the others are then false), sent twice (duplicate),
	// held back until after the next diff of its book (reorder), its
	// checksum made wrong (corrupt). A fault is drawn only where it can
	// apply: corrupt when the message has a corrupt function, reorder
	// when no diff of its book is held back already.
	BookDiff(corruptible, reorderable bool) (gap, duplicate, reorder, corrupt bool)
	// Resync reports whether the connection is to be forced to resync
	// instead of sending its next data message.
	Resync() bool
}

// hubFaults holds a Hub's Faults.
type hubFaults struct{ f atomic.Pointer[Faults] }

// SetFaults makes f the protocol faults of the Hub's exchange (the Stack
// installs its network simulation); nil means none.
func (h *Hub) SetFaults(f Faults) {
	if f == nil {
		h.faults.f.Store(nil)
		return
	}
	h.faults.f.Store(&f)
}

// Faults are the protocol faults installed, or nil.
func (h *Hub) Faults() Faults {
	if h == nil {
		return nil
	}
	if p := h.faults.f.Load(); p != nil {
		return *p
	}
	return nil
}

// ClockSkew is the installed faults' clock skew, or 0.
func (h *Hub) ClockSkew() time.Duration {
	if f := h.Faults(); f != nil {
		return f.ClockSkew()
	}
	return 0
}

// SnapshotTime is the instant the REST book snapshot answering r is to
// show: the clock's now, or as much older as the stale-snapshot fault
// says when it fires. Call it once per snapshot served, after the request
// was found valid (a call may count a fault).
func (e *Env) SnapshotTime(r *http.Request) time.Time {
	now := e.Clock.Now()
	if f := e.Hub.Faults(); f != nil {
		return now.Add(-f.SnapshotAge(r))
	}
	return now
}

// SkewedClock is c as the exchange served through h reads it: offset at
// each reading by the clock skew installed on h. The modes build every
// Env's Clock (and its Feed's) with it.
func SkewedClock(c *cc.Clock, h *Hub) *cc.Clock {
	if h == nil {
		return c
	}
	return c.WithSkew(h.ClockSkew)
}

// ResyncFunc is what a forced resync does on a connection (see
// Session.OnResync): frame, if not nil, is written first; then the
// connection closes with code and reason, or stays open if code is 0 (the
// frame alone tells the client to resubscribe).
type ResyncFunc func() (frame []byte, code int, reason string)

// defaultResync closes the connection as a server going away for a
// reconnect does.
func defaultResync() ([]byte, int, string) {
	return nil, websocket.CloseGoingAway, "reconnect required"
}

// OnResync sets what a forced resync does on this connection; nil
// restores the default, a close frame 1001 "reconnect required". Call it
// from the protocol's Open.
func (s *Session) OnResync(f ResyncFunc) {
	s.mu.Lock()
	s.resync = f
	s.mu.Unlock()
}

// SendBookDiff queues a book diff of the book named stream (any key the
// plugin chooses, one per symbol's book) as a text frame: the network
// simulation's book faults apply to it (see ProtocolLink). corrupt, if
// not nil, returns a copy of a message with its checksum made wrong; nil
// means the format has no checksum. A diff held back for reordering goes
// out right after the next diff of its book; if none comes before the
// session ends, it is never sent.
func (s *Session) SendBookDiff(stream string, data []byte, corrupt func([]byte) []byte) error {
	return s.queue(outMsg{typ: websocket.TextMessage, data: data, at: time.Now(), book: stream, diff: true, corrupt: corrupt})
}

// SendBinaryBookDiff is SendBookDiff for a binary frame (MEXC's protobuf
// pushes).
func (s *Session) SendBinaryBookDiff(stream string, data []byte, corrupt func([]byte) []byte) error {
	return s.queue(outMsg{typ: websocket.BinaryMessage, data: data, at: time.Now(), book: stream, diff: true, corrupt: corrupt})
}
