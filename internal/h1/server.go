// Package h1 is a small HTTP/1.1 server for the hot path: the plain
// requests a load test or a client library sends (a method, an
// origin-form target, a few headers, a Content-Length body or none) are
// parsed and answered here, on one goroutine per connection, with the
// response head and body leaving in one writev. Every connection it does
// not fully understand — a WebSocket upgrade, a chunked or 100-continue
// body, a malformed, oversized or HTTP/2 head — is handed, with the bytes
// already read put back in front, to a standard net/http server running the
// same handler, which then owns that connection. Clients see one server.
//
// net/http spends most of a small request's time around the handler
// (a background read goroutine per request, a cancelable context, header
// parsing through textproto); this server skips what a mock exchange does
// not need, and measures about 1.5–2× net/http's requests/s on the
// benchmark harness's klines load test.
package h1

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves HTTP/1.1 on a listener; see the package doc.
type Server struct {
	// Handler answers every request, here and on the fallback.
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request head: the first from the
	// accept, as net/http does (a connection that sends nothing is closed
	// then), a later one from its first byte. Zero means no limit. A
	// connection that sent nothing is closed without a response, as by
	// net/http; one whose head began gets 408 Request Timeout before the
	// close (net/http says nothing, or 400 when the cut line has no
	// colon).
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds waiting for the next request on a kept-alive
	// connection; zero means no limit (as net/http without ReadTimeout).
	// Neither timeout applies to a hijacked connection (a WebSocket).
	IdleTimeout time.Duration
	// MaxConns caps the connections open at once, counting those handed
	// to the fallback and hijacked ones until they are closed: past it, a
	// new connection is answered 503 Service Unavailable and closed,
	// rather than the process running out of file descriptors. Zero means
	// no cap.
	MaxConns int
	// ErrorLog receives handler panics, accept errors and refusals (once
	// per burst); nil means the log package's standard logger.
	ErrorLog *log.Logger
	// Front, if set, is shown the first bytes of every connection (what
	// its first read returned, at least one byte, still unconsumed in
	// first) on the connection's own goroutine, under ReadHeaderTimeout
	// counted from the accept. It returns nil to have the connection
	// served as it is — first is then parsed as the start of a request —,
	// or a connection to serve in its place, which must itself yield first
	// before anything else if it wants it read (a TLS server over the
	// bytes, a CONNECT tunnel it has answered). An error closes the
	// connection: Front has said what it had to. The replacement is served
	// with plain reads and writes (no raw system calls, no sendfile unless
	// it is a socket), ReadHeaderTimeout counted again for its first
	// request, and Request.TLS set when it has a ConnectionState method,
	// as *tls.Conn has, here and on the fallback.
	Front func(c net.Conn, first []byte) (net.Conn, error)
	// ConnContext, if set, gives the values of the requests of a
	// connection: it is called once per connection served (after Front,
	// with the connection Front returned) with a background context, and
	// requests see the values of the context it returns, not its
	// cancellation (as a request's context outlives nothing but its
	// handler). On the fallback it is net/http's ConnContext.
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	mu         sync.Mutex
	ln         net.Listener
	fallback   *http.Server
	hand       *handoff
	fbDone     chan struct{}
	conns      map[*conn]struct{}
	onShutdown []func()
	shutting   atomic.Bool
	hooksOnce  sync.Once
	static     staticStore
	stats      counters
	refusers   sync.WaitGroup
}

// ErrServerClosed is what Serve returns after Shutdown or Close.
var ErrServerClosed = http.ErrServerClosed

// Serve accepts connections on ln until Shutdown or Close, serving each on
// its own goroutine. It always returns a non-nil error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	if s.ln != nil {
		s.mu.Unlock()
		return errors.New("h1: Serve called twice")
	}
	s.ln = ln
	s.conns = make(map[*conn]struct{})
	s.hand = newHandoff(ln.Addr())
	s.fallback = &http.Server{
		Handler:           s.fallbackHandler(),
		ConnContext:       s.fallbackConnContext,
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		IdleTimeout:       s.IdleTimeout,
		ErrorLog:          s.ErrorLog,
	}
	s.fbDone = make(chan struct{})
	fb, hand, fbDone := s.fallback, s.hand, s.fbDone
	s.mu.Unlock()
	go func() {
		defer close(fbDone)
		fb.Serve(hand)
	}()

	var backoff time.Duration
	var failing, refusing burst
	for {
		rwc, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				return ErrServerClosed
			}
			if !temporaryAccept(err) {
				return err
			}
			// Out of file descriptors and the like: back off and retry,
			// as net/http does, rather than spin or give up serving.
			s.stats.acceptErrors.Add(1)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if failing.hit() {
				s.logf("h1: accept error: %v; retrying every %v to 1s until it works", err, backoff)
			}
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if n, d := failing.end(); n > 0 {
			s.logf("h1: accepting again after %d accept errors in %v", n, d.Round(time.Millisecond))
		}
		if s.MaxConns > 0 && s.stats.open.Load() >= int64(s.MaxConns) {
			s.stats.refused.Add(1)
			if refusing.hit() {
				s.logf("h1: %d connections open (the cap): refusing new ones with 503", s.MaxConns)
			}
			s.refuse(rwc)
			continue
		}
		if n, d := refusing.end(); n > 0 {
			s.logf("h1: accepting again after refusing %d connections in %v", n, d.Round(time.Millisecond))
		}
		s.stats.open.Add(1)
		c := &conn{srv: s, rwc: rwc}
		if !s.track(c) {
			s.stats.open.Add(-1)
			rwc.Close()
			return ErrServerClosed
		}
		go c.serve()
	}
}

