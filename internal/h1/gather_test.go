package h1

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordCounter is a client's TCP connection that counts the TLS records
// the server sent, by their 5-byte headers in the raw stream.
type recordCounter struct {
	net.Conn
	mu      sync.Mutex
	records int
	hdr     []byte // a record header read in part
	left    int    // bytes of the current record's payload still to come
}

func (c *recordCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := p[:n]; len(b) > 0; {
		if c.left > 0 {
			k := min(c.left, len(b))
			c.left, b = c.left-k, b[k:]
			continue
		}
		k := min(5-len(c.hdr), len(b))
		c.hdr, b = append(c.hdr, b[:k]...), b[k:]
		if len(c.hdr) == 5 {
			c.records++
			c.left = int(c.hdr[3])<<8 | int(c.hdr[4])
			c.hdr = c.hdr[:0]
		}
	}
	return n, err
}

func (c *recordCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records
}

// A response over TLS leaves in as few records as its bytes need: one for
// a head and body under 16 KB, whether the handler wrote the body whole
// with its Content-Length or in parts (gathered, then sent when it
// returns), and whole records before the last for a longer one. Written
// part by part, the head would be a record of its own.
func TestTLSResponseInFewestRecords(t *testing.T) {
	cert, pool := selfSigned(t)
	// As serve configures TLS: records of 16 KB from the first, no
	// session tickets to count among the response's records.
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13,
		DynamicRecordSizingDisabled: true, SessionTicketsDisabled: true}
	ln := listen(t)
	serveWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		body := bytes.Repeat([]byte("0123456789"), n/10)
		if r.URL.Query().Has("parts") {
			w.Write(body[:len(body)/2])
			w.Write(body[len(body)/2:])
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}), ln, func(s *Server) { s.Front = tlsFront(cfg) })

	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc := &recordCounter{Conn: raw}
	c := tls.Client(rc, &tls.Config{RootCAs: pool, ServerName: "x"})
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for _, tc := range []struct {
		name  string
		query string
	}{
		{"a 100-byte body written whole", "n=100"},
		{"a 16000-byte body written whole", "n=16000"},
		{"a 16000-byte body written in two parts", "n=16000&parts"},
		{"a 40000-byte body written whole", "n=40000"},
		{"a 164840-byte body written whole", "n=164840"},
		{"a 164840-byte body written in two parts", "n=164840&parts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rc.count()
			if _, err := io.WriteString(c, "GET /?"+tc.query+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			var head bytes.Buffer
			res.Header.Write(&head) // about the head's length: near enough for the record count
			size := len("HTTP/1.1 200 OK\r\n") + head.Len() + 2 + len(body)
			want := (size + maxRecord - 1) / maxRecord
			if br.Buffered() > 0 {
				t.Fatalf("%d bytes after the response", br.Buffered())
			}
			if got := rc.count() - before; got != want {
				t.Errorf("%d bytes in %d TLS records, want %d", size, got, want)
			}
		})
	}
}

// dateLine is the one header that differs between two answers.
var dateLine = regexp.MustCompile(`(?m)^Date: [^\r\n]*\r$`)

// rawExchange sends raw over c, closes the write side, and returns every
// byte the server sent until it closed, Date headers blanked.
func rawExchange(t *testing.T, c net.Conn, raw string) string {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.(interface{ CloseWrite() error }).CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		out = append(out, "\nread error: "+err.Error()...)
	}
	return dateLine.ReplaceAllString(string(out), "Date: -\r")
}

// Over TLS, every request of the differential table is answered with the
// very bytes the same server sends in clear — those served here and those
// handed to the fallback alike: gathering the parts into records changes
// the framing of the stream, never its content.
func TestOverTLSSameBytesAsPlain(t *testing.T) {
	cert, pool := selfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	ln := listen(t)
	serveWith(t, http.HandlerFunc(echo), ln, func(s *Server) {
		s.ReadHeaderTimeout = 5 * time.Second
		s.Front = tlsFront(cfg)
	})
	addr := ln.Addr().String()
	for _, tc := range requests {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			plain := rawExchange(t, pc, tc.raw)
			tc2, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "x", NextProtos: []string{"http/1.1"}})
			if err != nil {
				t.Fatal(err)
			}
			overTLS := rawExchange(t, tc2, tc.raw)
			if overTLS != plain {
				t.Errorf("over TLS:\n%s\nplain:\n%s", shorten(overTLS), shorten(plain))
			}
			if plain == "" {
				t.Errorf("no answer at all")
			}
		})
	}
}

func shorten(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "… (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strings.ToValidUTF8(s, "?")
}
