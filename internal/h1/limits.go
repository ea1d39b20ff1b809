package h1

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Stats counts what the server did to connections outside of answering
// requests: the ways a connection ends without a response. Connections
// handed to the fallback are counted in Open, not in the timeouts (net/http
// enforces its own).
type Stats struct {
	// Open is the number of connections open now: served here, handed to
	// the fallback, or hijacked (until whoever holds them closes them).
	Open int64 `json:"open"`
	// AcceptErrors counts failed accepts that were retried (out of file
	// descriptors, aborted handshakes, ...).
	AcceptErrors int64 `json:"accept_errors"`
	// Refused counts connections answered 503 and closed because MaxConns
	// were open.
	Refused int64 `json:"refused"`
	// HeaderTimeouts counts connections closed because a request head was
	// not complete within ReadHeaderTimeout (of the accept, for a first
	// request; of its first byte, for a later one).
	HeaderTimeouts int64 `json:"header_timeouts"`
	// IdleCloses counts kept-alive connections closed after IdleTimeout
	// without a next request.
	IdleCloses int64 `json:"idle_closes"`
}

// counters are the live Stats.
type counters struct {
	open, acceptErrors, refused, headerTimeouts, idleCloses atomic.Int64
	refusing                                                atomic.Int32 // refusals in progress
}

// Stats returns the counters; safe to call at any time.
func (s *Server) Stats() Stats {
	return Stats{
		Open:           s.stats.open.Load(),
		AcceptErrors:   s.stats.acceptErrors.Load(),
		Refused:        s.stats.refused.Load(),
		HeaderTimeouts: s.stats.headerTimeouts.Load(),
		IdleCloses:     s.stats.idleCloses.Load(),
	}
}

// temporaryAccept reports whether an accept error is worth retrying: what
// net/http's use of the deprecated Temporary() covers (EMFILE, ENFILE,
// EINTR, timeouts, ECONNRESET and ECONNABORTED from accept), and the other
// shortages of a busy machine, ENOBUFS and ENOMEM.
func temporaryAccept(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range temporaryErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

var temporaryErrnos = []error{
	syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
	syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.EPROTO,
}

// burst logs a run of like events once when it starts and once when it
// ends, however many it holds: an accept failing every few milliseconds
// for a minute is two log lines, not thousands.
type burst struct {
	n     int64
	start time.Time
}

// hit records one event; true if it starts a burst.
func (b *burst) hit() bool {
	b.n++
	if b.n == 1 {
		b.start = time.Now()
		return true
	}
	return false
}

// end closes the burst; the number of events and how long it lasted, n 0
// if none was running.
func (b *burst) end() (n int64, d time.Duration) {
	n, d = b.n, time.Since(b.start)
	b.n = 0
	return n, d
}

// maxRefusing bounds the refusals in progress: past it a connection over
// the cap is closed without its 503, so that a flood cannot hold more
// than this many descriptors above MaxConns.
const maxRefusing = 64

// slowHead is what a connection gets whose request head began but did not
// end within ReadHeaderTimeout (a slowloris, or a client stuck mid-head).
// net/http closes such a connection without a word (or answers 400 when
// the cut line has no colon); nginx and Apache say 408 first, and so do
// we: a client should learn why its request got no answer.
const slowHead = "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Connection: close\r\nContent-Length: 48\r\n\r\nrequest head not received within the time limit\n"

// refusal is what a connection over MaxConns gets.
const refusal = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Connection: close\r\nRetry-After: 1\r\nContent-Length: 39\r\n\r\ntoo many open connections; retry later\n"

// refuse answers rwc 503 and closes it cleanly, on its own goroutine: the
// write side first, then the rest once the client has closed too (or
// after rstAvoidance), so that its unread request does not turn the close
// into a reset that loses the 503.
func (s *Server) refuse(rwc net.Conn) {
	if s.stats.refusing.Add(1) > maxRefusing {
		s.stats.refusing.Add(-1)
		rwc.Close()
		return
	}
	s.mu.Lock()
	if s.shutting.Load() { // Shutdown may be waiting on refusers already
		s.mu.Unlock()
		s.stats.refusing.Add(-1)
		rwc.Close()
		return
	}
	s.refusers.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.refusers.Done()
		defer s.stats.refusing.Add(-1)
		sendRefusal(rwc)
	}()
}

func sendRefusal(rwc net.Conn) {
	rwc.SetDeadline(time.Now().Add(rstAvoidance))
	if _, err := io.WriteString(rwc, refusal); err == nil {
		closeWriteAndWait(rwc)
	}
	rwc.Close()
}

// rstAvoidance is how long a connection closed with its request unread is
// kept half-closed so that the client reads the last response before the
// close resets the connection; net/http waits the same.
const rstAvoidance = 500 * time.Millisecond

type closeWriter interface{ CloseWrite() error }

// closeWriteAndWait sends a FIN and waits for the client's, reading and
// discarding what it still sends, for at most rstAvoidance; as net/http's
// closeWriteAndWait, which sleeps the whole time instead.
func closeWriteAndWait(rwc net.Conn) {
	cw, ok := rwc.(closeWriter)
	if !ok || cw.CloseWrite() != nil {
		return
	}
	rwc.SetReadDeadline(time.Now().Add(rstAvoidance))
	var buf [512]byte
	for {
		if _, err := rwc.Read(buf[:]); err != nil {
			return
		}
	}
}
