package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/serve"
	"github.com/candlecassette/candlecassette/serve/ca"
)

// netFlags are the network-simulation, rate-limit and admin flags of every
// serving command.
func netFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "latency", Usage: "latency added to every REST response and WS server message, e.g. 100ms"},
		&cli.DurationFlag{Name: "jitter", Usage: "spread of the latency: ± uniformly, or the mean of the tail with --latency-dist pareto"},
		&cli.StringFlag{Name: "latency-dist", Value: netsim.DistUniform, Usage: "latency distribution: uniform or pareto (heavy-tailed)"},
		&cli.Float64Flag{Name: "loss", Usage: "probability that a REST request is lost or a WS message dropped (0..1)"},
		&cli.StringFlag{Name: "loss-mode", Value: netsim.LossDrop, Usage: "a lost REST request is dropped (connection cut, no response) or hangs until the client gives up: drop or hang"},
		&cli.Float64Flag{Name: "error-rate", Usage: "probability of the exchange's own 5xx answer (WS: an abnormal close) (0..1)"},
		&cli.Int64Flag{Name: "bandwidth", Usage: "cap on REST bodies and WS messages in bytes per second; 0 means unlimited"},
		&cli.StringFlag{Name: "book-gap", Usage: "drop a book diff (a sequence gap): a rate (0.01), every:N (the Nth diff of each connection) or at:WHEN[,repeat:D] (once at a duration from start or an RFC3339 time)"},
		&cli.StringFlag{Name: "book-duplicate", Usage: "send a book diff twice: a rate, every:N or at:WHEN[,repeat:D] (as --book-gap)"},
		&cli.StringFlag{Name: "book-reorder", Usage: "swap a book diff with the next of its book: a rate, every:N or at:WHEN[,repeat:D]"},
		&cli.StringFlag{Name: "book-corrupt", Usage: "make a book diff's checksum wrong (exchanges that send one): a rate, every:N or at:WHEN[,repeat:D]"},
		&cli.StringFlag{Name: "stale-snapshot", Usage: "serve REST book snapshots this much older than the stream: an age (5s: every snapshot) or age:5s with ,rate:P, ,every:N or ,at:WHEN"},
		&cli.StringFlag{Name: "resync", Usage: "force a WS connection to resync (the exchange's reconnect close, or its resubscribe event) on a server message: a rate, every:N or at:WHEN[,repeat:D]"},
		&cli.DurationFlag{Name: "clock-skew", Usage: "run the exchange's clock this far ahead of true time (negative: behind), e.g. 5s or -2s: time endpoints and every time field follow"},
		&cli.PathFlag{Name: "scenario", Usage: "JSON or YAML file of conditions, per-route overrides and schedules (the shape of /__admin/conditions); the flags above override its top level"},
		&cli.IntFlag{Name: "rest-limit", Usage: "REST requests per --rest-period per client IP (each request counts 1 unless --rest-weighted); default: the exchange's own model"},
		&cli.DurationFlag{Name: "rest-period", Usage: "window of --rest-limit (default: the exchange's, e.g. 1m)"},
		&cli.BoolFlag{Name: "rest-weighted", Usage: "count --rest-limit in the exchange's per-endpoint weights instead of requests"},
		&cli.Float64Flag{Name: "ws-limit", Usage: "client WS messages per second per connection (default: the exchange's, e.g. 5)"},
		&cli.IntFlag{Name: "ws-burst", Usage: "client WS messages allowed at once (default: --ws-limit)"},
		&cli.IntFlag{Name: "ws-conns-per-ip", Usage: "concurrent WS connections per client IP; 0 means unlimited"},
		&cli.BoolFlag{Name: "no-rate-limit", Usage: "never refuse a request (usage is still counted and reported in headers)"},
		&cli.StringFlag{Name: "admin-token", EnvVars: []string{"CANDLECASSETTE_ADMIN_TOKEN"}, Usage: "require Authorization: Bearer TOKEN on /__admin/"},
		&cli.StringSliceFlag{Name: "admin-allow-host", EnvVars: []string{"CANDLECASSETTE_ADMIN_ALLOW_HOST"}, Usage: "a Host name /__admin/ answers under besides loopback names and the address reached, e.g. a docker-compose service name; repeat or comma separate"},
		&cli.StringFlag{Name: "ca-dir", EnvVars: []string{ca.EnvDir}, Usage: "directory of the local CA that signs the exchanges' hostnames in proxy mode (default: the user config dir's candlecassette/ca; created on first use, see `candlecassette ca`)"},
		&cli.BoolFlag{Name: "no-tls", Usage: "do not terminate TLS (no local CA is loaded): proxy mode then takes only plain-HTTP requests"},
	}
}

