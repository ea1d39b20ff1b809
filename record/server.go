package record

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// Options configure a Server. Cassette and Exchange or Exchanges are
// required; every other zero value is a sensible default.
type Options struct {
	// Exchange is the plugin id, e.g. "binance_spot": one exchange,
	// recorded into a single-exchange cassette (created in format 3, or
	// appended to; an existing file of several exchanges gets this one's
	// part).
	Exchange string
	// Exchanges are several plugin ids recorded at once into one cassette
	// of several exchanges (format 4): the front routes each request by
	// its host (serve's proxy mode) to the exchange that claims it, and
	// the cassette gets a part for each exchange the session touched.
	// On a host sibling ids share (www.okx.com), a request goes to the
	// sibling it is for and is recorded under it, as synth routes it; a
	// connection for every sibling at once goes to the first given (see
	// claims). Direct requests are refused (421) when more than one is
	// given.
	// Exclusive with Exchange.
	Exchanges []string
	// Cassette is the file to record into; it is opened (created or
	// appended to) by Start and closed by Close.
	Cassette string
	// CassetteOptions tune the cassette (batching, lock timeout, OnCommit);
	// Exchange, upstreams, volatile params, secrets and BeforeSave are
	// filled in, per exchange.
	CassetteOptions cassettes.Options
	// UpstreamREST and UpstreamWS are base URLs (scheme, host, port) of
	// Exchange; empty means the exchange the client asked for (see
	// Upstreams).
	UpstreamREST string
	UpstreamWS   string
	// Upstreams give an exchange's upstream base URLs by id (for
	// Exchanges; for Exchange, UpstreamREST and UpstreamWS win). Where
	// none is given, a request that came through the proxy goes to the
	// host it names (https and wss, as the real exchanges serve), and a
	// direct request to the plugin's default upstream.
	Upstreams map[string]Upstream
	// Passthrough lets proxied traffic for hosts no recorded exchange
	// claims through to them, untouched and unrecorded (a CONNECT is
	// dialled and piped, an absolute-form request forwarded); false
	// refuses it, as synth and replay always do.
	Passthrough bool
	// Redact names extra headers and params to redact, on top of the
	// cassette's generic names and the secrets every registered plugin
	// declares (SecretHeaders, SecretParams, LoginOps in its Defaults).
	Redact []string
	// BeforeSave is the recorder's hook stage (go-vcr's BeforeSaveHook):
	// it runs on every interaction, WS connection and frame the proxy
	// captured, of every exchange, on the recorder's goroutine, before
	// the cassette redacts and queues it. What is redacted is not
	// configured here: the plugins declare it.
	BeforeSave cassettes.Hooks
	// ToolVersion is written to the cassette's meta record.
	ToolVersion string
	// MaxBody is the largest request or response body recorded; 0 means
	// 64 MiB.
	MaxBody int64
	// Transport makes the upstream REST requests; nil means a transport
	// that never adds or strips compression.
	Transport http.RoundTripper
	// Dialer dials upstream WS; nil means one with a 10 s handshake timeout
	// and no compression.
	Dialer *websocket.Dialer
	// UpstreamProxy, if set, is an HTTP proxy the default Transport and
	// Dialer reach the upstreams through (CONNECT for https/wss), and
	// UpstreamRootCAs, if set, the roots they trust: how a recording is
	// made from another candlecassette reached through its proxy port
	// (its local CA), or from behind a corporate proxy.
	UpstreamProxy   *url.URL
	UpstreamRootCAs *x509.CertPool
	// Serve configures the front on the client side of the proxy, as in
	// every serving mode: network conditions, rate limits, the admin API
	// (whose status reports the recorder's write errors) and the logger,
	// which also receives the proxy's errors and per-batch commits.
	Serve serve.Options
	// Now is the clock for recorded times; nil means time.Now.
	Now func() time.Time
}

// Upstream is an exchange's upstream: base URLs (scheme, host, port) to
// which the client's path and query are appended. An empty one is the
// exchange the client asked for.
type Upstream struct {
	REST string
	WS   string
}

