package ratelimit

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Limiter. The zero value is usable.
type Options struct {
	// Limits replace the model's own limits; nil keeps them.
	Limits *Limits
	// Now is the clock; nil means time.Now. Tests inject it.
	Now func() time.Time
}

// Limiter enforces a Model per client IP. Build it with New.
type Limiter struct {
	model Model
	now   func() time.Time

	mu      sync.Mutex
	limits  Limits
	wins    []Window
	used    []string // the model's used-weight header names for wins[0], canonical
	gen     uint64   // bumped by SetLimits so WS connections pick up changes
	clients map[string]*client
	ops     int

	stats counters
}

type counters struct {
	requests, limited, banned, bans, wsRefused, wsLimited atomic.Int64
}

// Stats are a Limiter's counters since the last Reset.
type Stats struct {
	// Requests counts REST requests seen (refused ones included).
	Requests int64 `json:"requests"`
	// Limited counts 429 answers, Banned 418 answers, Bans the bans imposed.
	Limited int64 `json:"limited"`
	Banned  int64 `json:"banned"`
	Bans    int64 `json:"bans"`
	// WSRefused counts refused WS connection attempts, WSLimited the
	// connections closed for sending too fast.
	WSRefused int64 `json:"ws_refused"`
	WSLimited int64 `json:"ws_limited"`
	// BannedIPs counts IPs banned right now.
	BannedIPs int `json:"banned_ips"`
}

type client struct {
	used        []usage // one per window
	refused     int     // 429s in the current primary window
	bannedUntil time.Time
	bans        int
	wsConns     int
	wsAttempts  usage
	lastSeen    time.Time
}

type usage struct {
	start time.Time
	n     int
}

// roll starts a new window if the current one is over.
func (u *usage) roll(now time.Time, period time.Duration, aligned bool) {
	if period <= 0 {
		return
	}
	if !u.start.IsZero() && now.Before(u.start.Add(period)) {
		return
	}
	u.n = 0
	if aligned {
		u.start = time.UnixMilli(0).Add(now.Sub(time.UnixMilli(0)).Truncate(period))
	} else {
		u.start = now
	}
}

// New returns a Limiter for m.
func New(m Model, opts Options) *Limiter {
	l := &Limiter{model: m, now: opts.Now, clients: map[string]*client{}}
	if l.now == nil {
		l.now = time.Now
	}
	lim := m.Limits()
	if opts.Limits != nil {
		lim = *opts.Limits
	}
	l.limits = lim
	l.wins = m.windows(lim)
	l.used = l.usedHeaderNames()
	return l
}

