package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/candlecassette/candlecassette/internal/h1"
	"github.com/candlecassette/candlecassette/plugins"
)

// Server is the front of one served exchange: it owns the listener, the
// Hub of WS connections, and the Stack (embedded: its controls are the Go
// fixture API) around the handler the mode hands it. A request reads in
// one direction: Server → Stack → the mode's handler → plugin → market or
// cassette.
type Server struct {
	*Stack
	hub     *plugins.Hub
	opts    Options
	handler http.Handler
	srv     *h1.Server
	ln      net.Listener

	closeOnce sync.Once
	closeErr  error
	serveErr  chan error
}

// New builds the front for plugin p. The mode then builds its handler —
// with Hub() for the WS connections it upgrades — and hands it to Handle
// before Serve.
func New(p plugins.Plugin, opts Options) (*Server, error) {
	hub := plugins.NewHub()
	st, err := NewStack(p, hub, opts)
	if err != nil {
		return nil, err
	}
	return &Server{Stack: st, hub: hub, opts: opts, serveErr: make(chan error, 1)}, nil
}

// Hub owns the WS connections: every connection the mode's handler
// upgrades is tracked by it, so that disconnects reach it and Close waits
// for it.
func (s *Server) Hub() *plugins.Hub { return s.hub }

// Handle puts the front's layers around h, the mode's innermost handler
// (the synthetic market, the tape, the recording proxy). Call it once,
// before Serve or Handler.
func (s *Server) Handle(h http.Handler) { s.handler = s.Stack.Wrap(h) }

// Handler is the full HTTP handler: admin API, limits, network simulation,
// then the mode's handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen listens on addr ("127.0.0.1:0" picks a port) and serves in the
// background until Close.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: listen %s: %w", addr, err)
	}
	s.Serve(ln)
	return nil
}

// Serve serves on ln in the background until Close.
func (s *Server) Serve(ln net.Listener) {
	if s.handler == nil {
		panic("serve: Serve before Handle")
	}
	s.ln = ln
	s.srv = &h1.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: cmp.Or(s.opts.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		IdleTimeout:       cmp.Or(s.opts.IdleTimeout, DefaultIdleTimeout),
		MaxConns:          cmp.Or(s.opts.MaxConns, DefaultMaxConns),
	}
	if s.opts.Logger != nil {
		s.srv.ErrorLog = slogLogger(s.opts.Logger)
	}
	srv := s.srv
	stats := func() ConnStats { return ConnStats(srv.Stats()) }
	s.Stack.connStats.Store(&stats)
	s.srv.RegisterOnShutdown(func() {
		s.Stack.Close() // release held (hanging) requests
		s.hub.CloseAll(1001, "server shutting down")
	})
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, h1.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
}

// Addr is the listening address (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the REST base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.Addr() }

// WSURL is the WS base URL, e.g. ws://127.0.0.1:41234.
func (s *Server) WSURL() string { return "ws://" + s.Addr() }

// Close stops accepting, closes every WS connection with 1001 (going
// away), waits up to ctx's deadline for requests in flight, and returns
// only after every connection and every goroutine it started has ended
// (cutting those that outlive ctx). What the mode serves from — a
// cassette — may be closed once Close returned. Later calls return the
// first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var err error
		if s.srv != nil {
			err = s.srv.Shutdown(ctx)
			if err != nil {
				s.srv.Close()
			}
			if serr := <-s.serveErr; err == nil {
				err = serr
			}
		}
		// Hijacked connections are no HTTP server's: the hub owns them.
		if herr := s.hub.Shutdown(ctx); err == nil {
			err = herr
		}
		s.Stack.Close()
		s.closeErr = err
	})
	return s.closeErr
}
