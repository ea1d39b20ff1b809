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

// batchConn is the connection under a session's websocket.Conn. While the
// write pump has a batch open, frames (from the pump, or control frames
// from the read loop) are gathered and written with one syscall when the
// queue runs dry: at --speed max a stream sends hundreds of thousands of
// small frames a second, and a syscall each would cap it far lower.
// Outside a batch every write goes straight through. The websocket.Conn's
// own write lock keeps frames whole.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	buf      []byte
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.batching {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
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
	// The frames were gathered under older deadlines: give the write
	// its own.
	c.Conn.SetWriteDeadline(time.Now().Add(writeWait))
	_, err := c.Conn.Write(c.buf)
	if cap(c.buf) > 4*maxBatch {
		c.buf = nil // a burst grew it: don't keep it
	} else {
		c.buf = c.buf[:0]
	}
	return err
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
