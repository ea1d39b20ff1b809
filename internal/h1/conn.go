package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Connection states, as Shutdown sees them.
const (
	stateIdle   = iota // waiting for a request; nothing of it read yet
	stateActive        // reading or serving a request
	stateGone          // hijacked or handed to the fallback
)

// conn is one client connection served here.
type conn struct {
	srv    *Server
	rwc    net.Conn
	raw    syscall.RawConn // for sendfile; nil if rwc has no file descriptor
	remote string
	tls    *tls.ConnectionState // Request.TLS, when Front put a TLS connection in place
	ctx    context.Context      // Server.ConnContext's, for request values; nil without
	state  atomic.Int32

	buf []byte // read buffer; buf[off:] is read but not yet consumed
	off int

	wbuf []byte // a response body gathered before its head is sent
	hbuf []byte // a response head being built
	gbuf []byte // response parts gathered for one Write; only without a socket (gather.go)
	keys []string

	body bodyReader
	bg   [1]byte // the background read's byte (the next request's first)

	lingering    bool // close the write side first: a request body is left unread
	headTimedOut bool // the head being handed off was cut by ReadHeaderTimeout
	headDeadline bool // front left the first head's deadline set
}

// maxDrain is how much of an unread request body is discarded to keep the
// connection; from it on the connection closes (the response says so), as
// net/http does with its maxPostHandlerReadBytes.
const maxDrain = 256 << 10

func (c *conn) serve() {
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler {
			c.srv.logf("h1: panic serving %s: %v\n%s", c.remote, p, debug.Stack())
		}
		if c.state.Load() != stateGone {
			if c.lingering {
				closeWriteAndWait(c.rwc)
			}
			c.rwc.Close()
			c.srv.stats.open.Add(-1)
		}
		c.srv.untrack(c)
	}()
	c.remote = c.rwc.RemoteAddr().String()
	if sc, ok := c.rwc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	c.buf = make([]byte, 0, 4096)
	if c.srv.Front != nil && !c.front() {
		return
	}
	c.connContext()
	for first := true; ; first = false {
		c.state.Store(stateIdle)
		if c.srv.shutting.Load() {
			return
		}
		end, ok := c.readHead(first)
		if !ok {
			return
		}
		if end < 0 {
			c.handOff()
			return
		}
		h, ok := parseHead(c.buf[c.off : c.off+end])
		var u *url.URL
		if ok {
			u, ok = parseTarget(h.target)
		}
		if !ok {
			c.handOff()
			return
		}
		c.off += end
		if !c.serveOne(&h, u) {
			return
		}
	}
}

// Which read deadline readHead has set.
const (
	noDeadline = iota
	idleDeadline
	headerDeadline
)

