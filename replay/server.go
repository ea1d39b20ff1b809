package replay

import (
	"time"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/serve"
	"github.com/candlecassette/candlecassette/synth"
)

// Options configure a Server. The zero value of each field is a sensible
// default; Exchange is required.
type Options struct {
	// Exchange is the plugin id, e.g. "binance_spot".
	Exchange string
	// Exchanges, if set, replaces Exchange: the ids served at once on
	// one port, each under its real hostnames (Serve.Hosts) with its own
	// front (conditions, limits, admin at /__admin/ID/), over one
	// synthetic market and one clock (see multi.go). Direct requests,
	// which name no exchange's host, are answered 421. Not with a
	// Cassette or a Market.
	Exchanges []string
	// Pairs served; nil means cc.DefaultPairs.
	Pairs []cc.Pair
	// Seed of the synthetic market (and of fault injection, unless
	// Serve.Seed is set).
	Seed uint64
	// Market replaces the synthetic market; ignored with a Cassette, whose
	// index is filled in by the synthetic market.
	Market cc.Market
	// Clock is the virtual clock; nil means real time.
	Clock *cc.Clock
	// Serve configures the front: network conditions, rate limits, the
	// admin API, the logger. Its Seed, if 0, is Seed.
	Serve serve.Options

	// Cassette is the path of a cassette to replay, opened read-only (so
	// several servers may share it). Exchange then defaults to the
	// cassette's; a different one is an error.
	Cassette string
	// ClockMode is what "now" is when replaying: ClockRecorded (default,
	// the start of the recording), ClockNow (real time, recorded times
	// shifted) or an RFC3339 instant. Ignored without a Cassette.
	ClockMode string
	// Speed scales the virtual clock and recorded WS streams: 0 or 1 is real
	// time, 10 ten times faster, math.Inf(1) as fast as possible. Without
	// a Cassette or a Clock (synth), a speed other than 1 starts the
	// virtual clock at the real now and runs it Speed times as fast
	// (math.Inf(1) stops it there).
	Speed float64

	// OnMiss is what a request the cassette cannot answer gets (see
	// miss.go for what a miss is): MissSynth (""), MissError or
	// MissUpstream. Every mode counts and logs misses (Status, Report).
	// Needs a Cassette unless MissSynth.
	OnMiss OnMiss
	// Upstreams are where MissUpstream forwards an exchange's misses, by
	// id: REST requests to REST, stream subscriptions to WS (or, if only
	// REST is given, to it as ws/wss); an id not named goes to its
	// plugin's default upstreams (the real exchange).
	Upstreams map[string]record.Upstream
	// RecordMissing appends what MissUpstream forwards to the cassette
	// (go-vcr's "new episodes"), redacted and indexed as record does; the
	// next replay answers it. The cassette is then opened writable, under
	// the lock record takes: one writer at a time, and no reader in
	// another process meanwhile (a second gets cassettes.ErrLocked).
	RecordMissing bool
	// UpstreamTransport makes MissUpstream's requests; nil means the
	// recording proxy's.
	UpstreamTransport http.RoundTripper
}

// Server serves one exchange's API: the front (serve.Server, embedded:
// its network-simulation, rate-limit and admin controls — SetConditions,
// SetLimits, ResetCounters, DisconnectAll, Status, ... — are the Go fixture
// API) around the plugin over the synthetic market or a cassette.
type Server struct {
	*serve.Server
	plugin plugins.Plugin
	env    *plugins.Env
	envs   map[string]*plugins.Env // by id, with Exchanges
	tape   *tape                   // the cassette being replayed, if any
	tapes  []*tape                 // every exchange's part of it
	usage  *usage                  // hits and misses (miss.go)

	closeOnce sync.Once
	closeErr  error
}

// New builds a Server without listening. Use Handler to mount it, or
// Start/Serve to listen.
func New(opts Options) (*Server, error) {
	if err := checkMissOptions(&opts); err != nil {
		return nil, err
	}
	if len(opts.Exchanges) > 0 {
		return newMulti(opts)
	}
	var tp *tape
	if opts.Cassette != "" {
		f, err := openCassette(opts)
		if err != nil {
			return nil, err
		}
		if opts.Exchange == "" && len(f.Exchanges()) > 1 {
			return newMultiTape(opts, f) // every exchange, by host (multitape.go)
		}
		if tp, err = openTape(&opts, f); err != nil {
			return nil, err
		}
	}
	s, err := newServer(opts, tp)
	if err != nil && tp != nil {
		tp.closeForwarder()
		tp.close()
	}
	return s, err
}

func newServer(opts Options, tp *tape) (*Server, error) {
	p, err := plugins.Lookup(opts.Exchange)
	if err != nil {
		return nil, err
	}
	so, d, u := frontOptions(opts)
	s := &Server{plugin: p, tape: tp, usage: u}
	if tp != nil {
		tp.d = d
		s.tapes = []*tape{tp}
		if err := tp.setMisses(opts, u); err != nil {
			return nil, err
		}
	}
	front, err := serve.New(p, so)
	if err != nil {
		return nil, err
	}
	env, inner := mount(opts, p, tp, front.Hub(), so.Logger, d)
	front.Handle(inner)
	front.SetMarket(view(env, tp))
	s.Server, s.env = front, env
	return s, nil
}

