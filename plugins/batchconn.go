package plugins

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxBatch is how many bytes the write pump gathers before it writes them
// out even though more messages are queued.
const maxBatch = 64 << 10

// bigWrite is the write a batch does not take in: what it gathered goes
// out, then the write itself, rather than be copied into a buffer grown
// to hold it. A book diff of a jumping market runs to 80 kB, sent to
// every client of the symbol in the same step: gathered, each
// connection's buffer grew to it (kept after, up to 4·maxBatch), tens of
// MB at once, and the server stalled for a few hundred ms on the
// allocation. Its syscall is a small part of such a write.
const bigWrite = 16 << 10

// batchConn is the connection under a session's websocket.Conn. While the
// write pump has a batch open, frames (from the pump, or control frames
// from the read loop) are gathered and written with one syscall when the
// queue runs dry: at --speed max a stream sends hundreds of thousands of
// small frames a second, and a syscall each would cap it far lower.
// Outside a batch every write goes straight through. The websocket.Conn's
// own write lock keeps frames whole.
//
// Write deadlines are set on the connection only when a write needs one
// other than the one it has: the websocket.Conn sets its deadline before
// every frame and a flush sets its own, and each setting is a runtime
// timer update, two a message at a thousand clients on a diff stream.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	buf      []byte
	// deadline is the write deadline last asked for (SetWriteDeadline),
	// for the writes that go straight through; applied is the one the
	// connection has.
	deadline, applied time.Time
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.batching {
		if len(p) < bigWrite {
			c.buf = append(c.buf, p...)
			return len(p), nil
		}
		c.batchDeadline()
		return c.writeThrough(p)
	}
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	if !c.applied.Equal(c.deadline) {
		c.Conn.SetWriteDeadline(c.deadline)
		c.applied = c.deadline
	}
	return c.Conn.Write(p)
}

// writeThrough writes what the batch gathered and then p, with one
// vectored write where the connection has one (a TCP connection, or one
// that passes it on: buffersWriter): a big
// frame's header is gathered by itself just before its payload, and two
// writes sent it as a segment of its own, to every client of a diff
// stream at once.
func (c *batchConn) writeThrough(p []byte) (int, error) {
	if len(c.buf) == 0 {
		return c.Conn.Write(p)
	}
	head := len(c.buf)
	bufs := net.Buffers{c.buf, p}
	var n int64
	var err error
	if bw, ok := c.Conn.(buffersWriter); ok {
		n, err = bw.WriteBuffers(&bufs)
	} else {
		n, err = bufs.WriteTo(c.Conn)
	}
	c.reset()
	return max(0, int(n)-head), err
}

// buffersWriter is a connection that writes net.Buffers with one
// vectored write although it is not one of net's own (the connection
// internal/h1 hands over when a WebSocket upgrade hijacks it).
type buffersWriter interface {
	WriteBuffers(*net.Buffers) (int64, error)
}

// reset empties the batch's buffer, dropping it if a burst grew it.
func (c *batchConn) reset() {
	if cap(c.buf) > 4*maxBatch {
		c.buf = nil // a burst grew it: don't keep it
	} else {
		c.buf = c.buf[:0]
	}
}

// SetWriteDeadline sets the deadline of the writes that go straight
// through (a batch's flush has its own); the connection gets it at the
// next such write.
func (c *batchConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// SetDeadline is SetReadDeadline and SetWriteDeadline.
func (c *batchConn) SetDeadline(t time.Time) error {
	c.SetWriteDeadline(t)
	return c.Conn.SetReadDeadline(t)
}

// begin opens a batch.
func (c *batchConn) begin() {
	c.mu.Lock()
	c.batching = true
	c.mu.Unlock()
}

// pending is how many bytes the open batch holds.
func (c *batchConn) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// flush closes the batch and writes what it gathered.
func (c *batchConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batching = false
	return c.flushLocked()
}

func (c *batchConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	c.batchDeadline()
	_, err := c.Conn.Write(c.buf)
	c.reset()
	return err
}

// batchDeadline gives a batch's write its deadline: the frames were
// gathered under older ones, so writeWait from now give or take a second
// (renewed at most once a second).
func (c *batchConn) batchDeadline() {
	if now := time.Now(); c.applied.Before(now.Add(writeWait - time.Second)) {
		c.applied = now.Add(writeWait)
		c.Conn.SetWriteDeadline(c.applied)
	}
}

// batchWriter hands the upgrader a batchConn when it hijacks the
// connection.
type batchWriter struct {
	http.ResponseWriter
	conn *batchConn
}

// Hijack implements http.Hijacker through any wrapping middleware.
func (w *batchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: nc}
	return w.conn, brw, nil
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *batchWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