// usedHeaderNames are the headers reporting the primary window's usage,
// worked out once per change of limits rather than on every request.
func (l *Limiter) usedHeaderNames() []string {
	if len(l.wins) == 0 || l.model.UsedHeaders == nil || l.wins[0].Period <= 0 {
		return nil
	}
	names := l.model.UsedHeaders(l.wins[0].Period)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// Model is the model the Limiter enforces.
func (l *Limiter) Model() Model { return l.model }

// Limits returns the limits in force.
func (l *Limiter) Limits() Limits {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limits
}

// SetLimits replaces the limits in force; the next request sees them.
// Usage counted so far is kept when a window's period is unchanged.
func (l *Limiter) SetLimits(lim Limits) error {
	if err := lim.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.wins
	l.limits = lim
	l.wins = l.model.windows(lim)
	l.used = l.usedHeaderNames()
	l.gen++
	for _, c := range l.clients {
		used := make([]usage, len(l.wins))
		for i, w := range l.wins {
			if i < len(c.used) && i < len(old) && old[i].Period == w.Period {
				used[i] = c.used[i]
			}
		}
		c.used = used
	}
	return nil
}

// Reset forgets all usage, bans and counters (live WS connections stay
// counted toward the per-IP concurrency limit).
func (l *Limiter) Reset() {
	l.mu.Lock()
	for ip, c := range l.clients {
		if c.wsConns == 0 {
			delete(l.clients, ip)
			continue
		}
		*c = client{wsConns: c.wsConns}
	}
	l.mu.Unlock()
	l.stats.requests.Store(0)
	l.stats.limited.Store(0)
	l.stats.banned.Store(0)
	l.stats.bans.Store(0)
	l.stats.wsRefused.Store(0)
	l.stats.wsLimited.Store(0)
}

// Stats returns the counters.
func (l *Limiter) Stats() Stats {
	st := Stats{
		Requests:  l.stats.requests.Load(),
		Limited:   l.stats.limited.Load(),
		Banned:    l.stats.banned.Load(),
		Bans:      l.stats.bans.Load(),
		WSRefused: l.stats.wsRefused.Load(),
		WSLimited: l.stats.wsLimited.Load(),
	}
	now := l.now()
	l.mu.Lock()
	for _, c := range l.clients {
		if now.Before(c.bannedUntil) {
			st.BannedIPs++
		}
	}
	l.mu.Unlock()
	return st
}

// ClientIP is the address limits are kept for: the host of RemoteAddr.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Middleware enforces the REST windows on every request before passing
// it to next. WS handshakes pass through: the WS framework admits them
// with WSConn as it upgrades them, which holds the connection's standing
// for as long as it lives.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		l.stats.requests.Add(1)
		weight := 1
		if l.model.Weight != nil {
			if r.Body != nil && r.Body != http.NoBody {
				// Weight may read the body and put a copy back: it gets,
				// and next is passed, a shallow copy, so the server's own
				// request keeps its body and the server still sees a body
				// left partly unread (else it would parse the rest as the
				// next request).
				r = r.WithContext(r.Context())
			}
			weight = max(l.model.Weight(r), 1)
		}
		ip := ClientIP(r)
		l.mu.Lock()
		if !l.limits.RESTWeighted {
			weight = 1
		}
		refusal := l.admit(ip, weight, w.Header())
		l.mu.Unlock()
		if refusal != nil {
			l.refuse(w, *refusal)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (l *Limiter) clientLocked(ip string, now time.Time) *client {
	l.ops++
	if l.ops%1024 == 0 {
		l.pruneLocked(now)
	}
	c := l.clients[ip]
	if c == nil {
		c = &client{}
		l.clients[ip] = c
	}
	if len(c.used) != len(l.wins) {
		c.used = make([]usage, len(l.wins))
	}
	c.lastSeen = now
	return c
}

// pruneLocked forgets clients with nothing left to remember.
func (l *Limiter) pruneLocked(now time.Time) {
	var longest time.Duration = time.Duration(l.limits.WSConnPeriod)
	for _, w := range l.wins {
		longest = max(longest, w.Period)
	}
	for ip, c := range l.clients {
		if c.wsConns == 0 && c.bans == 0 && now.Sub(c.lastSeen) > longest {
			delete(l.clients, ip)
		}
	}
}

// admit counts a request of weight from ip and decides on it. It returns
// the used-weight headers to send either way.
func (l *Limiter) admit(ip string, weight int, hdr http.Header) *Refusal {
	now := l.now()
	c := l.clientLocked(ip, now)
	if now.Before(c.bannedUntil) && !l.limits.Disabled {
		l.stats.banned.Add(1)
		return &Refusal{Kind: Banned, Status: 418, IP: ip, RetryAfter: c.bannedUntil.Sub(now), Until: c.bannedUntil}
	}
	var over *Refusal
	for i, win := range l.wins {
		u := &c.used[i]
		before := u.start
		u.roll(now, win.Period, win.Aligned)
		if i == 0 && !u.start.Equal(before) {
			c.refused = 0
		}
		u.n += weight
		if u.n > win.Limit && over == nil && !l.limits.Disabled {
			over = &Refusal{Kind: TooMany, Status: 429, IP: ip, Window: win, Used: u.n, RetryAfter: u.start.Add(win.Period).Sub(now)}
		}
	}
	if len(l.used) > 0 {
		v := []string{strconv.Itoa(c.used[0].n)}
		for _, name := range l.used {
			hdr[name] = v
		}
	}
	if over == nil {
		return nil
	}
	c.refused++
	if b := l.model.Ban; b != nil && len(b.Durations) > 0 && c.refused > b.After {
		c.bans++
		d := b.Durations[min(c.bans, len(b.Durations))-1]
		c.bannedUntil = now.Add(d)
		c.refused = 0
		l.stats.bans.Add(1)
		l.stats.banned.Add(1)
		return &Refusal{Kind: Banned, Status: 418, IP: ip, RetryAfter: d, Until: c.bannedUntil}
	}
	l.stats.limited.Add(1)
	return over
}

// refuse writes the model's answer for f.
func (l *Limiter) refuse(w http.ResponseWriter, f Refusal) {
	build := l.model.Refuse
	if build == nil {
		build = genericRefusal
	}
	resp := build(f)
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	h.Set("Retry-After", strconv.FormatInt(retrySeconds(f.RetryAfter), 10))
	status := resp.Status
	if status == 0 {
		status = f.Status
	}
	w.WriteHeader(status)
	w.Write(resp.Body)
}
