package ratelimit

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Conn is one WS connection's standing with a Limiter, handed out by
// WSConn when its handshake is admitted: it answers the per-message
// questions (AllowMessage, MaxStreams) and holds the connection's place
// among its client's connections until Close. It is safe for concurrent
// use.
type Conn struct {
	l  *Limiter
	ip string

	mu      sync.Mutex
	bucket  *rate.Limiter
	gen     uint64 // the Limiter's gen the bucket was built for
	limited bool   // refused once: the connection is being closed
	closed  bool
}

// WSConn admits a WS handshake from r's client before the upgrade: it
// counts the attempt and checks bans, attempts per period and concurrent
// connections per IP. If the handshake is refused, WSConn has written the
// exchange's refusal (429 or 418, with Retry-After) to w and ok is false.
// Otherwise the connection counts as open until conn.Close.
func (l *Limiter) WSConn(w http.ResponseWriter, r *http.Request) (conn *Conn, ok bool) {
	ip := ClientIP(r)
	now := l.now()
	l.mu.Lock()
	c := l.clientLocked(ip, now)
	lim := l.limits
	var f *Refusal
	if now.Before(c.bannedUntil) && !lim.Disabled {
		f = &Refusal{Kind: Banned, Status: 418, IP: ip, RetryAfter: c.bannedUntil.Sub(now), Until: c.bannedUntil}
	}
	if lim.WSConnAttempts > 0 {
		c.wsAttempts.roll(now, time.Duration(lim.WSConnPeriod), false)
		c.wsAttempts.n++
		if c.wsAttempts.n > lim.WSConnAttempts && f == nil && !lim.Disabled {
			f = &Refusal{Kind: TooManyConns, Status: 429, IP: ip, Used: c.wsAttempts.n,
				Window:     Window{Name: "CONNECTIONS", Limit: lim.WSConnAttempts, Period: time.Duration(lim.WSConnPeriod)},
				RetryAfter: c.wsAttempts.start.Add(time.Duration(lim.WSConnPeriod)).Sub(now)}
		}
	}
	if f == nil && lim.WSConnsPerIP > 0 && c.wsConns >= lim.WSConnsPerIP && !lim.Disabled {
		f = &Refusal{Kind: TooManyConns, Status: 429, IP: ip, Used: c.wsConns + 1,
			Window: Window{Name: "CONNECTIONS", Limit: lim.WSConnsPerIP}, RetryAfter: time.Second}
	}
	if f == nil {
		c.wsConns++
	}
	gen := l.gen
	l.mu.Unlock()
	if f != nil {
		l.stats.wsRefused.Add(1)
		l.refuse(w, *f)
		return nil, false
	}
	return &Conn{l: l, ip: ip, gen: gen, bucket: newBucket(lim)}, true
}

// Close gives the connection's place back: its client may open another.
// Later calls do nothing.
func (c *Conn) Close() {
	c.mu.Lock()
	closed := c.closed
	c.closed = true
	c.mu.Unlock()
	if closed {
		return
	}
	l := c.l
	l.mu.Lock()
	if cl := l.clients[c.ip]; cl != nil && cl.wsConns > 0 {
		cl.wsConns--
	}
	l.mu.Unlock()
}

func newBucket(lim Limits) *rate.Limiter {
	if lim.WSLimit <= 0 {
		return nil
	}
	burst := lim.WSBurst
	if burst <= 0 {
		burst = max(int(lim.WSLimit), 1)
	}
	return rate.NewLimiter(rate.Limit(lim.WSLimit), burst)
}

// AllowMessage reports whether the connection may have one more client
// message (data, ping or pong frame). When it may not, the connection is
// to be closed with code and reason, the exchange's way. Limits changed
// since the connection opened (SetLimits) apply from its next message.
func (c *Conn) AllowMessage() (ok bool, code int, reason string) {
	l := c.l
	l.mu.Lock()
	lim, gen := l.limits, l.gen
	l.mu.Unlock()
	if lim.Disabled {
		return true, 0, ""
	}
	c.mu.Lock()
	if c.gen != gen {
		c.gen = gen
		c.bucket = newBucket(lim)
	}
	ok = c.bucket == nil || c.bucket.AllowN(l.now(), 1)
	first := !ok && !c.limited
	if !ok {
		c.limited = true
	}
	c.mu.Unlock()
	if ok {
		return true, 0, ""
	}
	if first {
		l.stats.wsLimited.Add(1)
	}
	code, reason = l.model.WS.CloseCode, l.model.WS.CloseReason
	if code == 0 {
		code = 1008 // policy violation
	}
	if reason == "" {
		reason = "Too many requests"
	}
	return false, code, reason
}

// MaxStreams is the most streams the connection may subscribe; 0 means
// no limit.
func (c *Conn) MaxStreams() int { return c.l.maxStreams() }

func (l *Limiter) maxStreams() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limits.Disabled {
		return 0
	}
	return l.limits.WSStreams
}