// Server is a running recording proxy: the front (serve.Server,
// embedded) around one proxy handler per exchange.
type Server struct {
	*serve.Server
	opts      Options
	exchanges []*exchange
	cas       *cassettes.Cassette // Options.Exchange's cassette
	file      *cassettes.File     // Options.Exchanges' file
	rec       *recorder
	logger    *slog.Logger

	writeErrs errorTally

	closeOnce sync.Once
	closeErr  error
}

// exchange is one exchange being recorded: its plugin, upstreams and
// part of the cassette.
type exchange struct {
	s      *Server
	plugin plugins.Plugin
	stack  *serve.Stack
	// restURL and wsURL are the default upstreams; restFixed and wsFixed
	// say they were given (Options), so proxied requests go there too.
	restURL, wsURL     string
	restFixed, wsFixed bool
	co                 cassettes.Options

	// cas is this exchange's cassette: opened at New for
	// Options.Exchange, at the first thing recorded for Options.Exchanges
	// (by the recorder goroutine, which alone touches casErr).
	cas    *cassettes.Cassette
	casErr error
}

// New opens the cassette and builds the proxy without listening; mount
// Handler yourself or use Start.
func New(opts Options) (*Server, error) {
	ids := opts.Exchanges
	multi := len(ids) > 0
	switch {
	case multi && opts.Exchange != "":
		return nil, errors.New("record: give Exchange or Exchanges, not both")
	case !multi:
		ids = []string{opts.Exchange}
	}
	s := &Server{opts: opts}
	s.logger = opts.Serve.Logger
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	s.writeErrs = errorTally{logger: s.logger, now: s.opts.Now}
	if s.opts.MaxBody <= 0 {
		s.opts.MaxBody = 64 << 20
	}
	var tlsConf *tls.Config
	if s.opts.UpstreamRootCAs != nil {
		tlsConf = &tls.Config{RootCAs: s.opts.UpstreamRootCAs}
	}
	var proxy func(*http.Request) (*url.URL, error)
	if s.opts.UpstreamProxy != nil {
		proxy = http.ProxyURL(s.opts.UpstreamProxy)
	}
	if s.opts.Transport == nil {
		tr := newTransport()
		tr.Proxy, tr.TLSClientConfig = proxy, tlsConf
		s.opts.Transport = tr
	}
	if s.opts.Dialer == nil {
		s.opts.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: proxy, TLSClientConfig: tlsConf,
			ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, fmt.Errorf("record: exchange %s given twice", id)
		}
		seen[id] = true
		x, err := s.newExchange(id, multi)
		if err != nil {
			return nil, err
		}
		s.exchanges = append(s.exchanges, x)
	}
	for id := range opts.Upstreams {
		if !seen[id] {
			return nil, fmt.Errorf("record: an upstream for %s, which is not recorded", id)
		}
	}
	var err error
	if multi {
		fo := opts.CassetteOptions
		fo.ReadOnly = false
		fo.ToolVersion = firstNonEmpty(opts.ToolVersion, fo.ToolVersion)
		s.file, err = cassettes.OpenFile(opts.Cassette, 0o644, &fo)
	} else {
		x := s.exchanges[0]
		x.cas, err = cassettes.Open(opts.Cassette, 0o644, &x.co)
		s.cas = x.cas
	}
	if err != nil {
		return nil, err
	}
	so := opts.Serve
	so.Logger = s.logger
	// A full disk must not pass unseen: /__admin/status shows the failed
	// writes while the proxy keeps answering.
	so.Recorder = func() any { return s.WriteErrors() }
	if opts.Passthrough {
		so.Passthrough = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	var front *serve.Server
	if multi {
		so.Hosts = nil
		front, err = serve.NewMulti(so, s.claims(opts.Serve.Hosts)...)
	} else {
		front, err = serve.New(s.exchanges[0].plugin, so)
	}
	if err != nil {
		s.closeCassettes()
		return nil, err
	}
	s.Server = front
	s.rec = newRecorder(s)
	for _, x := range s.exchanges {
		x.stack = front.Exchange(x.plugin.Name())
		x.stack.Handle(http.HandlerFunc(x.serveHTTP))
	}
	return s, nil
}

