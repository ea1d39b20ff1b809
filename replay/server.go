package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/internal/h1"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/synth"
)

// Options configure a Server. The zero value of each field is a sensible
// default; Exchange is required.
type Options struct {
	// Exchange is the plugin id, e.g. "binance_spot".
	Exchange string
	// Pairs served; nil means cc.DefaultPairs.
	Pairs []cc.Pair
	// Seed of the synthetic market and of fault injection.
	Seed uint64
	// Market replaces the synthetic market; ignored with a Cassette, whose
	// index is filled in by the synthetic market.
	Market cc.Market
	// Clock is the virtual clock; nil means real time.
	Clock *cc.Clock
	// Logger receives request and error logs; nil discards them.
	Logger *slog.Logger
	// Conditions are the initial network conditions, per-route overrides
	// and schedules (a --scenario file); the zero value is a perfect network.
	Conditions netsim.Config
	// Limits replace the limits of the plugin's rate-limit model; nil keeps
	// the exchange's own.
	Limits *ratelimit.Limits
	// AdjustLimits, if set, edits the limits before they take effect.
	AdjustLimits func(*ratelimit.Limits)
	// NoRateLimit counts usage but never refuses.
	NoRateLimit bool
	// AdminToken, if set, is required as a bearer token by /__admin/.
	AdminToken string

	// Cassette is the path of a cassette to replay, opened read-only (so
	// several servers may share it). Exchange then defaults to the
	// cassette's; a different one is an error.
	Cassette string
	// ClockMode is what "now" is when replaying: ClockRecorded (default,
	// the start of the recording), ClockNow (real time, recorded times
	// shifted) or an RFC3339 instant. Ignored without a Cassette.
	ClockMode string
	// Speed scales the virtual clock and recorded WS streams: 0 or 1 is real
	// time, 10 ten times faster, math.Inf(1) as fast as possible.
	Speed float64
}

// Server serves one exchange's API. The network-simulation, rate-limit and
// admin controls of its Stack (SetConditions, SetLimits, ResetCounters,
// DisconnectAll, Status, ...) are the Go fixture API.
type Server struct {
	*Stack
	plugin  plugins.Plugin
	env     *plugins.Env
	handler http.Handler
	srv     *h1.Server
	ln      net.Listener
	tape    *tape // the cassette being replayed, if any

	closeOnce sync.Once
	serveErr  chan error
}

// New builds a Server without listening. Use Handler to mount it, or
// Start/Serve to listen.
func New(opts Options) (*Server, error) {
	var tp *tape
	if opts.Cassette != "" {
		var err error
		if tp, err = openTape(&opts); err != nil {
			return nil, err
		}
	}
	s, err := newServer(opts, tp)
	if err != nil && tp != nil {
		tp.close()
	}
	return s, err
}

func newServer(opts Options, tp *tape) (*Server, error) {
	p, err := plugins.Lookup(opts.Exchange)
	if err != nil {
		return nil, err
	}
	pairs := opts.Pairs
	if len(pairs) == 0 {
		pairs = cc.DefaultPairs
	}
	pairs = append([]cc.Pair(nil), pairs...)
	for i := range pairs {
		if pairs[i].Symbol == "" {
			pairs[i].Symbol = p.Symbol(pairs[i])
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := opts.Clock
	if tp != nil {
		clock = tp.clock
	} else if clock == nil {
		clock = &cc.Clock{Speed: opts.Speed}
	}
	d := &damage{logger: logger, count: new(atomic.Int64)}
	if tp != nil {
		tp.d = d
	}
	market := opts.Market
	switch {
	case tp != nil:
		market = tp.market(synth.New(synth.Options{Seed: opts.Seed, Exchange: p.Name(), Pairs: pairs}))
	case market == nil:
		market = synth.New(synth.Options{Seed: opts.Seed, Exchange: p.Name(), Pairs: pairs})
	}
	env := &plugins.Env{
		Market: market,
		Feed:   &cc.MarketFeed{Market: market, Clock: clock},
		Clock:  clock,
		Pairs:  pairs,
		Hub:    plugins.NewHub(),
		Logger: logger,
	}
	stack, err := NewStack(p, env.Hub, StackOptions{
		Seed: opts.Seed, Conditions: opts.Conditions, Limits: opts.Limits, AdjustLimits: opts.AdjustLimits,
		NoRateLimit: opts.NoRateLimit, AdminToken: opts.AdminToken,
	})
	if err != nil {
		return nil, err
	}
	stack.Install(env)
	stack.corruptReads = d.count
	s := &Server{Stack: stack, plugin: p, env: env, tape: tp, serveErr: make(chan error, 1)}
	if tp != nil {
		env.Feed = tp.feed(p, env.Feed)
	}
	inner := p.Handler(env)
	if tp != nil {
		inner = newRecordedREST(tp.c, p, tp.times, d, inner)
	}
	s.handler = stack.Wrap(inner)
	return s, nil
}

// Start builds a Server and listens on addr ("127.0.0.1:0" picks a port).
func Start(opts Options, addr string) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close(context.Background()) // the stack's goroutines and the cassette
		return nil, fmt.Errorf("replay: listen %s: %w", addr, err)
	}
	s.Serve(ln)
	return s, nil
}

// Serve serves on ln in the background until Close.
func (s *Server) Serve(ln net.Listener) {
	s.ln = ln
	s.srv = &h1.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, h1.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
}

// Handler is the full HTTP handler: admin API, then the exchange.
func (s *Server) Handler() http.Handler { return s.handler }

// Plugin is the exchange plugin being served.
func (s *Server) Plugin() plugins.Plugin { return s.plugin }

// Env is the plugin's serving environment.
func (s *Server) Env() *plugins.Env { return s.env }

// Addr is the listening address (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the REST base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.Addr() }

// WSURL is the WS base URL, e.g. ws://127.0.0.1:41234.
func (s *Server) WSURL() string { return "ws://" + s.Addr() }

// Close stops listening, closes every WS session with 1001 (going away)
// and waits up to ctx's deadline for requests in flight.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		defer s.Stack.Close()
		if s.tape != nil {
			defer s.tape.close()
		}
		if s.srv == nil {
			s.env.Hub.CloseAll(websocket.CloseGoingAway, "server shutting down")
			return
		}
		s.srv.RegisterOnShutdown(func() {
			s.Stack.Close() // release held (hanging) requests
			s.env.Hub.CloseAll(websocket.CloseGoingAway, "server shutting down")
		})
		err = s.srv.Shutdown(ctx)
		if err != nil {
			s.srv.Close()
		}
		if serr := <-s.serveErr; err == nil {
			err = serr
		}
	})
	return err
}
