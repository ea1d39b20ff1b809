package cassettes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// encoderOptions configure every zstd encoder of the package.
var encoderOptions = []zstd.EOption{
	zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
	zstd.WithEncoderConcurrency(2),
	zstd.WithWindowSize(1 << 22),
}

// The shared zstd encoder and decoder. EncodeAll and DecodeAll are safe for
// concurrent use, so one of each serves every cassette in the process
// rather than one per value.
var (
	encoder, _ = zstd.NewWriter(nil, encoderOptions...)
	decoder, _ = zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(2),
		zstd.WithDecoderMaxMemory(1<<30),
		zstd.WithDecoderDictRaw(recordDictID, recordDict))
)

func compress(dst, src []byte) []byte { return encoder.EncodeAll(src, dst) }

func decompress(src []byte) ([]byte, error) {
	out, err := decoder.DecodeAll(src, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
	}
	return out, nil
}

// errShort is what the binary readers below report; callers wrap it.
var errShort = errors.New("short record")

// reader decodes the length-prefixed binary records written with the
// append helpers. The first error sticks; later reads return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes() []byte {
	out := r.bytesWithTail()
	return out[:len(out):len(out)]
}

// bytesWithTail is bytes with the capacity of the rest of the buffer:
// for bit readers that read a few bytes ahead (the bytes after it are
// only read, never written).
func (r *reader) bytesWithTail() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) string() string { return string(r.bytes()) }

func (r *reader) header() http.Header {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	h := make(http.Header, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.string()
		m := r.uvarint()
		if m > uint64(len(r.b)) {
			r.err = errShort
			return nil
		}
		vs := make([]string, 0, m)
		for j := uint64(0); j < m && r.err == nil; j++ {
			vs = append(vs, r.string())
		}
		h[k] = vs
	}
	return h
}

func (r *reader) done() error {
	if r.err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, r.err)
	}
	return nil
}

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func appendVarint(b []byte, v int64) []byte   { return binary.AppendVarint(b, v) }

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendHeader writes h with its keys sorted, so equal headers encode
// equally.
func appendHeader(b []byte, h http.Header) []byte {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = appendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendUvarint(b, uint64(len(h[k])))
		for _, v := range h[k] {
			b = appendString(b, v)
		}
	}
	return b
}

// headerSize approximates h's size on the wire, for raw-traffic accounting.
func headerSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// u64 is a big-endian key, so bbolt's byte order is numeric order.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// timeKey maps a signed Unix-ms time to a key that sorts like the time.
func timeKey(t int64) []byte { return u64(uint64(t) ^ (1 << 63)) }

func keyTime(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

func joinKey(parts ...string) string { return strings.Join(parts, "\x00") }