// newExchange sets up the recording of exchange id: its upstreams and
// cassette options.
func (s *Server) newExchange(id string, multi bool) (*exchange, error) {
	p, err := plugins.Lookup(id)
	if err != nil {
		return nil, err
	}
	opts := s.opts
	d := p.Defaults()
	x := &exchange{s: s, plugin: p}
	up := opts.Upstreams[id]
	if !multi {
		up.REST, up.WS = firstNonEmpty(opts.UpstreamREST, up.REST), firstNonEmpty(opts.UpstreamWS, up.WS)
	}
	x.restFixed, x.wsFixed = up.REST != "", up.WS != ""
	x.restURL = strings.TrimRight(firstNonEmpty(up.REST, d.UpstreamREST), "/")
	x.wsURL = strings.TrimRight(firstNonEmpty(up.WS, d.UpstreamWS), "/")
	if x.restURL == "" {
		return nil, fmt.Errorf("record: %s has no default REST upstream; give one", p.Name())
	}
	co, err := CassetteOptions(id, opts.CassetteOptions, x.restURL, x.wsURL, opts.Redact)
	if err != nil {
		return nil, err
	}
	co.ToolVersion = firstNonEmpty(opts.ToolVersion, co.ToolVersion)
	co.BeforeSave = opts.BeforeSave
	if co.OnCommit == nil {
		co.OnCommit = func(ci cassettes.CommitInfo) {
			s.logger.Info("batch committed", "exchange", p.Name(), "batch", ci.Batch, "interactions", ci.Interactions, "frames", ci.Frames, "candles", ci.Candles, "took", ci.Duration)
		}
	}
	x.co = co
	return x, nil
}

// claims are the exchanges for the front with the hosts each is reached
// at (hosts(p), or its declared Hosts). A host sibling ids share
// (plugins.SharedHostRouter: www.okx.com for okx_spot and okx_perpetual)
// is claimed by every sibling recorded, so that the front routes each
// request on it as synth does: by the lead's Owner, to the sibling it
// names, whose proxy forwards it to its own upstream and records it in
// its own part of the cassette. A request Owner gives to every sibling at
// once (an OKX business socket carrying spot and swap candles) goes to
// the lead (the first of them given), and is recorded under it: replay
// serves such a connection from the lead's part, over the siblings'
// markets together (replay's multitape.go). A host two exchanges that
// are not siblings declare goes to the first, with a warning: the
// recording can file its traffic under one id only.
func (s *Server) claims(hosts func(plugins.Plugin) []string) []serve.Exchange {
	owner := map[string]plugins.Plugin{}
	var out []serve.Exchange
	for _, x := range s.exchanges {
		hs := x.plugin.Defaults().Hosts
		if hosts != nil {
			hs = hosts(x.plugin)
		}
		var own []string
		for _, h := range hs {
			name := hostName(h)
			if o, ok := owner[name]; ok {
				if o.Name() == x.plugin.Name() {
					continue
				}
				if !siblings(o, x.plugin) {
					s.logger.Warn("a host two recorded exchanges use is recorded under the first", "host", name, "recorded_as", o.Name(), "also", x.plugin.Name())
					continue
				}
			} else {
				owner[name] = x.plugin
			}
			own = append(own, h)
		}
		out = append(out, serve.Exchange{Plugin: x.plugin, Hosts: own})
	}
	return out
}

// siblings says whether b may share lead's hosts
// (plugins.SharedHostRouter).
func siblings(lead, b plugins.Plugin) bool {
	r, ok := lead.(plugins.SharedHostRouter)
	if !ok {
		return false
	}
	_, ok = b.(plugins.SharedHostRouter)
	return ok && slices.Contains(r.Siblings(), b.Name())
}

