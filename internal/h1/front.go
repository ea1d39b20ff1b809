package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"
)

// What a connection is before it is HTTP: Server.Front sees its first
// bytes and may put another connection in its place (TLS terminated, a
// CONNECT tunnel answered), which is then served here as any other — by
// plain reads and writes, since only a socket has the raw system calls and
// sendfile — and, for what this server leaves to net/http, handed to the
// fallback the same way.

// front shows the connection's first bytes to Server.Front; false when the
// connection is to be closed. The bytes are read into c.buf, where
// readHead finds them when the connection stays as it is: for a direct
// connection the look costs nothing but the call.
func (c *conn) front() bool {
	s := c.srv
	if s.ReadHeaderTimeout > 0 {
		c.rwc.SetReadDeadline(time.Now().Add(s.ReadHeaderTimeout))
	}
	var n int
	var err error
	p := c.buf[:cap(c.buf)]
	if rawIO && c.raw != nil {
		n, err = rawRead(c.raw, p)
	} else {
		n, err = c.rwc.Read(p)
	}
	c.buf = p[:n]
	if n == 0 {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			s.stats.headerTimeouts.Add(1)
		}
		return false
	}
	c.state.Store(stateActive)
	nc, err := s.Front(c.rwc, c.buf)
	if err != nil {
		return false
	}
	if nc == nil {
		// Served as it is; the head's deadline, from the accept, stays.
		c.headDeadline = s.ReadHeaderTimeout > 0
		return true
	}
	s.mu.Lock() // Shutdown and Close read rwc under it
	c.rwc = nc
	s.mu.Unlock()
	c.raw = nil
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	if tc, ok := nc.(interface{ ConnectionState() tls.ConnectionState }); ok {
		cs := tc.ConnectionState()
		c.tls = &cs
	}
	c.buf = c.buf[:0]
	return true
}

// connContext gives c its ConnContext, if the server has one.
func (c *conn) connContext() {
	if f := c.srv.ConnContext; f != nil {
		c.ctx = f(context.Background(), c.rwc)
	}
}

// tlsStateKey carries a TLS connection's state to the fallback's requests:
// net/http sets Request.TLS only for a *tls.Conn it terminated itself.
type tlsStateKey struct{}

// fallbackConnContext is the fallback server's ConnContext: the served
// connection's own (Server.ConnContext) and its TLS state.
func (s *Server) fallbackConnContext(ctx context.Context, nc net.Conn) context.Context {
	pc, ok := nc.(*prefixConn)
	if !ok {
		return ctx
	}
	if s.ConnContext != nil {
		ctx = s.ConnContext(ctx, pc.Conn)
	}
	if tc, ok := pc.Conn.(interface{ ConnectionState() tls.ConnectionState }); ok {
		cs := tc.ConnectionState()
		ctx = context.WithValue(ctx, tlsStateKey{}, &cs)
	}
	return ctx
}

// fallbackHandler is Handler with Request.TLS set on the fallback's
// requests over TLS, as on this server's.
func (s *Server) fallbackHandler() http.Handler {
	h := s.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if cs, ok := r.Context().Value(tlsStateKey{}).(*tls.ConnectionState); ok {
				r.TLS = cs
			}
		}
		h.ServeHTTP(w, r)
	})
}
