package replay

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// StackOptions configure the layers every serving mode puts in front of a
// plugin: the network simulation, the rate limits and the admin API. The
// zero value is a perfect network under the plugin's own rate-limit model
// and an open admin API.
type StackOptions struct {
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
	// every /__admin/ request.
	AdminToken string
	// Disconnect closes every WS connection with a close code and returns
	// how many it closed, for a stack without a plugins.Hub (the record
	// mode's relay); with a hub, Hub.CloseAll is used.
	Disconnect func(code int, reason string) int
}

// Stack is the netsim + rate-limit + admin layering of one served
// exchange. Server builds one; the record mode builds its own around its
// proxy:
//
//	st, err := replay.NewStack(plugin, hub, opts)
//	handler := st.Wrap(proxy)   // /__admin/ exempt → rate limit → netsim → proxy
//	// WS relay: per server frame st.Sim().Shape(path) (or ShapeSize);
//	// per client frame st.Limiter().AllowMessage(r) with the handshake's r.
//	defer st.Close()
//
// A plugin served through plugins.ServeWS gets the WS side for free once
// Install has set its Env's Shaper and Limiter.
type Stack struct {
	plugin  plugins.Plugin
	hub     *plugins.Hub
	sim     *netsim.Sim
	limiter *ratelimit.Limiter
	token   string
	// disconnect stands in for hub.CloseAll when there is no hub.
	disconnect func(code int, reason string) int
	// corruptReads counts damaged cassette reads (replay), if set.
	corruptReads *atomic.Int64
}

// NewStack builds the layers for plugin p. hub is the WS session hub that
// disconnects act on; without one, opts.Disconnect does (or nothing).
func NewStack(p plugins.Plugin, hub *plugins.Hub, opts StackOptions) (*Stack, error) {
	st := &Stack{plugin: p, hub: hub, token: opts.AdminToken, disconnect: opts.Disconnect}
	var model ratelimit.Model
	if rl, ok := p.(plugins.RateLimited); ok {
		model = rl.RateLimits()
	}
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
		return nil, fmt.Errorf("replay: limits: %w", err)
	}
	st.limiter = ratelimit.New(model, ratelimit.Options{Limits: &lim})
	serverError := p.ServerError()
	sim, err := netsim.New(netsim.Options{
		Seed:   opts.Seed,
		Config: opts.Conditions,
		Error: func(*http.Request) netsim.Response {
			return netsim.Response{Status: serverError.Status, Header: maps.Clone(serverError.Header), Body: serverError.Body}
		},
		Disconnect: st.closeAll,
	})
	if err != nil {
		return nil, fmt.Errorf("replay: conditions: %w", err)
	}
	st.sim = sim
	return st, nil
}

func (st *Stack) closeAll(code int, reason string) int {
	if st.hub != nil {
		return st.hub.CloseAll(code, reason)
	}
	if st.disconnect != nil {
		return st.disconnect(code, reason)
	}
	return 0
}

// Install makes env's WS sessions go through the stack: messages shaped by
// the network simulation, client messages and streams limited.
func (st *Stack) Install(env *plugins.Env) {
	env.Shaper = st.sim
	env.Limiter = st.limiter
}

// Wrap puts the layers around h: /__admin/ is served by the admin API and
// exempt from the rest; every other request meets the rate limits, then
// the network simulation, then h.
//
// The split is a prefix test rather than a ServeMux: every request passes
// here, and a mux's pattern match allocates, and would answer unclean
// paths ("//api/v3/klines") with a redirect no exchange sends.
func (st *Stack) Wrap(h http.Handler) http.Handler {
	admin := st.AdminHandler()
	exchange := st.limiter.Middleware(st.sim.Middleware(h))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/__admin/") {
			admin.ServeHTTP(w, r)
			return
		}
		exchange.ServeHTTP(w, r)
	})
}

// Sim is the network simulation.
func (st *Stack) Sim() *netsim.Sim { return st.sim }

// Limiter is the rate limiter; it implements plugins.WSLimiter.
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
	if st.hub != nil {
		st.hub.ResetCounters()
	}
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
}

// Status returns the counters.
func (st *Stack) Status() Status {
	s := Status{
		Exchange:   st.plugin.Name(),
		Faults:     st.sim.Stats(),
		RateLimits: st.limiter.Stats(),
	}
	s.Requests = s.RateLimits.Requests
	if st.corruptReads != nil {
		s.CorruptReads = st.corruptReads.Load()
	}
	if st.hub != nil {
		s.WS = st.hub.Stats()
	}
	return s
}
