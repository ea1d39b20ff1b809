package record

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
)

var zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))

// decodeBody undoes a Content-Encoding (possibly a list, applied in
// order). Unknown encodings are an error; the caller keeps the body as
// sent.
func decodeBody(enc string, body []byte) ([]byte, error) {
	if enc == "" || enc == "identity" || len(body) == 0 {
		return body, nil
	}
	codings := strings.Split(enc, ",")
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		switch c := strings.TrimSpace(codings[i]); c {
		case "", "identity":
		case "gzip", "x-gzip":
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
				body, err = io.ReadAll(zr)
			}
		case "deflate":
			// HTTP's deflate is zlib-wrapped, but some servers send raw.
			var zr io.ReadCloser
			if zr, err = zlib.NewReader(bytes.NewReader(body)); err == nil {
				body, err = io.ReadAll(zr)
			} else {
				body, err = io.ReadAll(flate.NewReader(bytes.NewReader(body)))
			}
		case "zstd":
			body, err = zstdDec.DecodeAll(body, nil)
		default:
			return nil, fmt.Errorf("record: content encoding %q not supported", c)
		}
		if err != nil {
			return nil, fmt.Errorf("record: decoding %s body: %w", codings[i], err)
		}
	}
	return body, nil
}
