package cassettes

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Direction says who sent a WS frame.
type Direction uint8

// Frame directions.
const (
	FromClient Direction = 1 // client to exchange (subscribe, ping, ...)
	FromServer Direction = 2 // exchange to client (data, acks, ...)
)

func (d Direction) String() string {
	switch d {
	case FromClient:
		return "client"
	case FromServer:
		return "server"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Conn is one recorded WS connection.
type Conn struct {
	ID    uint64
	URL   string // path and query the client asked for, secrets redacted
	Start time.Time
	// End and CloseCode are set when the connection ended (zero while it
	// is open or if the recorder died first).
	End       time.Time
	CloseCode int
	Frames    int64
	// Streams counts frames per stream label (see Frame.Stream).
	Streams map[string]int64
}

// Frame is one WS message.
type Frame struct {
	Conn uint64
	Seq  uint64 // per connection, from 1, in order
	Dir  Direction
	// Opcode is the WS message type: 1 text, 2 binary, 8 close, 9 ping,
	// 10 pong (gorilla/websocket's constants).
	Opcode int
	// Offset is the time since the connection started.
	Offset time.Duration
	// Stream labels frames that carry klines, e.g. "BTCUSDT 1m"; empty
	// for others (acks, pings).
	Stream  string
	Payload []byte
}

func encodeConn(c *Conn) []byte {
	b := appendString(nil, c.URL)
	b = appendVarint(b, c.Start.UnixNano())
	end := int64(0)
	if !c.End.IsZero() {
		end = c.End.UnixNano()
	}
	b = appendVarint(b, end)
	b = appendVarint(b, int64(c.CloseCode))
	b = appendVarint(b, c.Frames)
	keys := make([]string, 0, len(c.Streams))
	for k := range c.Streams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = appendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendVarint(b, c.Streams[k])
	}
	return b
}

func decodeConn(id uint64, v []byte) (*Conn, error) {
	r := &reader{b: v}
	c := &Conn{ID: id, Streams: map[string]int64{}}
	c.URL = r.string()
	c.Start = time.Unix(0, r.varint()).UTC()
	if end := r.varint(); end != 0 {
		c.End = time.Unix(0, end).UTC()
	}
	c.CloseCode = int(r.varint())
	c.Frames = r.varint()
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.string()
		c.Streams[k] = r.varint()
	}
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("conn %d: %w", id, err)
	}
	return c, nil
}

// encodeFrames packs frames of one connection, written in one batch, into
// one compressed chunk: small frames compress far better together.
func encodeFrames(fs []Frame) []byte {
	size := 16
	for i := range fs {
		size += len(fs[i].Payload) + len(fs[i].Stream) + 12
	}
	b := make([]byte, 0, size)
	b = appendUvarint(b, uint64(len(fs)))
	var prev time.Duration
	for _, f := range fs {
		b = append(b, byte(f.Dir), byte(f.Opcode))
		b = appendVarint(b, int64(f.Offset-prev))
		prev = f.Offset
		b = appendString(b, f.Stream)
		b = appendBytes(b, f.Payload)
	}
	return compress([]byte{kindFrames}, b)
}

func decodeFrames(conn, first uint64, v []byte) ([]Frame, error) {
	if len(v) == 0 || v[0] != kindFrames {
		return nil, fmt.Errorf("%w: frame chunk of unknown kind", ErrCorrupt)
	}
	raw, err := decompress(v[1:])
	if err != nil {
		return nil, err
	}
	r := &reader{b: raw}
	n := r.uvarint()
	if n > uint64(len(raw)) {
		return nil, fmt.Errorf("%w: frame count %d", ErrCorrupt, n)
	}
	fs := make([]Frame, 0, n)
	var off time.Duration
	for i := uint64(0); i < n && r.err == nil; i++ {
		f := Frame{Conn: conn, Seq: first + i}
		f.Dir = Direction(r.byte())
		f.Opcode = int(r.byte())
		off += time.Duration(r.varint())
		f.Offset = off
		f.Stream = r.string()
		f.Payload = r.bytes()
		fs = append(fs, f)
	}
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("frames of conn %d: %w", conn, err)
	}
	return fs, nil
}

