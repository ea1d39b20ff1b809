package record

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/internal/h1"
	"github.com/candlecassette/candlecassette/plugins"
)

// Rewriter is an optional plugin interface for exchanges whose REST
// replies name WS endpoints (KuCoin's POST /api/v1/bullet-public): it
// returns body with those endpoints pointed at proxyWSBase (e.g.
// ws://127.0.0.1:8080), or body unchanged. The cassette keeps the original
// body; replay rewrites to itself the same way.
type Rewriter interface {
	RewriteResponse(path string, body []byte, proxyWSBase string) []byte
}

// MessageLimiter is the rate-limit layer's view of WS client messages
// (the ratelimit package's Limiter implements it): a client message it
// refuses closes the relay with code and reason.
type MessageLimiter interface {
	AllowMessage(r *http.Request) (ok bool, code int, reason string)
}

// Options configure a Server. Exchange and Cassette are required; every
// other zero value is a sensible default.
type Options struct {
	// Exchange is the plugin id, e.g. "binance_spot".
	Exchange string
	// Cassette is the file to record into; it is opened (created or
	// appended to) by Start and closed by Close.
	Cassette string
	// CassetteOptions tune the cassette (batching, lock timeout, OnCommit);
	// Exchange, upstreams, volatile params and redaction are filled in.
	CassetteOptions cassettes.Options
	// UpstreamREST and UpstreamWS are base URLs (scheme, host, port);
	// empty means the plugin's defaults (the real exchange).
	UpstreamREST string
	UpstreamWS   string
	// Redact names extra headers and params to redact, on top of the
	// built-in lists and the plugin's SecretHeaders/SecretParams.
	Redact []string
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
	// Wrap, if set, wraps the proxy handler (the network simulation and
	// rate limits on the client side of the proxy, and their admin API).
	Wrap func(http.Handler) http.Handler
	// Shaper, if set, delays, drops or aborts frames relayed to the client.
	Shaper plugins.WSShaper
	// Limiter, if set, limits the frames clients send.
	Limiter MessageLimiter
	// Logger receives errors and per-batch commits; nil discards them.
	Logger *slog.Logger
	// Now is the clock for recorded times; nil means time.Now.
	Now func() time.Time
	// MaxConns caps the client connections open at once (relayed
	// WebSockets included); past it a new one is answered 503 and closed.
	// Zero means 10000.
	MaxConns int
}

// Server is a running recording proxy.
type Server struct {
	opts    Options
	plugin  plugins.Plugin
	cas     *cassettes.Cassette
	restURL string
	wsURL   string
	rec     *recorder
	handler http.Handler
	srv     *http.Server
	limit   *h1.LimitListener
	ln      net.Listener
	logger  *slog.Logger

	relays sync.WaitGroup
	connMu sync.Mutex
	conns  map[*relay]struct{}
	done   chan struct{} // closed by Close: relays end

	closeOnce sync.Once
	closeErr  error
	serveErr  chan error
}