// hostName is a Host header's or host list entry's name: lower case,
// without port or brackets.
func hostName(h string) string {
	if n, _, err := net.SplitHostPort(h); err == nil {
		h = n
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// newTransport is an http.Transport for a faithful proxy: compression is
// left to the client (its Accept-Encoding goes upstream as is, and the
// response comes back undecoded), and no proxy from the environment.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}
}

// Start builds a Server and listens on addr ("127.0.0.1:0" picks a port).
func Start(opts Options, addr string) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(addr); err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("record: %w", err)
	}
	return s, nil
}

// Cassette is the cassette being recorded into for Options.Exchange; nil
// for Options.Exchanges (see File).
func (s *Server) Cassette() *cassettes.Cassette { return s.cas }

// File is the cassette file of Options.Exchanges, holding a part for
// each exchange the session touched; nil for Options.Exchange.
func (s *Server) File() *cassettes.File { return s.file }

// Plugin is the (first) exchange's plugin.
func (s *Server) Plugin() plugins.Plugin { return s.exchanges[0].plugin }

// Flush commits everything recorded so far to the cassette. A failure is
// also counted in WriteErrors.
func (s *Server) Flush() error {
	s.rec.sync()
	var err error
	if s.file != nil {
		err = s.file.Flush()
	} else {
		err = s.cas.Flush()
	}
	s.rec.check(nil, err)
	return err
}

func (s *Server) closeCassettes() error {
	if s.file != nil {
		return s.file.Close()
	}
	if s.cas != nil {
		return s.cas.Close()
	}
	return nil
}

// WriteErrors reports the writes to the cassette that failed so far while
// the proxy went on answering. Count is 0 for a complete recording.
func (s *Server) WriteErrors() WriteErrors { return s.writeErrs.snapshot() }

// ErrWritesFailed is returned by Close when the proxy answered requests
// whose recording the cassette refused (see WriteErrors).
var ErrWritesFailed = errors.New("record: writes to the cassette failed")

// Close stops listening, closes relays with 1001 (going away), waits for
// requests in flight up to ctx's deadline, then records what is queued and
// closes the cassette. If any write to the cassette failed, now or
// earlier, the error says so (ErrWritesFailed, or the cassette's own).
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		// The front stops accepting and waits for every relay.
		err := s.Server.Close(ctx)
		s.rec.close()
		cerr := s.closeCassettes()
		s.rec.check(nil, cerr) // the last batch's commit, or an earlier failure
		if err == nil {
			err = cerr
		}
		if we := s.writeErrs.snapshot(); err == nil && we.Count > 0 {
			err = fmt.Errorf("%w: %d, last: %s", ErrWritesFailed, we.Count, we.LastError)
		}
		s.closeErr = err
	})
	return s.closeErr
}

func (x *exchange) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) {
		x.serveWS(w, r)
		return
	}
	x.serveREST(w, r)
}

// upstream is the base URL r goes to: the one given for the exchange
// (fixed), else for a request that came through the proxy under one of
// the exchange's hosts the host it names — with the scheme of the
// default upstream, as the real hosts serve TLS only —, else the default.
func (x *exchange) upstream(r *http.Request, base string, fixed bool) string {
	if fixed || x.stack == nil || !slices.Contains(x.stack.Hosts(), hostName(r.Host)) {
		return base
	}
	scheme, _, ok := strings.Cut(base, "://")
	if !ok {
		return base
	}
	return scheme + "://" + r.Host
}

// cassette is the exchange's part of the cassette, opened at the first
// thing recorded for it; only the recorder goroutine calls it.
func (x *exchange) cassette() (*cassettes.Cassette, error) {
	if x.cas == nil && x.casErr == nil {
		x.cas, x.casErr = x.s.file.Exchange(x.plugin.Name(), &x.co)
	}
	return x.cas, x.casErr
}

// CloseAll closes every relayed WS connection that is not already
// closing with code and reason, to the client and to the upstream, of
// every exchange, and returns how many it closed. Code 1006 (or 0) cuts
// the connections without a close frame. The admin API and the network
// simulation reach the relays the same way, through the front's Hubs.
func (s *Server) CloseAll(code int, reason string) int {
	n := 0
	for _, x := range s.exchanges {
		n += x.stack.Hub().CloseAll(code, reason)
	}
	return n
}