// proxyOptions sets what proxy mode needs: the exchanges' real hostnames,
// and TLS terminated with leaves of the local CA. The CA is loaded (or
// created) at the first TLS handshake, not at start: a server whose
// clients all connect directly never touches the CA directory. A CA that
// cannot be loaded (a read-only home, say) fails that handshake and is
// reported on stderr once.
func proxyOptions(c *cli.Context, so *serve.Options) {
	so.Hosts = func(p plugins.Plugin) []string { return p.Defaults().Hosts }
	if c.Bool("no-tls") {
		return
	}
	dir, stderr := c.String("ca-dir"), c.App.ErrWriter
	var (
		once      sync.Once
		authority *ca.CA
		loadErr   error
	)
	so.TLS = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		once.Do(func() {
			authority, loadErr = loadCA(dir)
			switch {
			case loadErr != nil:
				loadErr = fmt.Errorf("the local CA: %w", loadErr)
				fmt.Fprintf(stderr, "candlecassette: TLS refused in proxy mode: %v\n", loadErr)
			case authority.Report().Created:
				fmt.Fprintf(stderr, "candlecassette: created the local CA; clients must trust %s (see `candlecassette ca`)\n", authority.CertPath())
			case authority.Report().Reissued != "":
				fmt.Fprintf(stderr, "candlecassette: re-issued the local CA certificate (%s); clients must trust the new %s\n",
					authority.Report().Reissued, authority.CertPath())
			}
		})
		if loadErr != nil {
			return nil, loadErr
		}
		return authority.GetCertificate(hello)
	}
}

