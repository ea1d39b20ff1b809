package serve

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// Options configure the front every serving mode puts before an
// exchange: the network simulation, the rate limits, the admin API and the
// HTTP server. The zero value is a perfect network under the plugin's own
// rate-limit model and an admin API open to loopback names.
type Options struct {
	// Seed seeds the fault injection.
	Seed uint64
	// Conditions are the initial network conditions, routes and schedules
	// (the shape of a --scenario file).
	Conditions netsim.Config
	// Limits replace the limits of the plugin's model; nil keeps them.
	Limits *ratelimit.Limits
	// AdjustLimits, if set, edits the limits (the model's or Limits) before
	// they take effect: the rate-limit flags.
	AdjustLimits func(*ratelimit.Limits)
	// NoRateLimit switches enforcement off (usage is still counted and
	// reported in headers).
	NoRateLimit bool
	// AdminToken, if set, must come as "Authorization: Bearer TOKEN" on
	// every /__admin/ request (the scheme in any case).
	AdminToken string
	// AdminAllowHosts are extra names (or addresses) the admin API answers
	// under as Host, e.g. a docker-compose service name; a port given is
	// ignored. Loopback names and addresses, and the address a client
	// connected to, are always allowed; any other Host is refused, so a
	// DNS-rebound web page cannot reach the admin API.
	AdminAllowHosts []string
	// Recorder, if set, reports the record mode's health under "recorder"
	// in Status: what record.Server.WriteErrors returns. (A func of any
	// because serve does not import record.)
	Recorder func() any
	// Replay, if set, reports the replay mode's hits by source and
	// misses by key under "replay" in Status (a func of any because serve
	// does not import replay).
	Replay func() any
	// CorruptReads, if set, is the mode's count of requests and streams a
	// damaged cassette failed (replay: answered with the exchange's server
	// error, and logged); Status reports it and ResetCounters zeroes it.
	CorruptReads *atomic.Int64
	// Logger receives the server's errors; nil discards them.
	Logger *slog.Logger

	// TLS, if set, gives the certificate for a TLS connection — sent
	// straight to the port or through a CONNECT tunnel — from its
	// ClientHello, as tls.Config.GetCertificate does: the local CA's
	// leaf for the server name, or for the address reached when the
	// client sent none. It is asked only for the names served (an
	// exchange's host, or this server's own names; see proxy.go); nil
	// means TLS is not terminated, and a ClientHello is answered as any
	// other bytes that are not HTTP.
	TLS func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// Hosts, if set, gives the real hostnames of an exchange that its
	// Exchange does not list: the names its requests arrive under
	// through the proxy. Nil means none beyond Exchange.Hosts.
	Hosts func(plugins.Plugin) []string

	// Passthrough, if set, lets proxied traffic for a host no exchange
	// here claims through, untouched and seen by no exchange's Stack: a
	// CONNECT to it is dialled with Passthrough and the tunnel piped both
	// ways; an absolute-form request for it is forwarded over connections
	// Passthrough dials (passthrough.go). Nil — the default, and always so
	// in synth and replay — refuses such traffic, and the server dials
	// nothing. Record mode sets it for --passthrough.
	Passthrough func(ctx context.Context, network, addr string) (net.Conn, error)

	// MaxConns caps the connections open at once (WebSockets included);
	// past it a new one is answered 503 and closed. Zero means
	// DefaultMaxConns.
	MaxConns int
	// ReadHeaderTimeout bounds a request head, from the accept for the
	// first; zero means DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a kept-alive connection without a next request
	// (not a WebSocket); zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// OverdueAfter is how long a REST request may go unanswered, with no
	// injected fault to explain it, before the server logs it (warn) and
	// counts it (Status Overdue); zero means DefaultOverdueAfter, negative
	// turns the watch off.
	OverdueAfter time.Duration
}

