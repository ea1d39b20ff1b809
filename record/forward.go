package record

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

// Forwarder sends single REST requests of one exchange to its upstream,
// the way the recording proxy does (same transport, headers, body
// handling and KuCoin-style rewrites), and records each exchange into an
// already open cassette if one is given: replay's --on-miss upstream,
// and its --record-missing (go-vcr's "new episodes"). It has no front of
// its own: the caller's serves the client side.
type Forwarder struct {
	s *Server
	x *exchange
}

// ForwardOptions configure a Forwarder. Exchange is required.
type ForwardOptions struct {
	// Exchange is the plugin id.
	Exchange string
	// UpstreamREST is the base URL requests go to; empty means the
	// plugin's default upstream.
	UpstreamREST string
	// Cassette, if set, receives every forwarded interaction, decoded and
	// indexed as the recording proxy records it; it must be opened
	// writable with CassetteOptions (so secrets are redacted) and stays
	// the caller's to close, after the Forwarder's Close. Nil forwards
	// without recording.
	Cassette *cassettes.Cassette
	// Transport makes the upstream requests; nil means the proxy's own
	// (compression left to the client, no proxy from the environment).
	Transport http.RoundTripper
	// Logger receives upstream failures and the distinct write errors.
	Logger *slog.Logger
	// MaxBody is the largest body recorded; 0 means 64 MiB.
	MaxBody int64
	// Now is the clock for recorded times; nil means time.Now.
	Now func() time.Time
}

// NewForwarder builds a Forwarder.
func NewForwarder(o ForwardOptions) (*Forwarder, error) {
	p, err := plugins.Lookup(o.Exchange)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: Options{Exchange: o.Exchange, Transport: o.Transport, MaxBody: o.MaxBody, Now: o.Now}, logger: o.Logger, cas: o.Cassette}
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
	s.writeErrs = errorTally{logger: s.logger, now: s.opts.Now}
	base := strings.TrimRight(firstNonEmpty(o.UpstreamREST, p.Defaults().UpstreamREST), "/")
	if base == "" {
		return nil, fmt.Errorf("record: %s has no default REST upstream; give one", p.Name())
	}
	x := &exchange{s: s, plugin: p, restURL: base, restFixed: true, cas: o.Cassette}
	s.exchanges = []*exchange{x}
	if o.Cassette != nil {
		s.rec = newRecorder(s)
	}
	return &Forwarder{s: s, x: x}, nil
}

// ServeHTTP forwards r (REST only) and writes the upstream's answer; an
// upstream that cannot be reached gets the client a 502 with a JSON
// error, and nothing is recorded.
func (f *Forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.x.serveREST(w, r) }

// Close records what is queued (the cassette stays open) and reports
// writes the cassette refused, as the recording proxy's Close does.
func (f *Forwarder) Close() error {
	if f.s.rec == nil {
		return nil
	}
	f.s.rec.close()
	if we := f.s.writeErrs.snapshot(); we.Count > 0 {
		return fmt.Errorf("%w: %d, last: %s", ErrWritesFailed, we.Count, we.LastError)
	}
	return nil
}

// WriteErrors reports the writes to the cassette that failed so far.
func (f *Forwarder) WriteErrors() WriteErrors { return f.s.writeErrs.snapshot() }

// CassetteOptions are the options the recording proxy opens exchange
// id's part of a cassette with, over base: the plugin's secrets and every
// registered plugin's (redacted), extra names to redact, its volatile
// params (left out of match keys, redacted params included), upstreams
// for the meta record. Open a cassette to append to with them.
func CassetteOptions(id string, base cassettes.Options, upstreamREST, upstreamWS string, redact []string) (cassettes.Options, error) {
	p, err := plugins.Lookup(id)
	if err != nil {
		return cassettes.Options{}, err
	}
	d := p.Defaults()
	co := base
	co.ReadOnly = false
	co.Exchange = p.Name()
	co.UpstreamREST = strings.TrimRight(firstNonEmpty(upstreamREST, d.UpstreamREST), "/")
	co.UpstreamWS = strings.TrimRight(firstNonEmpty(upstreamWS, d.UpstreamWS), "/")
	co.Secrets = secretsOf(p)
	co.Redact = slices.Concat(co.Redact, redact)
	// A redacted param must not be in the match key either: the recording
	// holds REDACTED where replay's client sends the real value.
	co.VolatileParams = slices.Concat(co.VolatileParams, d.VolatileParams, co.Secrets.Params, redact)
	return co, nil
}
