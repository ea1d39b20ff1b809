package h1

import (
	"bufio"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// bufferLimit is how much body is gathered before the head goes out
// without a Content-Length (chunked, as net/http does past its buffer).
const bufferLimit = 256 << 10

// response is the http.ResponseWriter of one request. A body written in one
// Write matching the handler's Content-Length leaves with the head in one
// writev and is never copied; anything else is gathered, and sent with a
// computed Content-Length when the handler returns (or chunked when it
// flushes or writes more than bufferLimit).
type response struct {
	c          *conn
	req        *http.Request
	ctx        *reqCtx
	header     http.Header
	status     int
	declared   int64 // the handler's Content-Length, or -1
	written    int64
	protoMinor int

	head, wroteHeader, committed, chunked, hijacked, done bool
	closeAfter                                            bool
	err                                                   error
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.hijacked || w.done || w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	if v := w.header["Content-Length"]; len(v) > 0 {
		n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64)
		if err != nil || n < 0 || len(v) > 1 {
			// net/http drops an unusable Content-Length too.
			delete(w.header, "Content-Length")
		} else {
			w.declared = n
		}
	}
}

// writeInformational sends a 1xx head at once (103 Early Hints and the
// like); the final response follows.
func (w *response) writeInformational(code int) {
	if w.committed {
		return
	}
	b := appendStatusLine(w.c.hbuf[:0], code)
	b = w.appendHeaderLines(b)
	b = append(b, "\r\n"...)
	w.c.hbuf = b
	w.send(b)
}

func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == http.StatusNoContent || status == http.StatusNotModified)
}