// frontOptions are opts.Serve with the defaults every server takes: the
// seed, a logger, the count of damaged cassette reads (d) and, replaying a
// cassette, the hits and misses under "replay" in the status (u).
func frontOptions(opts Options) (serve.Options, *damage, *usage) {
	so := opts.Serve
	if so.Seed == 0 {
		so.Seed = opts.Seed
	}
	if so.Logger == nil {
		so.Logger = slog.New(slog.DiscardHandler)
	}
	// A damaged cassette read is answered with the exchange's server
	// error, logged with its bucket and key, and counted in the status.
	d := &damage{logger: so.Logger, count: new(atomic.Int64)}
	so.CorruptReads = d.count
	var u *usage
	if opts.Cassette != "" {
		u = newUsage(so.Logger, opts.OnMiss)
		so.Replay = func() any { return u.status() }
	}
	return so, d, u
}

// mount builds exchange p's innermost handler over its market (the tape
// tp filled in by the synthetic market, or opts' market) and its Env,
// whose WS connections hub owns.
func mount(opts Options, p plugins.Plugin, tp *tape, hub *plugins.Hub, logger *slog.Logger, d *damage) (*plugins.Env, http.Handler) {
	pairs := spelled(p, opts.Pairs)
	clock := opts.Clock
	if tp != nil {
		clock = tp.clock
	} else if clock == nil {
		clock = speedClock(opts.Speed)
	}
	// What the plugin reads runs on the exchange's clock: skewed by the
	// network simulation's clock_skew (the tape keeps its own).
	clock = plugins.SkewedClock(clock, hub)
	market := opts.Market
	syn, _ := market.(*synth.Market) // the trade tape and touch
	switch {
	case tp != nil:
		syn = synth.New(synth.Options{Seed: opts.Seed, Exchange: p.Name(), Pairs: pairs})
		tp.trades = newRecordedTape(tp.c, syn, tp.d)
		market = tp.market(notingSynth{syn})
	case market == nil:
		syn = synth.New(synth.Options{Seed: opts.Seed, Exchange: p.Name(), Pairs: pairs})
		market = syn
	}
	env := &plugins.Env{
		Market: market,
		Feed:   &cc.MarketFeed{Market: market, Clock: clock},
		Clock:  clock,
		Derivs: derivs(p.Name(), opts.Seed, pairs, market),
		Pairs:  pairs,
		Hub:    hub,
		Logger: logger,
		Tape:   syn.Tape(), Quotes: syn.Quoter(), Books: syn.Books(),
	}
	if tp != nil {
		env.Feed = tp.feed(p, env.Feed)
		env.Tape = tp.tradeTape() // recorded trades where recorded (trades.go)
		if env.Books != nil {
			env.Books = tp.bookSource(env.Books, env.Clock.NowMillis) // recorded books where recorded (books.go)
		}
	}
	inner := serve.Sourced(serve.SourceSynthetic, p.Handler(env)) // the index and the tape say when they answer
	if tp != nil {
		inner = tp.newRecordedREST(p, d, inner)
	}
	return env, inner
}

// spelled is a copy of pairs (nil means cc.DefaultPairs) with each
// Symbol unset spelled p's way.
func spelled(p plugins.Plugin, pairs []cc.Pair) []cc.Pair {
	if len(pairs) == 0 {
		pairs = cc.DefaultPairs
	}
	pairs = append([]cc.Pair(nil), pairs...)
	for i := range pairs {
		if pairs[i].Symbol == "" {
			pairs[i].Symbol = p.Symbol(pairs[i])
		}
	}
	return pairs
}

// Start builds a Server and listens on addr ("127.0.0.1:0" picks a port).
func Start(opts Options, addr string) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(addr); err != nil {
		s.Close(context.Background()) // the stack's goroutines and the cassette
		return nil, fmt.Errorf("replay: %w", err)
	}
	return s, nil
}

// Plugin is the exchange plugin being served.
func (s *Server) Plugin() plugins.Plugin { return s.plugin }

// Env is the plugin's serving environment (the first exchange's, with
// Exchanges).
func (s *Server) Env() *plugins.Env { return s.env }

// EnvOf is the serving environment of the exchange id served, or nil.
func (s *Server) EnvOf(id string) *plugins.Env {
	if s.envs == nil && s.plugin.Name() == id {
		return s.env
	}
	return s.envs[id]
}

// Close stops listening, closes every WS session with 1001 (going away)
// and waits up to ctx's deadline for requests in flight. It returns only
// after every session, subscription and feed goroutine has ended (cutting
// the connections that outlive ctx), and closes the cassette after that.
func (s *Server) Close(ctx context.Context) error {
	_, err := s.close(ctx, false)
	return err
}

// CloseReport closes the server as Close does and returns the session's
// Report, built once every request has ended and what MissUpstream
// fetched is in the cassette, before the cassette closes: what `replay
// --report` writes at exit. A server without a cassette has no report.
func (s *Server) CloseReport(ctx context.Context) (*Report, error) {
	return s.close(ctx, true)
}

func (s *Server) close(ctx context.Context, report bool) (*Report, error) {
	var rep *Report
	ran := false
	s.closeOnce.Do(func() {
		ran = true
		s.closeErr = s.Server.Close(ctx)
		// What upstream misses queued goes to the cassette before it closes.
		for _, t := range s.tapes {
			if err := t.closeForwarder(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		if report {
			var err error
			if rep, err = s.Report(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		if s.tape != nil {
			if err := s.tape.close(); err != nil && s.closeErr == nil {
				s.closeErr = fmt.Errorf("replay: %w", err)
			}
		}
	})
	if report && !ran && s.closeErr == nil {
		return nil, errors.New("replay: server already closed")
	}
	return rep, s.closeErr
}

// speedClock is the virtual clock of a market without a cassette or a
// given Clock: real time at speed 0 or 1, otherwise starting at the real
// now and running speed times as fast.
func speedClock(speed float64) *cc.Clock {
	if speed == 0 || speed == 1 {
		return &cc.Clock{}
	}
	return cc.NewClock(time.Now(), speed)
}