// readHead reads until buf[off:] holds a whole request head and returns
// its length; -1 when the head is one for the fallback (too large, LF-only
// line ends, cut short by EOF or ReadHeaderTimeout); false when the connection failed, timed
// out or closed between requests.
//
// Deadlines as net/http's: the first head must be complete within
// ReadHeaderTimeout of the accept; a later one within ReadHeaderTimeout of
// its first byte, which must come within IdleTimeout.
func (c *conn) readHead(first bool) (int, bool) {
	s := c.srv
	deadline := noDeadline
	if first && c.headDeadline {
		deadline = headerDeadline // set by front, from the accept
	} else if len(c.buf) == c.off {
		switch {
		case first && s.ReadHeaderTimeout > 0:
			c.rwc.SetReadDeadline(time.Now().Add(s.ReadHeaderTimeout))
			deadline = headerDeadline
		case !first && s.IdleTimeout > 0:
			c.rwc.SetReadDeadline(time.Now().Add(s.IdleTimeout))
			deadline = idleDeadline
		}
	}
	for {
		if p := c.buf[c.off:]; len(p) > 0 {
			c.state.Store(stateActive)
			if end := headEnd(p); end != 0 {
				if deadline != noDeadline {
					c.rwc.SetReadDeadline(time.Time{})
				}
				if end > maxHead {
					// Whether a long head arrived in one read or in
					// several (TLS reads 16 KB at a time) must not decide
					// who serves it.
					end = -1
				}
				return end, true // a head, or -1 for one net/http should parse
			}
			if len(p) >= maxHead {
				return -1, true
			}
			switch {
			case s.ReadHeaderTimeout > 0 && deadline != headerDeadline:
				c.rwc.SetReadDeadline(time.Now().Add(s.ReadHeaderTimeout))
				deadline = headerDeadline
			case s.ReadHeaderTimeout <= 0 && deadline == idleDeadline:
				c.rwc.SetReadDeadline(time.Time{}) // no longer idle; no head limit
				deadline = noDeadline
			}
		}
		if c.off > 0 {
			n := copy(c.buf[:cap(c.buf)], c.buf[c.off:])
			c.buf, c.off = c.buf[:n], 0
		}
		if len(c.buf) == cap(c.buf) {
			c.buf = append(c.buf, make([]byte, cap(c.buf))...)[:len(c.buf)]
		}
		var n int
		var err error
		if rawIO && c.raw != nil {
			n, err = rawRead(c.raw, c.buf[len(c.buf):cap(c.buf)])
		} else {
			n, err = c.rwc.Read(c.buf[len(c.buf):cap(c.buf)])
		}
		c.buf = c.buf[:len(c.buf)+n]
		if err != nil && n == 0 {
			var ne net.Error
			timeout := errors.As(err, &ne) && ne.Timeout()
			if timeout {
				switch deadline {
				case headerDeadline:
					s.stats.headerTimeouts.Add(1)
				case idleDeadline:
					s.stats.idleCloses.Add(1)
				}
			}
			if timeout && deadline == headerDeadline && len(c.buf) > c.off {
				// A head begun and not finished in time: 408, then a
				// clean close (slowHead says why not net/http's silence).
				c.rwc.SetDeadline(time.Now().Add(rstAvoidance))
				if _, err := io.WriteString(c.rwc, slowHead); err == nil {
					closeWriteAndWait(c.rwc)
				}
				return 0, false
			}
			if len(c.buf) > c.off {
				// A head cut short by EOF: net/http has its own answer to
				// that, so it gets the bytes, then the same error.
				c.headTimedOut = timeout
				return -1, true
			}
			return 0, false
		}
	}
}

// handOff gives the connection, with what was read of it, to the
// fallback server.
func (c *conn) handOff() {
	c.rwc.SetReadDeadline(time.Time{})
	pc := &prefixConn{Conn: c.rwc, buf: append([]byte(nil), c.buf[c.off:]...), srv: c.srv, timedOut: c.headTimedOut}
	c.state.Store(stateGone)
	if !c.srv.hand.give(pc) {
		pc.Close()
	}
}

// serveOne runs the handler for one request; false means the connection
// is done (closed, hijacked, or to be closed).
func (c *conn) serveOne(h *head, u *url.URL) bool {
	// One allocation for the response and the request's context.
	x := &reqState{}
	ctx := &x.ctx
	ctx.c = c
	base := http.Request{ // on the stack: WithContext copies it once
		Method:        h.method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    h.protoMinor,
		Header:        h.header,
		Body:          http.NoBody,
		ContentLength: h.length,
		Close:         h.close,
		Host:          h.host,
		RemoteAddr:    c.remote,
		RequestURI:    h.target,
		TLS:           c.tls,
	}
	if h.protoMinor == 0 {
		base.Proto = "HTTP/1.0"
	}
	c.body = bodyReader{c: c, left: h.length}
	if h.length > 0 {
		base.Body = &c.body
	}
	req := base.WithContext(ctx)
	w := &x.resp
	*w = response{c: c, req: req, ctx: ctx, header: make(http.Header, 4), declared: -1,
		head: h.method == http.MethodHead, protoMinor: h.protoMinor, closeAfter: h.close}

	c.srv.Handler.ServeHTTP(w, req)
	if w.hijacked {
		ctx.cancel()
		return false
	}
	gone := ctx.end()
	w.finish()
	if gone {
		return false
	}
	if c.body.left >= maxDrain {
		// The rest of the body is left unread (the response said
		// Connection: close); closing on it would reset the connection,
		// which can lose the response.
		c.lingering = true
		return false
	}
	if w.closeAfter {
		return false
	}
	if c.body.left > 0 {
		if _, err := io.Copy(io.Discard, &c.body); err != nil {
			return false
		}
	}
	return true
}

