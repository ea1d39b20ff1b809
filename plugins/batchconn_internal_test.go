package plugins

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// writesConn records each Write the batch makes on the connection.
type writesConn struct {
	net.Conn
	writes [][]byte
}

func (c *writesConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (c *writesConn) SetWriteDeadline(time.Time) error { return nil }

// A batch gathers small frames into one write; a big one goes out
// after what was gathered, in its own write and in order, without being
// copied into the batch's buffer (which a thousand clients of a jumping
// market's 80 kB diff each grew at once).
func TestBatchConnWritesABigFrameThrough(t *testing.T) {
	nc := &writesConn{}
	c := &batchConn{Conn: nc}
	small1, small2 := bytes.Repeat([]byte{'a'}, 100), bytes.Repeat([]byte{'b'}, 200)
	big := bytes.Repeat([]byte{'c'}, 80<<10)
	small3 := bytes.Repeat([]byte{'d'}, 300)
	c.begin()
	for _, p := range [][]byte{small1, small2, big, small3} {
		if n, err := c.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	want := [][]byte{append(append([]byte(nil), small1...), small2...), big, small3}
	if len(nc.writes) != len(want) {
		t.Fatalf("%d writes on the connection, want %d", len(nc.writes), len(want))
	}
	for i := range want {
		if !bytes.Equal(nc.writes[i], want[i]) {
			t.Fatalf("write %d: %d bytes, want %d", i, len(nc.writes[i]), len(want[i]))
		}
	}
	if cap(c.buf) >= bigWrite {
		t.Fatalf("the batch's buffer grew to %d bytes", cap(c.buf))
	}
	// Outside a batch, every write goes straight through.
	nc.writes = nil
	c.Write(small1)
	if len(nc.writes) != 1 || len(c.buf) != 0 {
		t.Fatalf("outside a batch: %d writes, %d bytes held", len(nc.writes), len(c.buf))
	}
}

// Over a TCP connection, what a batch gathered and the big frame behind
// it go out in one vectored write: the peer reads every byte, in order,
// and Write reports the big frame's own length.
func TestBatchConnWritesABigFrameWithWhatItGathered(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		pc, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer pc.Close()
		var b bytes.Buffer
		b.ReadFrom(pc)
		got <- b.Bytes()
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := &batchConn{Conn: nc}
	head, big := writeHeadAndBig(t, c)
	if len(c.buf) != 0 {
		t.Fatalf("%d bytes still held after the big write", len(c.buf))
	}
	c.flush()
	nc.Close()
	if b := <-got; !bytes.Equal(b, append(append([]byte(nil), head...), big...)) {
		t.Fatalf("the peer read %d bytes, not the head and the frame in order", len(b))
	}
}

// vecConn records WriteBuffers as one write, as internal/h1's hijacked
// connection makes it (one writev).
type vecConn struct {
	writesConn
	vectored int
}

func (c *vecConn) WriteBuffers(b *net.Buffers) (int64, error) {
	c.vectored++
	var all []byte
	for _, p := range *b {
		all = append(all, p...)
	}
	c.writes = append(c.writes, all)
	return int64(len(all)), nil
}

// Over a connection that passes vectored writes on (the one internal/h1
// hands over on a WebSocket upgrade), a big frame and what was gathered
// before it are one write.
func TestBatchConnWritesThroughAWrappedConnectionInOneWrite(t *testing.T) {
	nc := &vecConn{}
	c := &batchConn{Conn: nc}
	head, big := writeHeadAndBig(t, c)
	c.flush()
	if nc.vectored != 1 || len(nc.writes) != 1 || !bytes.Equal(nc.writes[0], append(append([]byte(nil), head...), big...)) {
		t.Fatalf("%d writes (%d vectored), want the head and the frame in one", len(nc.writes), nc.vectored)
	}
}

// writeHeadAndBig opens a batch on c and writes a 4 kB head (gathered)
// and an 80 kB frame (written through), as gorilla writes a big frame.
func writeHeadAndBig(t *testing.T, c *batchConn) (head, big []byte) {
	t.Helper()
	head, big = bytes.Repeat([]byte{'h'}, 4096), bytes.Repeat([]byte{'p'}, 80<<10)
	c.begin()
	c.Write(head)
	if n, err := c.Write(big); n != len(big) || err != nil {
		t.Fatalf("Write(big): %d, %v", n, err)
	}
	return head, big
}
