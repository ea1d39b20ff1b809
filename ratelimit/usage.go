package ratelimit

import (
	"sort"
	"time"
)

// ClientUsage is one client's standing with a Limiter: what it used of
// each REST window, its WS connections and any ban.
type ClientUsage struct {
	// IP is the client's address (ClientIP).
	IP string `json:"ip"`
	// Windows are the REST windows in the model's order, the primary first.
	Windows []WindowUsage `json:"windows"`
	// WSConns counts the client's open WS connections.
	WSConns int `json:"ws_conns"`
	// Refused counts the 429s it got in the current primary window.
	Refused int `json:"refused"`
	// Bans counts the bans it got; BannedUntil is set while one lasts.
	Bans        int        `json:"bans"`
	BannedUntil *time.Time `json:"banned_until,omitempty"`
	// LastSeen is when it was last counted.
	LastSeen time.Time `json:"last_seen"`
}

// WindowUsage is the weight a client used in one REST window.
type WindowUsage struct {
	Name   string   `json:"name"`
	Limit  int      `json:"limit"`
	Period Duration `json:"period"`
	Used   int      `json:"used"`
	// Resets is when the current window ends (zero before any use).
	Resets time.Time `json:"resets,omitzero"`
}

// Usage is a snapshot of every client the Limiter remembers, by IP. A
// window that ended reads as unused, as the client's next request would
// find it.
func (l *Limiter) Usage() []ClientUsage {
	now := l.now()
	l.mu.Lock()
	out := make([]ClientUsage, 0, len(l.clients))
	for ip, c := range l.clients {
		cu := ClientUsage{IP: ip, WSConns: c.wsConns, Refused: c.refused, Bans: c.bans, LastSeen: c.lastSeen,
			Windows: make([]WindowUsage, len(l.wins))}
		for i, win := range l.wins {
			wu := WindowUsage{Name: win.Name, Limit: win.Limit, Period: Duration(win.Period)}
			if i < len(c.used) {
				if u := c.used[i]; !u.start.IsZero() && (win.Period <= 0 || now.Before(u.start.Add(win.Period))) {
					wu.Used = u.n
					if win.Period > 0 {
						wu.Resets = u.start.Add(win.Period)
					}
				}
			}
			cu.Windows[i] = wu
		}
		if now.Before(c.bannedUntil) {
			t := c.bannedUntil
			cu.BannedUntil = &t
		}
		out = append(out, cu)
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].IP < out[j].IP })
	return out
}
