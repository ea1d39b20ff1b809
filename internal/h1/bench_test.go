package h1

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// benchHead is what ccxt sends for a klines page.
const benchHead = "GET /api/v3/klines?symbol=BTCUSDT&interval=1m&limit=100&startTime=1704067200000 HTTP/1.1\r\n" +
	"Host: 127.0.0.1:8080\r\nUser-Agent: ccxt/4.5.84 (+https://github.com/ccxt/ccxt) Node.js/v20.19.0\r\n" +
	"Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n"

// BenchmarkParseHead parses a request head and its target, as every
// request served here is.
func BenchmarkParseHead(b *testing.B) {
	raw := []byte(benchHead)
	b.ReportAllocs()
	for b.Loop() {
		if headEnd(raw) != len(raw) {
			b.Fatal("head end")
		}
		h, ok := parseHead(raw)
		if !ok {
			b.Fatal("refused")
		}
		if _, ok := parseTarget(h.target); !ok {
			b.Fatal("target")
		}
	}
}

// BenchmarkLoopback is one keep-alive request and its 16 KB answer over
// loopback, kernel included: the per-request cost wrk measures.
func BenchmarkLoopback(b *testing.B) {
	body := make([]byte, 16<<10)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.Write(body)
	})}
	go s.Serve(ln)
	defer s.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.WriteString(c, benchHead); err != nil {
			b.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := io.Copy(io.Discard, res.Body); n != int64(len(body)) {
			b.Fatalf("%d bytes", n)
		}
		res.Body.Close()
	}
}

// BenchmarkNewConn is a connection per request: dial, one request and its
// 16 KB answer, close — what a client without keep-alive costs, and where
// a look at a connection's first bytes (Server.Front) would show.
func BenchmarkNewConn(b *testing.B) {
	benchNewConn(b, func(*Server) {})
}

func benchNewConn(b *testing.B, configure func(*Server)) {
	body := make([]byte, 16<<10)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.Write(body)
	})}
	configure(s)
	go s.Serve(ln)
	defer s.Close()
	addr := ln.Addr().String()
	head := strings.Replace(benchHead, "keep-alive", "close", 1)
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.WriteString(c, head); err != nil {
			b.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := io.Copy(io.Discard, res.Body); n != int64(len(body)) {
			b.Fatalf("%d bytes", n)
		}
		c.Close()
	}
}

// BenchmarkNewConnFront is BenchmarkNewConn with a Front that looks at
// the first bytes and leaves the connection as it is, as a proxy's
// listener does for a direct request.
func BenchmarkNewConnFront(b *testing.B) {
	benchNewConn(b, func(s *Server) {
		s.Front = func(c net.Conn, first []byte) (net.Conn, error) {
			if first[0] == 0x16 || bytes.HasPrefix(first, []byte("CONNECT ")) {
				b.Fatal("not a direct request")
			}
			return nil, nil
		}
	})
}

// BenchmarkLoopbackTLS is BenchmarkLoopback over TLS 1.3 terminated by a
// Front (as serve does for https://127.0.0.1:PORT), for a 16 KB answer and
// a 160 KB one (a klines page of 1000 rows): the per-request cost of the
// TLS write path, encryption included.
func BenchmarkLoopbackTLS(b *testing.B) {
	for _, size := range []int{16 << 10, 160 << 10} {
		b.Run(strconv.Itoa(size>>10)+"KB", func(b *testing.B) { benchLoopbackTLS(b, size) })
	}
}

func benchLoopbackTLS(b *testing.B, size int) {
	body := make([]byte, size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	cert, pool := selfSigned(b)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, DynamicRecordSizingDisabled: true}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.Write(body)
	}), Front: tlsFront(cfg)}
	go s.Serve(ln)
	defer s.Close()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "x"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, err := io.WriteString(c, benchHead); err != nil {
			b.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := io.Copy(io.Discard, res.Body); n != int64(len(body)) {
			b.Fatalf("%d bytes", n)
		}
		res.Body.Close()
	}
}