// reqState is one request's response and context, allocated together.
type reqState struct {
	resp response
	ctx  reqCtx
}

// bodyReader is a request body of known length: first what the read
// buffer holds, then the connection.
type bodyReader struct {
	c    *conn
	left int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	var n int
	var err error
	if pend := b.c.buf[b.c.off:]; len(pend) > 0 {
		n = copy(p, pend)
		b.c.off += n
	} else {
		n, err = b.c.rwc.Read(p)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	b.left -= int64(n)
	if b.left == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

func (b *bodyReader) Close() error { return nil }

// reqCtx is a request's context. It is canceled when the handler returns,
// and — once somebody waits on Done, as a simulated delay does — when the
// client goes away: only then does a background read watch the connection,
// so a plain request pays for neither a goroutine nor a cancel func.
type reqCtx struct {
	c        *conn
	mu       sync.Mutex
	done     chan struct{}
	err      error
	ended    bool
	bg       chan struct{} // closed when the background read returns
	aborting atomic.Bool
	gotByte  bool // the background read got the next request's first byte
}

func (x *reqCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

func (x *reqCtx) Value(key any) any {
	switch key {
	case http.LocalAddrContextKey:
		return x.c.rwc.LocalAddr()
	case http.ServerContextKey:
		return x.c.srv.fallback
	}
	if x.c.ctx != nil {
		return x.c.ctx.Value(key)
	}
	return nil
}

func (x *reqCtx) Done() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done == nil {
		x.done = make(chan struct{})
		if x.err != nil {
			close(x.done)
		} else {
			x.watchLocked()
		}
	}
	return x.done
}

func (x *reqCtx) Err() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}

// watchLocked starts the background read, unless the request body is
// still unread or the next request is already buffered: then the client
// is plainly there.
func (x *reqCtx) watchLocked() {
	c := x.c
	if x.ended || c.body.left > 0 || len(c.buf) > c.off {
		return
	}
	x.bg = make(chan struct{})
	go func() {
		defer close(x.bg)
		n, err := c.rwc.Read(c.bg[:])
		if n == 1 {
			x.gotByte = true
			return
		}
		if x.aborting.Load() {
			return
		}
		_ = err // EOF or a reset: the client is gone
		x.cancel()
	}()
}

func (x *reqCtx) cancel() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err == nil {
		x.err = context.Canceled
		if x.done != nil {
			close(x.done)
		}
	}
}

// stopWatch ends the background read, keeping a byte it read; true if it
// saw the client go away.
func (x *reqCtx) stopWatch() (gone bool) {
	x.mu.Lock()
	x.ended = true
	bg := x.bg
	x.mu.Unlock()
	if bg == nil {
		return false
	}
	x.aborting.Store(true)
	x.c.rwc.SetReadDeadline(aLongTimeAgo)
	<-bg
	x.c.rwc.SetReadDeadline(time.Time{})
	if x.gotByte {
		x.c.buf = append(x.c.buf, x.c.bg[0])
		x.gotByte = false
	}
	return x.Err() != nil
}

// end is called when the handler returned: stop watching, cancel.
func (x *reqCtx) end() (gone bool) {
	gone = x.stopWatch()
	x.cancel()
	return gone
}

var aLongTimeAgo = time.Unix(1, 0)

var errAfterHandler = errors.New("h1: write after the handler returned")
