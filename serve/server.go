package serve

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/candlecassette/candlecassette/internal/h1"
	"github.com/candlecassette/candlecassette/plugins"
)

// Exchange is one exchange a Server serves.
type Exchange struct {
	// Plugin is the exchange.
	Plugin plugins.Plugin
	// Hosts are the real hostnames its requests arrive under through the
	// proxy ("api.binance.com"; a port is ignored), added to what
	// Options.Hosts gives. A name may belong to one exchange only, or to
	// siblings that share it (plugins.SharedHostRouter; see shared.go).
	Hosts []string
}

// Server is the front of the exchanges one process serves: it owns the
// listener, which takes direct requests, proxy requests and TLS on one
// port (proxy.go), the table from hostname to exchange, and one Stack per
// exchange around the handler the mode hands it. A request reads in one
// direction: Server → the exchange's Stack → the mode's handler → plugin
// → market or cassette.
//
// The Stack embedded is the first exchange's: for a server of one
// exchange its controls are the Go fixture API, as they always were.
type Server struct {
	*Stack
	stacks  []*Stack
	byName  map[string]*Stack
	hosts   map[string]*hostRoute
	opts    Options
	logger  *slog.Logger
	admin   adminPolicy // the admin API's guard; its names are this server's own
	metrics *metrics
	handler http.Handler
	tls     *tls.Config
	srv     *h1.Server
	ln      net.Listener
	port    string       // the listening port, for CONNECT targets naming this server
	pass    *passthrough // Options.Passthrough, or nil

	closeOnce sync.Once
	closeErr  error
	serveErr  chan error
}

// ErrHostTaken is returned by NewMulti when two exchanges claim one
// hostname and are not siblings that share it (see
// plugins.SharedHostRouter).
var ErrHostTaken = errors.New("serve: hostname claimed by two exchanges")

// New builds the front for plugin p alone. The mode then builds its
// handler — with Hub() for the WS connections it upgrades — and hands it to
// Handle before Serve. Direct requests, whatever their Host, go to p, as
// do proxied ones for p's hosts (Options.Hosts).
func New(p plugins.Plugin, opts Options) (*Server, error) {
	return NewMulti(opts, Exchange{Plugin: p})
}

// NewMulti builds the front for several exchanges at once, each with its
// own Stack (network conditions, rate limits, Hub) from the same opts, and
// routes a request by its hostname to the exchange that claims it. With
// more than one exchange, a direct request — one that names no served host
// and came through no proxy — cannot say which exchange it is for and is
// answered 421 (see Handler). The mode hands each exchange's handler to
// its Stack (Exchange(name).Handle) before Serve.
func NewMulti(opts Options, exchanges ...Exchange) (*Server, error) {
	if len(exchanges) == 0 {
		return nil, errors.New("serve: no exchange to serve")
	}
	s := &Server{
		byName:   map[string]*Stack{},
		hosts:    map[string]*hostRoute{},
		opts:     opts,
		logger:   cmp.Or(opts.Logger, discardLogger),
		admin:    newAdminPolicy(opts.AdminToken, opts.AdminAllowHosts),
		serveErr: make(chan error, 1),
		metrics:  newMetrics(),
	}
	for _, ex := range exchanges {
		name := ex.Plugin.Name()
		if s.byName[name] != nil {
			return nil, fmt.Errorf("serve: exchange %s given twice", name)
		}
		st, err := newStack(ex.Plugin, plugins.NewHub(), opts, s.metrics)
		if err != nil {
			return nil, err
		}
		s.metrics.add(st)
		hosts := ex.Hosts
		if opts.Hosts != nil {
			hosts = append(slices.Clip(hosts), opts.Hosts(ex.Plugin)...)
		}
		for _, h := range hosts {
			n, _ := splitHost(strings.TrimSpace(h))
			if n == "" || slices.Contains(st.hosts, n) {
				continue
			}
			if hr := s.hosts[n]; hr != nil {
				if err := hr.share(st); err != nil {
					for _, st := range s.stacks {
						st.Close()
					}
					st.Close()
					return nil, fmt.Errorf("%w: %s by %s and %s (%v)", ErrHostTaken, n, hr.lead.plugin.Name(), name, err)
				}
			} else {
				s.hosts[n] = &hostRoute{lead: st, stacks: []*Stack{st}}
			}
			st.hosts = append(st.hosts, n)
		}
		s.byName[name] = st
		s.stacks = append(s.stacks, st)
	}
	s.Stack = s.stacks[0]
	if opts.Passthrough != nil {
		s.pass = newPassthrough(opts.Passthrough)
	}
	if opts.TLS != nil {
		s.tls = &tls.Config{
			MinVersion:     tls.VersionTLS12,
			NextProtos:     []string{"http/1.1"}, // no h2: h1 and net/http's fallback speak HTTP/1.1
			GetCertificate: s.certificate,
			// Full 16 KB records from the first byte, as nginx sends them:
			// the ramp from ~1 KB records only pays where packets are lost,
			// and here it would cut a connection's first answers into many
			// records, each a write of its own.
			DynamicRecordSizingDisabled: true,
		}
	}
	return s, nil
}