// Conns lists the recorded WS connections in order of connection.
func (c *Cassette) Conns() ([]*Conn, error) {
	var out []*Conn
	err := c.view(func(tx *bolt.Tx) error {
		return c.root(tx).Bucket(bucketConns).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return corruptAt(string(bucketConns), k, fmt.Errorf("%w: conn key", ErrCorrupt))
			}
			p, err := c.sealed.open(string(bucketConns), k, v)
			if err != nil {
				return err
			}
			conn, err := decodeConn(keyU64(k), p)
			if err != nil {
				return corruptAt(string(bucketConns), k, err)
			}
			out = append(out, conn)
			return nil
		})
	})
	return out, err
}

// Frames calls fn with each frame of connection conn in order until fn
// returns an error, which is returned.
func (c *Cassette) Frames(conn uint64, fn func(Frame) error) error {
	return c.view(func(tx *bolt.Tx) error {
		want := int64(-1)
		if c.sealed {
			if v := c.root(tx).Bucket(bucketConns).Get(u64(conn)); v != nil {
				p, err := c.sealed.open(string(bucketConns), u64(conn), v)
				if err != nil {
					return err
				}
				rec, err := decodeConn(conn, p)
				if err != nil {
					return corruptAt(string(bucketConns), u64(conn), err)
				}
				want = rec.Frames
			}
		}
		return eachFrame(c.root(tx), c.sealed, conn, want, fn)
	})
}

// eachFrame calls fn with the frames of conn in order. In a sealed
// cassette it checks the chunks follow on from each other (frame sequence
// numbers from 1 without a gap) and hold the count the connection record
// has (want; -1 if unknown), so a chunk a damaged page hides is an error
// rather than a shorter stream.
func eachFrame(tx store, sealed sealing, conn uint64, want int64, fn func(Frame) error) error {
	prefix := u64(conn)
	bucket := string(bucketFrames)
	cur := tx.Bucket(bucketFrames).Cursor()
	k, v, err := seek(cur, bucket, prefix)
	if err != nil {
		return err
	}
	next := uint64(1)
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		if len(k) != 16 {
			return corruptAt(bucket, k, fmt.Errorf("%w: frame key", ErrCorrupt))
		}
		p, err := sealed.open(bucket, k, v)
		if err != nil {
			return err
		}
		first := keyU64(k[8:])
		if sealed && first != next {
			return corruptAt(bucket, k, fmt.Errorf("%w: frames of conn %d resume at %d, want %d", ErrCorrupt, conn, first, next))
		}
		fs, err := decodeFrames(conn, first, p)
		if err != nil {
			return corruptAt(bucket, k, err)
		}
		next = first + uint64(len(fs))
		for _, f := range fs {
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	if sealed && want >= 0 && int64(next-1) != want {
		return corruptAt(string(bucketConns), prefix, fmt.Errorf("%w: conn %d records %d frames, %d are stored", ErrCorrupt, conn, want, next-1))
	}
	return nil
}

// StreamFrames calls fn with every frame labelled stream, connection by
// connection, each in order. Offsets stay relative to their own
// connection's start; Conn tells them apart.
func (c *Cassette) StreamFrames(stream string, fn func(Frame) error) error {
	conns, err := c.Conns()
	if err != nil {
		return err
	}
	return c.view(func(tx *bolt.Tx) error {
		for _, conn := range conns {
			if conn.Streams[stream] == 0 {
				continue
			}
			err := eachFrame(c.root(tx), c.sealed, conn.ID, conn.Frames, func(f Frame) error {
				if f.Stream != stream {
					return nil
				}
				return fn(f)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}
