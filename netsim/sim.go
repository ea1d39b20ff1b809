package netsim

import (
	"math"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// Response is a canned HTTP response: the exchange's own error answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Options configure a Sim. The zero value simulates a perfect network.
type Options struct {
	// Seed seeds every random choice.
	Seed uint64
	// Config is the initial configuration.
	Config Config
	// Error is the exchange's answer to an injected error (e.g. Binance's
	// {"code":-1001,...} with a 5xx status); nil gives a bare 503.
	Error func(r *http.Request) Response
	// Disconnect closes every WS connection with the given close code and
	// returns how many it closed (plugins.Hub.CloseAll); nil means
	// scheduled disconnects do nothing.
	Disconnect func(code int, reason string) int
	// Fault, if set, is told of every fault put on a REST request (one
	// of the Fault* kinds), as it is applied, with the request: the
	// serving front's request log and metrics. It must be quick.
	Fault func(r *http.Request, kind string)
}

// The faults a REST request can meet, as Options.Fault names them.
const (
	FaultLatency  = "latency"  // delayed
	FaultDrop     = "drop"     // connection cut without an answer
	FaultHang     = "hang"     // held without an answer until the client gives up
	FaultOutage   = "outage"   // lost to an outage window (dropped or held)
	FaultError    = "error"    // answered with the exchange's server error
	FaultThrottle = "throttle" // body slowed by a bandwidth cap
)

// fault tells Options.Fault of kind.
func (s *Sim) fault(r *http.Request, kind string) {
	if s.opts.Fault != nil {
		s.opts.Fault(r, kind)
	}
}

// Sim is a network simulation. Build it with New; Close it when done.
type Sim struct {
	opts Options

	mu  sync.Mutex
	cfg Config
	// When the Disconnects and the Outages were last changed: their
	// offsets count from there.
	epochD, epochO, epochS time.Time
	// rescheduled is when a schedule last changed.
	rescheduled time.Time
	rest        *rand.Rand
	ws          *rand.Rand
	// The protocol faults' state (protocol.go, protolink.go): their
	// random streams (WS messages, REST snapshots), when their At moments
	// count from, the REST snapshots' trigger state by route and the
	// faults injected by kind and route.
	protoWS, protoREST *rand.Rand
	epochP             time.Time
	snapFired          map[string]*fired
	protoCounts        map[protoKey]int64
	// protoOn is set while any protocol fault is configured: without
	// one, messages take no lock for them.
	protoOn atomic.Bool
	// skew is Config.ClockSkew, read without the lock.
	skew atomic.Int64
	// timed is set while a WS message may be held before it is due: a
	// latency, jitter or bandwidth cap (by default or on a route), or a
	// slowdown (see Link.Immediate).
	timed atomic.Bool

	// lateness is how late timers fire on this machine, learnt by every
	// wait the Sim times (REST delays and WS links).
	lateness lateness

	kick   chan struct{}
	done   chan struct{}
	exited chan struct{}
	closed sync.Once

	stats struct {
		requests, delayed, dropped, hung, errors, outage, bandwidth atomic.Int64
		wsMessages, wsDelayed, wsDropped, wsAborted, wsRefused      atomic.Int64
		disconnects, disconnected, slowed                           atomic.Int64
	}
}

// Stats are the Sim's counters since the last Reset.
type Stats struct {
	// Requests counts REST requests seen; Delayed those given latency;
	// Dropped and Hung the lost ones; Errors the injected 5xx answers;
	// Outage the requests lost to an outage window (also in Dropped or
	// Hung); Throttled the bodies slowed by a bandwidth cap.
	Requests  int64 `json:"requests"`
	Delayed   int64 `json:"delayed"`
	Dropped   int64 `json:"dropped"`
	Hung      int64 `json:"hung"`
	Errors    int64 `json:"errors"`
	Outage    int64 `json:"outage"`
	Throttled int64 `json:"throttled"`
	// WSMessages counts server WS messages shaped; WSDelayed, WSDropped
	// and WSAborted what happened to them; WSRefused the handshakes refused
	// during an outage.
	WSMessages int64 `json:"ws_messages"`
	WSDelayed  int64 `json:"ws_delayed"`
	WSDropped  int64 `json:"ws_dropped"`
	WSAborted  int64 `json:"ws_aborted"`
	WSRefused  int64 `json:"ws_refused"`
	// Disconnects counts disconnect-all events (scheduled or asked for),
	// Disconnected the connections they closed.
	Disconnects  int64 `json:"disconnects"`
	Disconnected int64 `json:"disconnected"`
	// Slowed counts requests and messages served during a slowdown.
	Slowed int64 `json:"slowed"`
	// Protocol counts the exchange-protocol faults injected, by kind
	// (FaultBookGap, ...) and route (the path or prefix* of the route
	// whose conditions applied, or "default").
	Protocol map[string]map[string]int64 `json:"protocol"`
}

// New returns a Sim for opts. Its Config must be valid.
func New(opts Options) (*Sim, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{
		opts:   opts,
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	s.cfg = normalize(opts.Config)
	s.epochD = time.Now()
	s.epochO = s.epochD
	s.epochS = s.epochD
	s.epochP = s.epochD
	s.rescheduled = s.epochD
	s.seed()
	s.protoCounts = map[protoKey]int64{}
	s.setProtoLocked()
	go s.schedule()
	return s, nil
}

func normalize(c Config) Config {
	c.Conditions = c.Conditions.normalized()
	return c
}

// seed restarts both random streams from the seed.
func (s *Sim) seed() {
	s.rest = rand.New(rand.NewPCG(s.opts.Seed, 0x6e657473696d0001))
	s.ws = rand.New(rand.NewPCG(s.opts.Seed, 0x6e657473696d0002))
	s.protoWS = rand.New(rand.NewPCG(s.opts.Seed, 0x6e657473696d0003))
	s.protoREST = rand.New(rand.NewPCG(s.opts.Seed, 0x6e657473696d0004))
	s.snapFired = map[string]*fired{}
}

// Config returns the configuration in force.
func (s *Sim) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneConfig(s.cfg)
}

func cloneConfig(c Config) Config {
	c.Routes = append([]Route(nil), c.Routes...)
	c.Disconnects = append([]Disconnect(nil), c.Disconnects...)
	c.Outages = append([]Outage(nil), c.Outages...)
	c.Slowdowns = append([]Slowdown(nil), c.Slowdowns...)
	return c
}

// SetConfig replaces the configuration; the next request or message sees
// it. Changed Disconnects (or Outages) start over from now; an unchanged
// list keeps its course.
func (s *Sim) SetConfig(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c = normalize(cloneConfig(c))
	s.mu.Lock()
	now := time.Now()
	if !reflect.DeepEqual(c.Disconnects, s.cfg.Disconnects) {
		s.epochD, s.rescheduled = now, now
	}
	if !reflect.DeepEqual(c.Outages, s.cfg.Outages) {
		s.epochO, s.rescheduled = now, now
	}
	if !reflect.DeepEqual(c.Slowdowns, s.cfg.Slowdowns) {
		s.epochS = now
	}
	if !reflect.DeepEqual(protocolOf(c), protocolOf(s.cfg)) {
		s.epochP = now
		s.snapFired = map[string]*fired{}
	}
	s.cfg = c
	s.setProtoLocked()
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// Reset zeroes the counters and restarts the random streams from the seed,
// so the fault sequence repeats from its beginning (connections already
// open keep their every-N counts).
func (s *Sim) Reset() {
	s.mu.Lock()
	s.seed()
	clear(s.protoCounts)
	s.mu.Unlock()
	for _, c := range []*atomic.Int64{
		&s.stats.requests, &s.stats.delayed, &s.stats.dropped, &s.stats.hung, &s.stats.errors,
		&s.stats.outage, &s.stats.bandwidth, &s.stats.wsMessages, &s.stats.wsDelayed,
		&s.stats.wsDropped, &s.stats.wsAborted, &s.stats.wsRefused, &s.stats.disconnects, &s.stats.disconnected, &s.stats.slowed,
	} {
		c.Store(0)
	}
}

// Stats returns the counters.
func (s *Sim) Stats() Stats {
	return Stats{
		Requests: s.stats.requests.Load(), Delayed: s.stats.delayed.Load(),
		Dropped: s.stats.dropped.Load(), Hung: s.stats.hung.Load(), Errors: s.stats.errors.Load(),
		Outage: s.stats.outage.Load(), Throttled: s.stats.bandwidth.Load(),
		WSMessages: s.stats.wsMessages.Load(), WSDelayed: s.stats.wsDelayed.Load(),
		WSDropped: s.stats.wsDropped.Load(), WSAborted: s.stats.wsAborted.Load(), WSRefused: s.stats.wsRefused.Load(),
		Disconnects: s.stats.disconnects.Load(), Disconnected: s.stats.disconnected.Load(),
		Slowed:   s.stats.slowed.Load(),
		Protocol: s.protocolStats(),
	}
}

// DisconnectAll closes every WS connection with code (0 means 1006, cut
// without a close frame) and returns how many were closed.
func (s *Sim) DisconnectAll(code int, reason string) int {
	if code == 0 {
		code = 1006
	}
	s.stats.disconnects.Add(1)
	if s.opts.Disconnect == nil {
		return 0
	}
	n := s.opts.Disconnect(code, reason)
	s.stats.disconnected.Add(int64(n))
	return n
}

// Close stops the schedule and releases hung requests (their connections
// are cut). It is safe to call more than once.
func (s *Sim) Close() {
	s.closed.Do(func() { close(s.done) })
	<-s.exited
}

// verdict is what happens to one request or message.
type verdict struct {
	delay     time.Duration
	lost      bool
	fail      bool
	outage    bool
	lossMode  string
	bandwidth int64
}

// decide draws the fate of a request (rest) or WS message on path. It
// always takes three draws so the sequence stays aligned whatever the
// outcome.
func (s *Sim) decide(path string, rest bool) verdict {
	now := time.Now()
	s.mu.Lock()
	rng := s.ws
	if rest {
		rng = s.rest
	}
	uLoss, uErr, uLat := rng.Float64(), rng.Float64(), rng.Float64()
	c := s.cfg.Conditions
	for _, r := range s.cfg.Routes {
		if r.matches(path) {
			c = r.apply(c).normalized()
			break
		}
	}
	out := s.inOutageLocked(now)
	slowed := false
	for _, sd := range s.cfg.Slowdowns {
		if inWindow(now, sd.At.resolve(s.epochS), sd.Duration, sd.Every) {
			slowed = true
			c.Latency += sd.Latency
			if sd.Bandwidth > 0 {
				c.Bandwidth = sd.Bandwidth
			}
			break
		}
	}
	s.mu.Unlock()
	if slowed {
		s.stats.slowed.Add(1)
	}
	v := verdict{lossMode: c.LossMode, bandwidth: c.Bandwidth, outage: out}
	v.lost = out || uLoss < c.Loss
	v.fail = !v.lost && uErr < c.ErrorRate
	v.delay = sample(c, uLat)
	return v
}

// maxDelay caps a heavy-tailed draw.
const maxDelay = 10 * time.Minute

// sample turns u in [0,1) into a latency under c.
func sample(c Conditions, u float64) time.Duration {
	lat, jit := float64(c.Latency), float64(c.Jitter)
	var d float64
	switch c.LatencyDist {
	case DistPareto:
		// Lomax (Pareto II) with shape 3 and scale 2·jitter has mean jitter.
		const shape = 3
		d = lat + 2*jit*(math.Pow(1-u, -1.0/shape)-1)
	default:
		d = lat + (2*u-1)*jit
	}
	if d < 0 {
		return 0
	}
	return min(time.Duration(d), maxDelay)
}

func (s *Sim) inOutageLocked(now time.Time) bool {
	for _, o := range s.cfg.Outages {
		if inWindow(now, o.At.resolve(s.epochO), o.Duration, o.Every) {
			return true
		}
	}
	return false
}