func (w *response) Write(p []byte) (int, error) {
	if w.done {
		return 0, errAfterHandler
	}
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if w.committed {
		return w.writeBody(p)
	}
	c := w.c
	if w.declared >= 0 && len(c.wbuf) == 0 && int64(len(p)) == w.declared {
		// The whole body in one go: out with the head, uncopied.
		if err := w.commit(false, p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if len(c.wbuf)+len(p) <= bufferLimit {
		c.wbuf = append(c.wbuf, p...)
		return len(p), nil
	}
	if err := w.commit(false, nil); err != nil {
		return 0, err
	}
	return w.writeBody(p)
}

// WriteStatic is Write for a body that is never modified again, ever (a
// cached answer): written whole, matching the handler's Content-Length, a
// body of staticMin bytes or more goes out by sendfile from a memory file
// it is copied to once (see static.go). Anything else is an ordinary
// Write. Handlers reach it through plugins.WriteStatic.
func (w *response) WriteStatic(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	c := w.c
	if len(p) < staticMin || c.raw == nil || w.head || w.committed || w.done || w.hijacked || w.err != nil ||
		len(c.wbuf) > 0 || w.written != 0 || w.declared != int64(len(p)) || !bodyAllowed(w.status) {
		return w.Write(p)
	}
	st := &c.srv.static
	ref, ok := st.acquire(p)
	if !ok {
		return w.Write(p)
	}
	defer st.release(ref)
	w.written = int64(len(p))
	head := w.buildHead(false, p)
	if err := w.fail(sendStatic(c.raw, head, ref.a.fd, ref.off, len(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeBody sends p after the head went out.
func (w *response) writeBody(p []byte) (int, error) {
	if w.head {
		return len(p), nil
	}
	var err error
	if w.chunked {
		size := strconv.AppendInt(w.c.hbuf[:0], int64(len(p)), 16)
		size = append(size, "\r\n"...)
		w.c.hbuf = size
		err = w.send(size, p, crlf)
	} else {
		err = w.send(p)
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// send writes bufs with one writev on a socket, gathered into whole TLS
// records' worth on anything else (gather.go); an error closes the
// connection after this request.
func (w *response) send(bufs ...[]byte) error {
	if w.err != nil {
		return w.err
	}
	var err error
	if rawIO && w.c.raw != nil {
		err = rawWritev(w.c.raw, bufs)
	} else {
		err = w.c.writeGathered(bufs) // gather.go
	}
	return w.fail(err)
}

// fail records a write error (nil is none): the response is broken and
// the connection closes after it.
func (w *response) fail(err error) error {
	if err != nil {
		w.err = err
		w.closeAfter = true
	}
	return err
}

// commit sends the head, then what the body buffer holds, then extra.
// final means the handler returned: the body is whole, so it gets a
// Content-Length rather than chunks.
func (w *response) commit(final bool, extra []byte) error {
	c := w.c
	b := w.buildHead(final, extra)
	body := c.wbuf
	if w.head || !bodyAllowed(w.status) {
		body, extra = nil, nil
	}
	var err error
	switch {
	case w.chunked && len(body) > 0:
		size := fmt.Appendf(nil, "%x\r\n", len(body))
		err = w.send(b, size, body, crlf)
	default:
		err = w.send(b, body, extra)
	}
	c.wbuf = c.wbuf[:0]
	return err
}

// buildHead marks the response committed, settles its framing and returns
// the head (status line, headers, blank line) in c.hbuf. sniff is the
// first body bytes when the buffer holds none.
func (w *response) buildHead(final bool, sniff []byte) []byte {
	w.committed = true
	c := w.c
	allowed := bodyAllowed(w.status)
	if allowed && w.declared < 0 {
		switch {
		case final:
			w.declared = w.written
			w.header["Content-Length"] = []string{strconv.FormatInt(w.written, 10)}
		case w.protoMinor == 1:
			w.chunked = true
		default:
			w.closeAfter = true // HTTP/1.0: the body ends with the connection
		}
	}
	if allowed && !w.head || len(c.wbuf) > 0 {
		if _, ok := w.header["Content-Type"]; !ok && w.header.Get("Content-Encoding") == "" {
			if len(c.wbuf) > 0 {
				sniff = c.wbuf
			}
			if len(sniff) > 0 {
				w.header["Content-Type"] = []string{http.DetectContentType(sniff)}
			}
		}
	}
	if v, ok := w.header["Connection"]; ok && len(v) > 0 && strings.EqualFold(strings.TrimSpace(v[0]), "close") {
		w.closeAfter = true
	}
	if c.body.left >= maxDrain {
		// Too much body unread to drain it: say so, as net/http does
		// (overriding the handler's Connection header).
		w.closeAfter = true
		delete(w.header, "Connection")
	}

	b := appendStatusLine(c.hbuf[:0], w.status)
	b = w.appendHeaderLines(b)
	if _, ok := w.header["Date"]; !ok {
		b = append(b, "Date: "...)
		b = appendDate(b)
		b = append(b, "\r\n"...)
	}
	if w.chunked {
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	if _, ok := w.header["Connection"]; !ok {
		if w.closeAfter {
			b = append(b, "Connection: close\r\n"...)
		} else if w.protoMinor == 0 {
			b = append(b, "Connection: keep-alive\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	c.hbuf = b
	return b
}

// appendHeaderLines writes the handler's headers, sorted by name, as
// net/http does; values lose any CR or LF.
func (w *response) appendHeaderLines(b []byte) []byte {
	keys := w.c.keys[:0]
	for k := range w.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.c.keys = keys[:0]
	for _, k := range keys {
		if !validFieldName(k) || k == "Transfer-Encoding" { // framing is ours
			continue
		}
		for _, v := range w.header[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			start := len(b)
			b = append(b, strings.TrimSpace(v)...)
			for i := start; i < len(b); i++ {
				if b[i] == '\r' || b[i] == '\n' {
					b[i] = ' '
				}
			}
			b = append(b, "\r\n"...)
		}
	}
	return b
}

func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := range len(k) {
		if !isToken(k[i]) {
			return false
		}
	}
	return true
}

// finish completes the response after the handler returned.
func (w *response) finish() {
	defer func() {
		w.done = true
		if cap(w.c.wbuf) > bufferLimit {
			w.c.wbuf = nil
		} else {
			w.c.wbuf = w.c.wbuf[:0]
		}
	}()
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case !w.committed:
		w.commit(true, nil)
	case w.chunked:
		w.send(lastChunk)
	}
	if bodyAllowed(w.status) && !w.head && w.declared >= 0 && w.written < w.declared {
		w.closeAfter = true // the client waits for bytes that never come
	}
}

var lastChunk = []byte("0\r\n\r\n")

// Flush sends the head and what is gathered so far (http.Flusher).
func (w *response) Flush() { w.FlushError() }

// FlushError is Flush reporting the write error (for http.ResponseController).
func (w *response) FlushError() error {
	if w.done || w.hijacked {
		return errAfterHandler
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		return w.commit(false, nil)
	}
	return w.err
}

// Hijack hands the connection to the handler (http.Hijacker).
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.done || w.wroteHeader {
		return nil, nil, errors.New("h1: Hijack after the response started")
	}
	w.ctx.stopWatch()
	w.hijacked = true
	c := w.c
	c.state.Store(stateGone)
	pc := &prefixConn{Conn: c.rwc, buf: append([]byte(nil), c.buf[c.off:]...), srv: c.srv}
	rw := bufio.NewReadWriter(bufio.NewReader(pc), bufio.NewWriter(c.rwc))
	return pc, rw, nil
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error  { return w.c.rwc.SetReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.rwc.SetWriteDeadline(t) }

// appendStatusLine appends "HTTP/1.1 200 OK\r\n" and the like.
func appendStatusLine(b []byte, code int) []byte {
	if code == http.StatusOK {
		return append(b, "HTTP/1.1 200 OK\r\n"...)
	}
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	b = append(b, text...)
	return append(b, "\r\n"...)
}

// The Date header, formatted once a second.
type dateStamp struct {
	sec int64
	b   []byte
}

var date atomic.Pointer[dateStamp]

func appendDate(b []byte) []byte {
	now := time.Now()
	sec := now.Unix()
	d := date.Load()
	if d == nil || d.sec != sec {
		d = &dateStamp{sec: sec, b: now.UTC().AppendFormat(nil, http.TimeFormat)}
		date.Store(d)
	}
	return append(b, d.b...)
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}
