package plugintest

import (
	"net"
	"net/http"

	"github.com/candlecassette/candlecassette/internal/h1"
)

// server serves a handler on loopback the way candlecassette's commands
// do — internal/h1 in front, net/http behind it for what h1 hands over —
// so the suites test the plugins through the same HTTP server the users'
// clients talk to. It stands in for httptest.Server.
type server struct {
	URL    string
	s      *h1.Server
	done   chan error
	client *http.Client
}

func newServer(h http.Handler) *server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("plugintest: listen on loopback: " + err.Error())
	}
	s := &server{URL: "http://" + ln.Addr().String(), s: &h1.Server{Handler: h}, done: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{}}}
	go func() { s.done <- s.s.Serve(ln) }()
	return s
}

// Client is an HTTP client for the server (its own transport, closed with
// the server).
func (s *server) Client() *http.Client { return s.client }

// Close closes the server and every connection, and waits for Serve.
func (s *server) Close() {
	s.s.Close()
	<-s.done
	s.client.CloseIdleConnections()
}
