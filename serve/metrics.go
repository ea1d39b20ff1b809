package serve

import (
	"cmp"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// Prometheus metrics, on a registry of the Server's own (not the global
// one), served at /metrics under the admin rules. The request counters
// and latencies move as requests finish (observe.go); what the layers
// already count — WS connections and messages, WS faults, rate-limit
// refusals and bans, damaged cassette reads — is read from their counters
// when scraped, so it costs the serving path nothing. Those read counters
// restart from zero on /__admin/reset, which Prometheus takes for a counter
// reset.

// metrics are one Server's collectors.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	faults   *prometheus.CounterVec
	reads    *prometheus.CounterVec
	handler  http.Handler

	mu     sync.Mutex
	stacks []*Stack
}

// latencyBuckets span a local answer (well under a millisecond) to a
// simulated slow network (seconds).
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "candlecassette_http_requests_total",
		Help: "REST requests served, by exchange, route class, status (0: no answer) and source of the answer.",
	}, []string{"exchange", "route", "status", "source"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "candlecassette_http_request_duration_seconds",
		Help:    "Time to serve a REST request, injected latency included, by exchange and route class.",
		Buckets: latencyBuckets,
	}, []string{"exchange", "route"})
	m.faults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "candlecassette_faults_injected_total",
		Help: "Faults the network simulation put on REST requests, by exchange and kind (latency, drop, hang, outage, error, throttle, stale_snapshot).",
	}, []string{"exchange", "kind"})
	m.reads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "candlecassette_cassette_reads_total",
		Help: "REST requests answered from the cassette, by exchange and source (exact: a recorded interaction; index: the candle index).",
	}, []string{"exchange", "source"})
	m.reg.MustRegister(m.requests, m.latency, m.faults, m.reads, stackCollector{m},
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "candlecassette_synthetic_candles_total",
			Help: "Candles the synthetic market generated in this process (REST, WS and gap filling).",
		}, func() float64 { return float64(synth.Generated()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

func (m *metrics) add(st *Stack) {
	m.mu.Lock()
	m.stacks = append(m.stacks, st)
	m.mu.Unlock()
}

// Registry is the Prometheus registry of the server's metrics, to add
// collectors of one's own or gather in process.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// stackObs is one Stack's observation: its request log and its children
// of the metric vectors.
type stackObs struct {
	m        *metrics
	exchange string
	log      requestLog
	inProc   inProcessFree
	served   atomic.Int64
	bytes    atomic.Int64
	failed   atomic.Int64
	// overdue counts requests logged as overdue (overdue.go), after
	// overdueAfter (0: not watched).
	overdue      atomic.Int64
	overdueAfter time.Duration
	logger       *slog.Logger
	secret       map[string]bool
	routes       map[string]string // a REST path the plugin lists → its route class

	mu       sync.RWMutex
	children map[childKey]*child
	faultsBy map[string]prometheus.Counter
}

type childKey struct {
	route  string
	status int
	source Source
}

type child struct {
	requests prometheus.Counter
	latency  prometheus.Observer
	read     prometheus.Counter // nil unless the source is the cassette
}

func newStackObs(p plugins.Plugin, m *metrics, opts Options) *stackObs {
	o := &stackObs{m: m, exchange: p.Name(), secret: secretParams(p), routes: map[string]string{},
		logger: cmp.Or(opts.Logger, discardLogger), overdueAfter: cmp.Or(opts.OverdueAfter, DefaultOverdueAfter),
		children: map[childKey]*child{}, faultsBy: map[string]prometheus.Counter{}}
	rest, _ := p.Routes()
	for _, r := range rest {
		if _, path, ok := strings.Cut(r, " "); ok {
			r = path
		}
		r, _, _ = strings.Cut(r, "?")
		o.routes[r] = r
	}
	for _, k := range []string{netsim.FaultLatency, netsim.FaultDrop, netsim.FaultHang, netsim.FaultOutage, netsim.FaultError, netsim.FaultThrottle, netsim.FaultStaleSnapshot} {
		o.faultsBy[k] = m.faults.WithLabelValues(o.exchange, k)
	}
	return o
}

// route is the route class of r once served: the pattern of the plugin's
// route that matched it, else the REST route it lists for the path, else
// "other" — a label of bounded cardinality.
func (o *stackObs) route(r *http.Request) string {
	if p := r.Pattern; p != "" && p != "/" {
		if _, path, ok := strings.Cut(p, " "); ok {
			p = path
		}
		return strings.TrimSuffix(p, "{$}")
	}
	if c, ok := o.routes[r.URL.Path]; ok {
		return c
	}
	return "other"
}

// count moves the request metrics for one request.
func (o *stackObs) count(route string, status int, src Source, d time.Duration, bytes int64) {
	o.served.Add(1)
	o.bytes.Add(bytes)
	if status == 0 || status >= 500 {
		o.failed.Add(1)
	}
	k := childKey{route: route, status: status, source: src}
	o.mu.RLock()
	c := o.children[k]
	o.mu.RUnlock()
	if c == nil {
		c = o.child(k)
	}
	c.requests.Inc()
	c.latency.Observe(d.Seconds())
	if c.read != nil {
		c.read.Inc()
	}
}

func (o *stackObs) child(k childKey) *child {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c := o.children[k]; c != nil {
		return c
	}
	c := &child{
		requests: o.m.requests.WithLabelValues(o.exchange, k.route, strconv.Itoa(k.status), string(k.source)),
		latency:  o.m.latency.WithLabelValues(o.exchange, k.route),
	}
	if k.source == SourceExact || k.source == SourceIndex {
		c.read = o.m.reads.WithLabelValues(o.exchange, string(k.source))
	}
	o.children[k] = c
	return c
}

// fault counts a fault the network simulation injected.
func (o *stackObs) fault(kind string) {
	if c := o.faultsBy[kind]; c != nil {
		c.Inc()
		return
	}
	o.m.faults.WithLabelValues(o.exchange, kind).Inc()
}

func (o *stackObs) redact(q string) string { return redactQuery(q, o.secret) }

// stackCollector reads the layers' own counters of every Stack when
// scraped.
type stackCollector struct{ m *metrics }

var (
	descWSConns = prometheus.NewDesc("candlecassette_ws_connections",
		"WebSocket connections open.", []string{"exchange"}, nil)
	descWSSubs = prometheus.NewDesc("candlecassette_ws_subscriptions",
		"WebSocket subscriptions live.", []string{"exchange"}, nil)
	descWSOpened = prometheus.NewDesc("candlecassette_ws_connections_opened_total",
		"WebSocket connections accepted.", []string{"exchange"}, nil)
	descWSSent = prometheus.NewDesc("candlecassette_ws_messages_sent_total",
		"WebSocket messages sent to clients.", []string{"exchange"}, nil)
	descWSDropped = prometheus.NewDesc("candlecassette_ws_messages_dropped_total",
		"WebSocket messages dropped for clients too slow to take them.", []string{"exchange"}, nil)
	descWSReceived = prometheus.NewDesc("candlecassette_ws_messages_received_total",
		"WebSocket messages received from clients.", []string{"exchange"}, nil)
	descWSFaults = prometheus.NewDesc("candlecassette_ws_faults_total",
		"Faults the network simulation put on WebSocket traffic, by kind (delay, drop, abort, refused, disconnect).", []string{"exchange", "kind"}, nil)
	descRefusals = prometheus.NewDesc("candlecassette_ratelimit_refusals_total",
		"Requests and connections the rate limits refused, by kind (limited: 429, banned: 418, ws_refused, ws_limited).", []string{"exchange", "kind"}, nil)
	descBans = prometheus.NewDesc("candlecassette_ratelimit_bans_total",
		"IP bans the rate limits imposed.", []string{"exchange"}, nil)
	descBanned = prometheus.NewDesc("candlecassette_ratelimit_banned_ips",
		"IPs banned right now.", []string{"exchange"}, nil)
	descBytes = prometheus.NewDesc("candlecassette_http_response_bytes_total",
		"REST response body bytes sent.", []string{"exchange"}, nil)
	descProtocol = prometheus.NewDesc("candlecassette_protocol_faults_total",
		"Exchange-protocol faults injected, by kind (book_gap, book_duplicate, book_reorder, book_corrupt, stale_snapshot, resync) and route (the conditions route's path or prefix*, or default).", []string{"exchange", "kind", "route"}, nil)
	descSkew = prometheus.NewDesc("candlecassette_clock_skew_seconds",
		"How far the served exchange's clock runs ahead of true time (negative: behind).", []string{"exchange"}, nil)
	descOverdue = prometheus.NewDesc("candlecassette_http_requests_overdue_total",
		"REST requests still unanswered 5 s after they arrived (Options.OverdueAfter) with no injected fault to explain it; each is also logged.", []string{"exchange"}, nil)
	descCorrupt = prometheus.NewDesc("candlecassette_cassette_checksum_failures_total",
		"Requests and streams a damaged cassette read failed (checksum or decoding).", []string{"exchange"}, nil)
)

func (stackCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWSConns, descWSSubs, descWSOpened, descWSSent, descWSDropped, descWSReceived,
		descWSFaults, descRefusals, descBans, descBanned, descBytes, descCorrupt, descProtocol, descSkew} {
		ch <- d
	}
}

func (c stackCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	stacks := append([]*Stack(nil), c.m.stacks...)
	c.m.mu.Unlock()
	for _, st := range stacks {
		x := st.plugin.Name()
		ws := st.hub.Stats()
		f := st.sim.Stats()
		rl := st.limiter.Stats()
		gauge := func(d *prometheus.Desc, v float64, lv ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{x}, lv...)...)
		}
		counter := func(d *prometheus.Desc, v int64, lv ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{x}, lv...)...)
		}
		gauge(descWSConns, float64(ws.Connections))
		gauge(descWSSubs, float64(ws.Subscriptions))
		counter(descWSOpened, ws.TotalConnections)
		counter(descWSSent, ws.MessagesSent)
		counter(descWSDropped, ws.MessagesDropped)
		counter(descWSReceived, ws.MessagesReceived)
		counter(descWSFaults, f.WSDelayed, "delay")
		counter(descWSFaults, f.WSDropped, "drop")
		counter(descWSFaults, f.WSAborted, "abort")
		counter(descWSFaults, f.WSRefused, "refused")
		counter(descWSFaults, f.Disconnected, "disconnect")
		counter(descRefusals, rl.Limited, "limited")
		counter(descRefusals, rl.Banned, "banned")
		counter(descRefusals, rl.WSRefused, "ws_refused")
		counter(descRefusals, rl.WSLimited, "ws_limited")
		counter(descBans, rl.Bans)
		gauge(descBanned, float64(rl.BannedIPs))
		counter(descBytes, st.obs.bytes.Load())
		counter(descOverdue, st.obs.overdue.Load())
		for kind, byRoute := range f.Protocol {
			for route, n := range byRoute {
				counter(descProtocol, n, kind, route)
			}
		}
		gauge(descSkew, st.sim.ClockSkew().Seconds())
		if st.corruptReads != nil {
			counter(descCorrupt, st.corruptReads.Load())
		}
	}
}
