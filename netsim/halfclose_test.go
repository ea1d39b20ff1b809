package netsim_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/internal/h1"
	"github.com/candlecassette/candlecassette/netsim"
)

// TestHalfClosedClientGetsTheBodyOrNothing: a client that shuts its write
// side after its request (as `nc -N` or an HTTP/1.0-style client does)
// while the latency holds the answer reads either the real answer or no
// answer at all — never a 200 with an empty body, on this project's server
// or on net/http.
func TestHalfClosedClientGetsTheBodyOrNothing(t *testing.T) {
	body := `{"symbol":"BTCUSDT","prices":"` + strings.Repeat("1234.5,", 30) + `"}`
	conditions := map[string]netsim.Conditions{
		"latency":   {Latency: ms(100 * time.Millisecond)},
		"bandwidth": {Bandwidth: 1000}, // 50-byte chunks, 50 ms apart
	}
	servers := map[string]func(net.Listener, http.Handler) (stop func()){
		"h1": func(ln net.Listener, h http.Handler) func() {
			s := &h1.Server{Handler: h}
			go s.Serve(ln)
			return func() { s.Close() }
		},
		"net/http": func(ln net.Listener, h http.Handler) func() {
			s := &http.Server{Handler: h}
			go s.Serve(ln)
			return func() { s.Close() }
		},
	}
	for cname, cond := range conditions {
		for sname, serve := range servers {
			t.Run(cname+" on "+sname, func(t *testing.T) {
				sim, err := netsim.New(netsim.Options{Config: netsim.Config{Conditions: cond}})
				if err != nil {
					t.Fatal(err)
				}
				defer sim.Close()
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer serve(ln, sim.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, body)
				})))()
				for i := range 3 {
					if got, ok := halfClosedRequest(t, ln.Addr().String()); !ok && got != body {
						t.Fatalf("request %d: a complete 200 with body %q, want %q or no answer", i, got, body)
					}
				}
			})
		}
	}
}

// halfClosedRequest sends a request, shuts the write side and reads the
// answer: its body, and false when it came whole and without an error.
func halfClosedRequest(t *testing.T, addr string) (string, bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /api/v3/ticker HTTP/1.1\r\nHost: x\r\n\r\n")
	c.(*net.TCPConn).CloseWrite()
	br := bufio.NewReader(c)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) || err != nil && isReset(err) {
		return "", true // no answer
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	got, err := io.ReadAll(res.Body)
	if err != nil {
		return string(got), true // cut short, and the client can tell
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %s", res.Status)
	}
	return string(got), false
}

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
