package plugins

import (
	"cmp"
	"slices"
	"time"
)

// ConnInfo describes one live WS connection of a Hub: what
// Hub.Connections lists and GET /__admin/connections serves.
type ConnInfo struct {
	// ID numbers the hub's connections in the order it tracked them,
	// from 1; it stays with the connection while it lives and is never
	// given to another, so a client can follow one connection from one
	// listing to the next.
	ID uint64 `json:"id"`
	// Path is the URL path the client opened (the query is left out: it
	// may hold a token).
	Path string `json:"path"`
	// Client is the client's address (host:port).
	Client string `json:"client"`
	// Opened is when the connection was upgraded, in UTC.
	Opened time.Time `json:"opened"`
	// Subscriptions are the stream keys subscribed, in the order they
	// were added (Session.Subscriptions). A connection that does not know
	// its streams (the record mode's relay) gives none.
	Subscriptions []string `json:"subscriptions"`
	// Upstream is where a relayed connection goes (scheme and host of the
	// real exchange's socket); empty for a connection served here.
	Upstream string `json:"upstream,omitempty"`
	// MessagesSent, MessagesDropped and MessagesReceived count the
	// connection's data frames: written to the client, dropped by its
	// network link, read from the client.
	MessagesSent     int64 `json:"messages_sent"`
	MessagesDropped  int64 `json:"messages_dropped"`
	MessagesReceived int64 `json:"messages_received"`
}

// Describer is a Conn that can say what it is; a Conn without it is
// listed by Hub.Connections with its ID and the time the hub tracked it
// only.
type Describer interface {
	Describe() ConnInfo
}

// connEntry is what the hub keeps of a tracked connection.
type connEntry struct {
	id      uint64
	tracked time.Time
}

// Connections describes the live connections, oldest first (by Opened,
// then ID).
func (h *Hub) Connections() []ConnInfo {
	h.mu.Lock()
	type tracked struct {
		c Conn
		e connEntry
	}
	all := make([]tracked, 0, len(h.conns))
	for c, e := range h.conns {
		all = append(all, tracked{c, e})
	}
	h.mu.Unlock()
	// Describe takes the connection's own lock: not under the hub's.
	out := make([]ConnInfo, len(all))
	for i, t := range all {
		var ci ConnInfo
		if d, ok := t.c.(Describer); ok {
			ci = d.Describe()
		}
		ci.ID = t.e.id
		if ci.Opened.IsZero() {
			ci.Opened = t.e.tracked.UTC()
		}
		if ci.Subscriptions == nil {
			ci.Subscriptions = []string{}
		}
		out[i] = ci
	}
	slices.SortFunc(out, func(a, b ConnInfo) int {
		return cmp.Or(a.Opened.Compare(b.Opened), cmp.Compare(a.ID, b.ID))
	})
	return out
}

var _ Describer = (*Session)(nil)

// Describe says what the session is: its path, client, opening time,
// streams and message counts.
func (s *Session) Describe() ConnInfo {
	return ConnInfo{
		Path:             s.req.URL.Path,
		Client:           s.req.RemoteAddr,
		Opened:           s.opened.UTC(),
		Subscriptions:    s.Subscriptions(),
		MessagesSent:     s.sent.Load(),
		MessagesDropped:  s.dropped.Load(),
		MessagesReceived: s.received.Load(),
	}
}
