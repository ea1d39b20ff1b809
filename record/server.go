package record

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// Options configure a Server. Exchange and Cassette are required; every
// other zero value is a sensible default.
type Options struct {
	// Exchange is the plugin id, e.g. "binance_spot".
	Exchange string
	// Cassette is the file to record into; it is opened (created or
	// appended to) by Start and closed by Close.
	Cassette string
	// CassetteOptions tune the cassette (batching, lock timeout, OnCommit);
	// Exchange, upstreams, volatile params, secrets and BeforeSave are
	// filled in.
	CassetteOptions cassettes.Options
	// UpstreamREST and UpstreamWS are base URLs (scheme, host, port);
	// empty means the plugin's defaults (the real exchange).
	UpstreamREST string
	UpstreamWS   string
	// Redact names extra headers and params to redact, on top of the
	// cassette's generic names and the secrets every registered plugin
	// declares (SecretHeaders, SecretParams, LoginOps in its Defaults).
	Redact []string
	// BeforeSave is the recorder's hook stage (go-vcr's BeforeSaveHook):
	// it runs on every interaction, WS connection and frame the proxy
	// captured, on the recorder's goroutine, before the cassette redacts
	// and queues it. What is redacted is not configured here: the
	// plugins declare it.
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
	// Serve configures the front on the client side of the proxy, as in
	// every serving mode: network conditions, rate limits, the admin API
	// (whose status reports the recorder's write errors) and the logger,
	// which also receives the proxy's errors and per-batch commits.
	Serve serve.Options
	// Now is the clock for recorded times; nil means time.Now.
	Now func() time.Time
}

// Server is a running recording proxy: the front (serve.Server,
// embedded) around the proxy handler.
type Server struct {
	*serve.Server
	opts    Options
	plugin  plugins.Plugin
	cas     *cassettes.Cassette
	restURL string
	wsURL   string
	rec     *recorder
	logger  *slog.Logger

	writeErrs errorTally

	closeOnce sync.Once
	closeErr  error
}

// New opens the cassette and builds the proxy without listening; mount
// Handler yourself or use Start.
func New(opts Options) (*Server, error) {
	p, err := plugins.Lookup(opts.Exchange)
	if err != nil {
		return nil, err
	}
	d := p.Defaults()
	s := &Server{opts: opts, plugin: p}
	s.restURL = strings.TrimRight(firstNonEmpty(opts.UpstreamREST, d.UpstreamREST), "/")
	s.wsURL = strings.TrimRight(firstNonEmpty(opts.UpstreamWS, d.UpstreamWS), "/")
	if s.restURL == "" {
		return nil, fmt.Errorf("record: %s has no default REST upstream; give one", p.Name())
	}
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
	co.Secrets = secretsOf(p)
	co.Redact = slices.Concat(co.Redact, opts.Redact)
	co.BeforeSave = opts.BeforeSave
	// A redacted param must not be in the match key either: the recording
	// holds REDACTED where replay's client sends the real value.
	co.VolatileParams = slices.Concat(co.VolatileParams, d.VolatileParams, co.Secrets.Params, opts.Redact)
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
	so := opts.Serve
	so.Logger = s.logger
	// A full disk must not pass unseen: /__admin/status shows the failed
	// writes while the proxy keeps answering.
	so.Recorder = func() any { return s.WriteErrors() }
	front, err := serve.New(p, so)
	if err != nil {
		cas.Close()
		return nil, err
	}
	s.Server = front
	s.rec = newRecorder(s)
	front.Handle(http.HandlerFunc(s.serveHTTP))
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
	if err := s.Listen(addr); err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("record: %w", err)
	}
	return s, nil
}

// Cassette is the cassette being recorded into.
func (s *Server) Cassette() *cassettes.Cassette { return s.cas }

// Plugin is the exchange plugin.
func (s *Server) Plugin() plugins.Plugin { return s.plugin }

// Flush commits everything recorded so far to the cassette. A failure is
// also counted in WriteErrors.
func (s *Server) Flush() error {
	s.rec.sync()
	err := s.cas.Flush()
	s.rec.check(err)
	return err
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
		cerr := s.cas.Close()
		s.rec.check(cerr) // the last batch's commit, or an earlier failure
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

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) {
		s.serveWS(w, r)
		return
	}
	s.serveREST(w, r)
}

// CloseAll closes every relayed WS connection that is not already
// closing with code and reason, to the client and to the upstream, and
// returns how many it closed. Code 1006 (or 0) cuts the connections
// without a close frame. The admin API and the network simulation reach
// the relays the same way, through the front's Hub.
func (s *Server) CloseAll(code int, reason string) int { return s.Hub().CloseAll(code, reason) }