// New opens the cassette and builds the proxy without listening; mount
// Handler yourself or use Start.
func New(opts Options) (*Server, error) {
	p, err := plugins.Lookup(opts.Exchange)
	if err != nil {
		return nil, err
	}
	d := p.Defaults()
	s := &Server{opts: opts, plugin: p, conns: map[*relay]struct{}{}, done: make(chan struct{}), serveErr: make(chan error, 1)}
	s.restURL = strings.TrimRight(firstNonEmpty(opts.UpstreamREST, d.UpstreamREST), "/")
	s.wsURL = strings.TrimRight(firstNonEmpty(opts.UpstreamWS, d.UpstreamWS), "/")
	if s.restURL == "" {
		return nil, fmt.Errorf("record: %s has no default REST upstream; give one", p.Name())
	}
	s.logger = opts.Logger
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.MaxBody <= 0 {
		s.opts.MaxBody = 64 << 20
	}
	if s.opts.Transport == nil {
		s.opts.Transport = newTransport()
	}
	if s.opts.Dialer == nil {
		s.opts.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: nil, ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10}
	}
	co := opts.CassetteOptions
	co.ReadOnly = false
	co.Exchange = p.Name()
	co.ToolVersion = firstNonEmpty(opts.ToolVersion, co.ToolVersion)
	co.UpstreamREST, co.UpstreamWS = s.restURL, s.wsURL
	co.VolatileParams = append(append([]string(nil), co.VolatileParams...), d.VolatileParams...)
	co.Redact = append(append(append(append([]string(nil), co.Redact...), opts.Redact...), d.SecretHeaders...), d.SecretParams...)
	if co.OnCommit == nil {
		co.OnCommit = func(ci cassettes.CommitInfo) {
			s.logger.Info("batch committed", "batch", ci.Batch, "interactions", ci.Interactions, "frames", ci.Frames, "candles", ci.Candles, "took", ci.Duration)
		}
	}
	cas, err := cassettes.Open(opts.Cassette, 0o644, &co)
	if err != nil {
		return nil, err
	}
	s.cas = cas
	s.rec = newRecorder(s)
	var h http.Handler = http.HandlerFunc(s.serveHTTP)
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	s.handler = h
	return s, nil
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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("record: listen %s: %w", addr, err)
	}
	s.Serve(ln)
	return s, nil
}

// Serve serves on ln in the background until Close.
func (s *Server) Serve(ln net.Listener) {
	s.ln = ln
	s.limit = &h1.LimitListener{Listener: ln, Max: cmp.Or(s.opts.MaxConns, 10000)}
	if s.logger != nil {
		s.limit.ErrorLog = slog.NewLogLogger(s.logger.Handler(), slog.LevelError)
	}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: s.limit.ErrorLog}
	go func() {
		err := s.srv.Serve(s.limit)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
}

// ConnStats reports the client connections open now and those refused
// at MaxConns; zeros before Serve.
func (s *Server) ConnStats() (open, refused int64) {
	if s.limit == nil {
		return 0, 0
	}
	st := s.limit.Stats()
	return st.Open, st.Refused
}

// Handler is the proxy (wrapped by Options.Wrap).
func (s *Server) Handler() http.Handler { return s.handler }

// Cassette is the cassette being recorded into.
func (s *Server) Cassette() *cassettes.Cassette { return s.cas }

// Plugin is the exchange plugin.
func (s *Server) Plugin() plugins.Plugin { return s.plugin }

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the REST base URL clients point at.
func (s *Server) URL() string { return "http://" + s.Addr() }

// WSURL is the WS base URL clients point at.
func (s *Server) WSURL() string { return "ws://" + s.Addr() }

// Flush commits everything recorded so far to the cassette.
func (s *Server) Flush() error {
	s.rec.sync()
	return s.cas.Flush()
}

// Close stops listening, closes relays with 1001 (going away), waits for
// requests in flight up to ctx's deadline, then records what is queued and
// closes the cassette.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		close(s.done)
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
		s.relays.Wait()
		s.rec.close()
		if cerr := s.cas.Close(); err == nil {
			err = cerr
		}
		s.closeErr = err
	})
	return s.closeErr
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) {
		s.serveWS(w, r)
		return
	}
	s.serveREST(w, r)
}

// CloseAll closes every relayed WS connection that is not already
// closing with code and reason, to the client and to the upstream, and
// returns how many it closed. Code
// 1006 (or 0) cuts the connections without a close frame. It is the
// network simulation's and the admin API's disconnect in record mode.
func (s *Server) CloseAll(code int, reason string) int {
	s.connMu.Lock()
	rls := make([]*relay, 0, len(s.conns))
	for rl := range s.conns {
		if !rl.closing.Load() {
			rls = append(rls, rl)
		}
	}
	s.connMu.Unlock()
	for _, rl := range rls {
		rl.closeWith(code, reason)
	}
	return len(rls)
}