// frontOptions reads the flags of netFlags into the front's options.
// Rate-limit flags adjust the exchange's own model's limits.
func frontOptions(c *cli.Context) (serve.Options, error) {
	so := serve.Options{
		Seed:        c.Uint64("seed"),
		NoRateLimit: c.Bool("no-rate-limit"),
		AdminToken:  c.String("admin-token"),
	}
	var err error
	if so.MaxConns, err = maxConns(c); err != nil {
		return so, err
	}
	proxyOptions(c, &so)
	for _, v := range c.StringSlice("admin-allow-host") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				so.AdminAllowHosts = append(so.AdminAllowHosts, h)
			}
		}
	}
	if path := c.Path("scenario"); path != "" {
		cfg, err := readScenario(path)
		if err != nil {
			return so, err
		}
		so.Conditions = cfg
	}
	cond := &so.Conditions.Conditions
	if c.IsSet("latency") {
		cond.Latency = netsim.Duration(c.Duration("latency"))
	}
	if c.IsSet("jitter") {
		cond.Jitter = netsim.Duration(c.Duration("jitter"))
	}
	if c.IsSet("latency-dist") || cond.LatencyDist == "" {
		cond.LatencyDist = c.String("latency-dist")
	}
	if c.IsSet("loss") {
		cond.Loss = c.Float64("loss")
	}
	if c.IsSet("loss-mode") || cond.LossMode == "" {
		cond.LossMode = c.String("loss-mode")
	}
	if c.IsSet("error-rate") {
		cond.ErrorRate = c.Float64("error-rate")
	}
	if c.IsSet("bandwidth") {
		cond.Bandwidth = c.Int64("bandwidth")
	}
	for _, f := range []struct {
		name string
		to   *netsim.Trigger
	}{{"book-gap", &cond.BookGap}, {"book-duplicate", &cond.BookDuplicate}, {"book-reorder", &cond.BookReorder},
		{"book-corrupt", &cond.BookCorrupt}, {"resync", &cond.Resync}} {
		if c.IsSet(f.name) {
			if err := f.to.UnmarshalText([]byte(c.String(f.name))); err != nil {
				return so, fmt.Errorf("--%s: %w", f.name, err)
			}
		}
	}
	if c.IsSet("stale-snapshot") {
		if err := cond.StaleSnapshot.UnmarshalText([]byte(c.String("stale-snapshot"))); err != nil {
			return so, fmt.Errorf("--stale-snapshot: %w", err)
		}
	}
	if c.IsSet("clock-skew") {
		so.Conditions.ClockSkew = netsim.Duration(c.Duration("clock-skew"))
	}
	if err := so.Conditions.Validate(); err != nil {
		return so, fmt.Errorf("network conditions: %w", err)
	}
	var adjust []func(*ratelimit.Limits)
	if c.IsSet("rest-limit") {
		n, weighted := c.Int("rest-limit"), c.Bool("rest-weighted")
		adjust = append(adjust, func(l *ratelimit.Limits) {
			l.RESTLimit, l.RESTWeighted = n, weighted
			if l.RESTPeriod <= 0 {
				l.RESTPeriod = ratelimit.Duration(time.Minute)
			}
		})
	}
	if c.IsSet("rest-period") {
		d := ratelimit.Duration(c.Duration("rest-period"))
		adjust = append(adjust, func(l *ratelimit.Limits) { l.RESTPeriod = d })
	}
	if c.IsSet("ws-limit") {
		v := c.Float64("ws-limit")
		adjust = append(adjust, func(l *ratelimit.Limits) { l.WSLimit, l.WSBurst = v, 0 })
	}
	if c.IsSet("ws-burst") {
		v := c.Int("ws-burst")
		adjust = append(adjust, func(l *ratelimit.Limits) { l.WSBurst = v })
	}
	if c.IsSet("ws-conns-per-ip") {
		v := c.Int("ws-conns-per-ip")
		adjust = append(adjust, func(l *ratelimit.Limits) { l.WSConnsPerIP = v })
	}
	if len(adjust) > 0 {
		so.AdjustLimits = func(l *ratelimit.Limits) {
			for _, f := range adjust {
				f(l)
			}
		}
	}
	return so, nil
}

// readScenario reads a JSON or (by extension .yaml/.yml) YAML scenario.
func readScenario(path string) (netsim.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return netsim.Config{}, fmt.Errorf("--scenario: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		// YAML is read as a generic tree and re-encoded as JSON, so the
		// field names, durations and checks are those of the JSON form.
		var tree any
		if err := yaml.Unmarshal(b, &tree); err != nil {
			return netsim.Config{}, fmt.Errorf("--scenario %s: %w", path, err)
		}
		if tree == nil {
			tree = map[string]any{}
		}
		if b, err = json.Marshal(tree); err != nil {
			return netsim.Config{}, fmt.Errorf("--scenario %s: %w", path, err)
		}
	}
	cfg, err := netsim.ParseConfig(b)
	if err != nil {
		return netsim.Config{}, fmt.Errorf("--scenario %s: %w", path, err)
	}
	return cfg, nil
}

// warnOpenAdmin warns on stderr when the server at addr (the bound
// address) is reachable from other machines and its admin API has no
// token. stdout keeps its one listening line.
func warnOpenAdmin(c *cli.Context, so serve.Options, addr string) {
	if so.AdminToken != "" {
		return
	}
	if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().Unmap().IsLoopback() {
		return
	}
	fmt.Fprintf(c.App.ErrWriter, "candlecassette: warning: listening on %s, beyond this machine, with no --admin-token: "+
		"anyone who can reach the port can change /__admin/ conditions and limits (web pages and foreign Host names are "+
		"refused, other clients are not); set --admin-token or CANDLECASSETTE_ADMIN_TOKEN\n", addr)
}