// Hub owns the first exchange's WS connections (see Stack.Hub).
func (s *Server) Hub() *plugins.Hub { return s.Stack.hub }

// Handle hands the first exchange's innermost handler to its Stack (the
// synthetic market, the tape, the recording proxy); see Stack.Handle.
func (s *Server) Handle(h http.Handler) { s.Stack.Handle(h) }

// Exchange is the Stack of the exchange named, or nil.
func (s *Server) Exchange(name string) *Stack { return s.byName[name] }

// Exchanges are the Stacks of the exchanges served, in the order given.
func (s *Server) Exchanges() []*Stack { return slices.Clone(s.stacks) }

// Handler is the full HTTP handler: the route by hostname (route.go), then
// the exchange's admin API or its limits, network simulation and the
// mode's handler. Valid once every exchange was handed its handler.
func (s *Server) Handler() http.Handler {
	if s.handler == nil {
		for _, st := range s.stacks {
			if st.handler == nil {
				panic("serve: exchange " + st.plugin.Name() + " has no handler (Handle)")
			}
		}
		s.handler = s.router()
	}
	return s.handler
}

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
	h := s.Handler()
	s.ln = ln
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	s.srv = &h1.Server{
		Handler:           h,
		ReadHeaderTimeout: s.readHeaderTimeout(),
		IdleTimeout:       cmp.Or(s.opts.IdleTimeout, DefaultIdleTimeout),
		MaxConns:          cmp.Or(s.opts.MaxConns, DefaultMaxConns),
		Front:             s.front,
		ConnContext:       connContext,
	}
	if s.opts.Logger != nil {
		s.srv.ErrorLog = slogLogger(s.opts.Logger)
	}
	srv := s.srv
	stats := func() ConnStats { return ConnStats(srv.Stats()) }
	for _, st := range s.stacks {
		st.connStats.Store(&stats)
	}
	s.srv.RegisterOnShutdown(func() {
		s.pass.close() // tunnels end with the server
		for _, st := range s.stacks {
			st.Close() // release held (hanging) requests
			st.hub.CloseAll(1001, "server shutting down")
		}
	})
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, h1.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
}

func (s *Server) readHeaderTimeout() time.Duration {
	return cmp.Or(s.opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)
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
// (cutting those that outlive ctx), for every exchange. What the mode
// serves from — a cassette — may be closed once Close returned. Later
// calls return the first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var err error
		if s.srv != nil {
			err = s.srv.Shutdown(ctx)
			if err != nil {
				// Requests held on past the deadline: say what they were
				// doing before they are cut.
				s.logger.Error("shutdown: requests still in flight at the deadline", "err", err, "goroutines", plugins.Goroutines(64<<10))
				s.srv.Close()
			}
			if serr := <-s.serveErr; err == nil {
				err = serr
			}
		}
		s.pass.close()
		// Hijacked connections are no HTTP server's: the hubs own them.
		for _, st := range s.stacks {
			herr := st.hub.Shutdown(ctx)
			if se := (*plugins.ShutdownError)(nil); errors.As(herr, &se) {
				s.logger.Error("shutdown: WebSocket connections still open at the deadline", "exchange", st.plugin.Name(), "err", herr, "goroutines", se.Goroutines)
			}
			if err == nil {
				err = herr
			}
			st.Close()
		}
		s.closeErr = err
	})
	return s.closeErr
}