// track registers c; false once the server is shutting down.
func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// RegisterOnShutdown registers f to run (on its own goroutine) when
// Shutdown or Close begins, as http.Server's hook: the place to close
// hijacked connections such as WebSockets, which no server tracks.
func (s *Server) RegisterOnShutdown(f func()) {
	s.mu.Lock()
	s.onShutdown = append(s.onShutdown, f)
	s.mu.Unlock()
}

// begin stops accepting and runs the shutdown hooks, once.
func (s *Server) begin() (fb *http.Server, fbDone chan struct{}) {
	s.mu.Lock()
	s.shutting.Store(true)
	ln, hooks := s.ln, s.onShutdown
	fb, fbDone = s.fallback, s.fbDone
	s.mu.Unlock()
	s.hooksOnce.Do(func() {
		s.static.close()
		if ln != nil {
			ln.Close()
		}
		for _, f := range hooks {
			go f()
		}
	})
	return fb, fbDone
}

// Shutdown stops accepting, closes idle connections, and waits for
// requests in flight (here and on the fallback) until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	fb, fbDone := s.begin()
	var fbErr error
	if fb != nil {
		fbErr = fb.Shutdown(ctx)
		if fbErr == nil {
			<-fbDone
		}
	}
	s.refusers.Wait() // each ends within rstAvoidance
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for wait := time.Millisecond; ; {
		if s.closeIdle() {
			return fbErr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("h1: %d connections still serving a request when shutdown gave up: %w", s.busy(), ctx.Err())
		case <-tick.C:
			if wait < 100*time.Millisecond {
				wait *= 2
				tick.Reset(wait)
			}
		}
	}
}

// busy is how many connections are serving a request (or reading one).
func (s *Server) busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.state.Load() == stateActive {
			n++
		}
	}
	return n
}

// closeIdle closes the connections waiting for a request; true when none
// is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.Load() == stateIdle {
			c.rwc.Close()
		}
	}
	return len(s.conns) == 0
}

// Close closes the listener and every connection at once, here and on
// the fallback.
func (s *Server) Close() error {
	fb, _ := s.begin()
	var err error
	if fb != nil {
		err = fb.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.rwc.Close()
	}
	s.mu.Unlock()
	s.refusers.Wait()
	return err
}

// handoff is the fallback server's listener: connections this server
// gives up on arrive through it.
type handoff struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
	addr net.Addr
}

func newHandoff(addr net.Addr) *handoff {
	return &handoff{ch: make(chan net.Conn), done: make(chan struct{}), addr: addr}
}

func (h *handoff) Accept() (net.Conn, error) {
	select {
	case c := <-h.ch:
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

func (h *handoff) Close() error {
	h.once.Do(func() { close(h.done) })
	return nil
}

func (h *handoff) Addr() net.Addr { return h.addr }

// give passes c to the fallback; false if it is closed.
func (h *handoff) give(c net.Conn) bool {
	select {
	case h.ch <- c:
		return true
	case <-h.done:
		return false
	}
}

// prefixConn is a connection this server no longer serves itself (handed
// to the fallback, or hijacked): it reads buf before the connection, keeps
// the half-close of a TCP connection available (net/http closes with a
// FIN first after answering 431 or leaving a long body unread), and counts
// the connection closed when it is.
type prefixConn struct {
	net.Conn
	buf      []byte
	timedOut bool // buf is all there will be: then a read deadline error
	srv      *Server
	closed   atomic.Bool
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	if c.timedOut {
		return 0, os.ErrDeadlineExceeded
	}
	return c.Conn.Read(p)
}

// WriteBuffers writes bufs to the connection with one vectored write
// where it has one (a TCP connection): net.Buffers does that only for
// net's own connections, and to this wrapper it would write each buffer
// in turn.
func (c *prefixConn) WriteBuffers(bufs *net.Buffers) (int64, error) {
	return bufs.WriteTo(c.Conn)
}

// CloseWrite shuts the write side down, if the connection has one.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *prefixConn) Close() error {
	if !c.closed.Swap(true) {
		c.srv.stats.open.Add(-1)
	}
	return c.Conn.Close()
}