// Defaults of the connection limits in Options, as servers built on
// net/http commonly set them.
const (
	DefaultMaxConns          = 10000
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// ConnStats counts what the HTTP server did with connections besides
// answering requests: how many are open, and those it ended without an
// answer.
type ConnStats struct {
	// Open is the number of connections open, WebSockets included.
	Open int64 `json:"open"`
	// AcceptErrors counts failed accepts (out of file descriptors, ...)
	// that the server waited out.
	AcceptErrors int64 `json:"accept_errors"`
	// Refused counts connections answered 503 at the --max-conns cap.
	Refused int64 `json:"refused"`
	// HeaderTimeouts counts connections closed because a request head
	// did not arrive in time (nothing sent, or a slow head).
	HeaderTimeouts int64 `json:"header_timeouts"`
	// IdleCloses counts kept-alive connections closed after the idle
	// timeout.
	IdleCloses int64 `json:"idle_closes"`
}

// Stack is the netsim + rate-limit + admin layering of one served
// exchange, in front of the mode's innermost handler:
//
//	/__admin/ (exempt) | rate limit → netsim → handler
//
// Its WS side reaches the connections through the Hub: the Stack is the
// Hub's policy, so every connection — a plugin's session, the record
// relay — is admitted by the rate limits as it opens and gets its
// pipeline (a netsim.Link for its messages, a ratelimit.Conn for its
// client's), and disconnects close them. Server builds one; its methods
// are the Go fixture API.
type Stack struct {
	plugin plugins.Plugin
	hub    *plugins.Hub
	hosts  []string
	// handler is the exchange's requests' way in once Handle was called:
	// rate limit → netsim → the mode's handler, without the admin split.
	handler http.Handler
	// shared is the way in of requests for every sibling at once on a
	// host this exchange leads (shared.go), if the mode gave one.
	shared  http.Handler
	sim     *netsim.Sim
	limiter *ratelimit.Limiter
	admin   adminPolicy
	// recorder reports the record mode's write errors, if set.
	recorder func() any
	// replay reports replay's hits and misses, if set.
	replay func() any
	// corruptReads counts damaged cassette reads (replay), if set.
	corruptReads *atomic.Int64
	// connStats reports the listener's counters once the Server serves.
	connStats atomic.Pointer[func() ConnStats]
	// obs is the request log and the metrics (observe.go, metrics.go).
	obs *stackObs
	// market is what the mode serves, for the admin API's views (market.go).
	market atomic.Pointer[MarketView]
}

// NewStack builds the layers for plugin p over the connections of hub.
// Its metrics are on a registry of its own (see Server.Registry for a
// Server's).
func NewStack(p plugins.Plugin, hub *plugins.Hub, opts Options) (*Stack, error) {
	m := newMetrics()
	st, err := newStack(p, hub, opts, m)
	if err == nil {
		m.add(st)
	}
	return st, err
}

func newStack(p plugins.Plugin, hub *plugins.Hub, opts Options, m *metrics) (*Stack, error) {
	st := &Stack{plugin: p, hub: hub, admin: newAdminPolicy(opts.AdminToken, opts.AdminAllowHosts),
		recorder: opts.Recorder, corruptReads: opts.CorruptReads, replay: opts.Replay, obs: newStackObs(p, m, opts)}
	model := p.RateLimits()
	lim := model.Limits()
	if opts.Limits != nil {
		lim = *opts.Limits
	}
	if opts.AdjustLimits != nil {
		opts.AdjustLimits(&lim)
	}
	if opts.NoRateLimit {
		lim.Disabled = true
	}
	if err := lim.Validate(); err != nil {
		return nil, fmt.Errorf("serve: limits: %w", err)
	}
	st.limiter = ratelimit.New(model, ratelimit.Options{Limits: &lim})
	serverError := p.ServerError()
	sim, err := netsim.New(netsim.Options{
		Seed:   opts.Seed,
		Config: opts.Conditions,
		Error: func(*http.Request) netsim.Response {
			return netsim.Response{Status: serverError.Status, Header: maps.Clone(serverError.Header), Body: serverError.Body}
		},
		Disconnect: hub.CloseAll,
		Fault:      st.noteFault,
	})
	if err != nil {
		return nil, fmt.Errorf("serve: conditions: %w", err)
	}
	st.sim = sim
	hub.SetPolicy(st.admitWS)
	hub.SetFaults(sim)
	return st, nil
}

// admitWS is the Hub's policy: a WS handshake is admitted by the rate
// limits (or refused with the exchange's answer), and the connection gets
// its network link and its limit.
func (st *Stack) admitWS(w http.ResponseWriter, r *http.Request) (plugins.Pipeline, func(), bool) {
	conn, ok := st.limiter.WSConn(w, r)
	if !ok {
		return plugins.Pipeline{}, nil, false
	}
	return plugins.Pipeline{Link: st.sim.Link(r.URL.Path), Limit: conn}, conn.Close, true
}

// Plugin is the exchange served.
func (st *Stack) Plugin() plugins.Plugin { return st.plugin }

// Hub owns the exchange's WS connections: the mode's handler upgrades them
// through it, so that the rate limits admit them, disconnects reach them
// and Close waits for them.
func (st *Stack) Hub() *plugins.Hub { return st.hub }

// Hosts are the real hostnames the exchange is reached under through the
// proxy (lower case, without ports).
func (st *Stack) Hosts() []string { return st.hosts }

// Handle puts the exchange's layers (the request log and metrics, rate
// limits, then the network simulation) around h, the mode's innermost
// handler for this exchange. Call it once, before the Server serves.
func (st *Stack) Handle(h http.Handler) {
	st.handler = st.layers(h)
}

// Sim is the network simulation.
func (st *Stack) Sim() *netsim.Sim { return st.sim }

// Limiter is the rate limiter.
func (st *Stack) Limiter() *ratelimit.Limiter { return st.limiter }

// Close stops the simulation's schedule and releases requests it holds.
func (st *Stack) Close() { st.sim.Close() }

// Conditions returns the network conditions in force.
func (st *Stack) Conditions() netsim.Config { return st.sim.Config() }

// SetConditions replaces the network conditions; the next request sees
// them.
func (st *Stack) SetConditions(c netsim.Config) error { return st.sim.SetConfig(c) }

// PatchConditions applies a JSON object to the conditions in force, as
// PUT /__admin/conditions does: only the fields it names change.
func (st *Stack) PatchConditions(b []byte) error {
	c := st.sim.Config()
	if err := netsim.Patch(&c, b); err != nil {
		return err
	}
	return st.sim.SetConfig(c)
}

// Limits returns the rate limits in force.
func (st *Stack) Limits() ratelimit.Limits { return st.limiter.Limits() }

// SetLimits replaces the rate limits; the next request sees them.
func (st *Stack) SetLimits(l ratelimit.Limits) error { return st.limiter.SetLimits(l) }

// ResetCounters zeroes every counter, lifts bans, forgets rate-limit usage
// and restarts the fault sequence from the seed.
func (st *Stack) ResetCounters() {
	st.limiter.Reset()
	st.sim.Reset()
	st.hub.ResetCounters()
	st.obs.overdue.Store(0)
	if st.corruptReads != nil {
		st.corruptReads.Store(0)
	}
}

// DisconnectAll closes every WS connection with code (0 means 1006: cut
// without a close frame) and returns how many it closed.
func (st *Stack) DisconnectAll(code int) int {
	return st.sim.DisconnectAll(code, "disconnected by the admin API")
}

// Status is a snapshot of the served exchange's counters.
type Status struct {
	Exchange string `json:"exchange"`
	// Requests counts the REST requests that reached the stack.
	Requests int64 `json:"requests"`
	// WS are the live connections, subscriptions and message counters.
	WS plugins.HubStats `json:"ws"`
	// Faults counts what the network simulation did.
	Faults netsim.Stats `json:"faults"`
	// RateLimits counts the limits hit.
	RateLimits ratelimit.Stats `json:"rate_limits"`
	// CorruptReads counts the requests and streams a damaged cassette
	// failed (answered with the exchange's server error, and logged).
	CorruptReads int64 `json:"corrupt_reads"`
	// Overdue counts the REST requests still unanswered OverdueAfter
	// after they arrived, with no injected fault to explain it (each is
	// logged as it happens).
	Overdue int64 `json:"overdue"`
	// Conns counts the HTTP server's connections, once it serves.
	Conns *ConnStats `json:"conns,omitempty"`
	// Recorder is the record mode's report of writes to the cassette that
	// failed while the proxy kept answering (Options.Recorder); absent
	// in the other modes.
	Recorder any `json:"recorder,omitempty"`
	// Replay is the replay mode's hits by source and misses by key
	// (Options.Replay); absent in the other modes.
	Replay any `json:"replay,omitempty"`
}

// Status returns the counters.
func (st *Stack) Status() Status {
	s := Status{
		Exchange:   st.plugin.Name(),
		Faults:     st.sim.Stats(),
		RateLimits: st.limiter.Stats(),
	}
	s.Requests = s.RateLimits.Requests
	s.WS = st.hub.Stats()
	s.Overdue = st.obs.overdue.Load()
	if st.corruptReads != nil {
		s.CorruptReads = st.corruptReads.Load()
	}
	if f := st.connStats.Load(); f != nil {
		cs := (*f)()
		s.Conns = &cs
	}
	if st.recorder != nil {
		s.Recorder = st.recorder()
	}
	if st.replay != nil {
		s.Replay = st.replay()
	}
	return s
}
