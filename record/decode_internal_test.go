package record

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestDecodeBodyUndoesEveryContentEncoding(t *testing.T) {
	plain := bytes.Repeat([]byte(`[1704067200000,"42000.10"],`), 50)
	enc := func(w func(io.Writer) io.WriteCloser) []byte {
		var b bytes.Buffer
		zw := w(&b)
		zw.Write(plain)
		zw.Close()
		return b.Bytes()
	}
	gz := enc(func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
	zl := enc(func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
	raw := enc(func(w io.Writer) io.WriteCloser { fw, _ := flate.NewWriter(w, flate.BestSpeed); return fw })
	zenc, _ := zstd.NewWriter(nil)
	zs := zenc.EncodeAll(plain, nil)
	zenc.Close()
	var twice bytes.Buffer
	g2 := gzip.NewWriter(&twice)
	g2.Write(zs)
	g2.Close()

	for _, tc := range []struct {
		name, enc string
		body      []byte
	}{
		{"identity", "", plain},
		{"gzip", "gzip", gz},
		{"x-gzip", "x-gzip", gz},
		{"deflate as zlib", "deflate", zl},
		{"raw deflate", "deflate", raw},
		{"zstd", "zstd", zs},
		{"zstd then gzip", "zstd, gzip", twice.Bytes()},
		{"gzip with identity", "identity, gzip", gz},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeBody(tc.enc, tc.body)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("decodeBody(%q) = %d bytes, %v", tc.enc, len(got), err)
			}
		})
	}
	if _, err := decodeBody("br", []byte{1, 2, 3}); err == nil {
		t.Error("an unsupported encoding decoded without error")
	}
	if _, err := decodeBody("gzip", []byte("not gzip")); err == nil {
		t.Error("a broken gzip body decoded without error")
	}
}
