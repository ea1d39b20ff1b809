package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
)

func recordCommand() *cli.Command {
	return &cli.Command{
		Name:      "record",
		Usage:     "proxy exchanges (REST and WS) and record everything into a cassette",
		ArgsUsage: "EXCHANGE [EXCHANGE...] | --all",
		Description: "Point clients at the listening address instead of the exchange, or use it as their HTTP(S)\n" +
			"proxy. Every request, response and WS frame is stored in --cassette (appended to if it exists\n" +
			"and holds the same exchange), with API keys, signatures, auth headers, cookies and listen keys\n" +
			"redacted. With several exchanges (a list, or --all) the port is a proxy that picks the exchange\n" +
			"by the request's host, forwards to that host (or --upstream ID=URL), and the cassette holds a\n" +
			"part for each exchange the session touched (format 4); direct requests are then refused (421).\n" +
			"Hosts no recorded exchange uses are refused unless --passthrough, which tunnels them untouched\n" +
			"and unrecorded.",
		Flags: append(servingFlags(),
			&cli.PathFlag{Name: "cassette", Required: true, Usage: "cassette file to record into (created, or appended to)"},
			&cli.BoolFlag{Name: "all", Usage: "record every registered exchange, each by its real hostnames, into one cassette"},
			&cli.StringFlag{Name: "upstream-rest", Usage: "REST base URL to proxy to (one EXCHANGE; default: the host the client asked for, or the exchange's)"},
			&cli.StringFlag{Name: "upstream-ws", Usage: "WS base URL to relay to (one EXCHANGE; default: the host the client asked for, or the exchange's)"},
			&cli.StringFlag{Name: "upstream-proxy", Usage: "`URL` of an HTTP proxy to reach the upstreams through (CONNECT for https/wss), e.g. another candlecassette's port"},
			&cli.PathFlag{Name: "upstream-ca", Usage: "PEM `FILE` of the roots to trust for https/wss upstreams (with --upstream-proxy at a candlecassette: its ca.pem)"},
			&cli.StringSliceFlag{Name: "upstream", Usage: "`ID=URL`: proxy exchange ID to URL instead of its real hosts; an http(s) URL is its REST base and, as ws(s), its WS base; a ws(s) URL its WS base only; repeat for each"},
			&cli.BoolFlag{Name: "passthrough", Usage: "let proxied traffic for hosts no recorded exchange uses through, untouched and unrecorded (default: refused)"},
			&cli.StringSliceFlag{Name: "redact", Usage: "extra header, param or JSON key names to redact, comma separated"},
			&cli.DurationFlag{Name: "flush-interval", Value: cassettes.DefaultFlushInterval, Usage: "longest a recorded item waits before its batch is committed"},
			&cli.IntFlag{Name: "batch-items", Value: cassettes.DefaultBatchItems, Usage: "commit a batch early once it holds this many items"},
			&cli.PathFlag{Name: "against", Usage: "`OLD` cassette to diff the new recording with once it is closed (as `diff OLD FILE`): exit 1 on drift, the recording kept; 2 if the diff fails"},
			&cli.DurationFlag{Name: "status-every", Value: 10 * time.Second, Usage: "when stderr is not a terminal, log a status line (requests, frames, bytes, cassette size, errors) this often; 0: never (on a terminal one line is redrawn in place)"},
		),
		Action: runRecord,
	}
}

// recordIDs are the exchanges `record` records: one (a single-exchange
// cassette, as always), several, or --all.
func recordIDs(c *cli.Context) ([]string, error) {
	if c.Bool("all") {
		if c.NArg() > 0 {
			return nil, fmt.Errorf("record: --all or a list of exchanges, not both")
		}
		return plugins.Names(), nil
	}
	if c.NArg() == 0 {
		return nil, fmt.Errorf("record: want an EXCHANGE argument (or several, or --all), of: %s", exchangeList())
	}
	ids := c.Args().Slice()
	for _, id := range ids {
		if _, err := plugins.Lookup(id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// upstreamTransport reads --upstream-proxy and --upstream-ca.
func upstreamTransport(c *cli.Context) (*url.URL, *x509.CertPool, error) {
	var proxy *url.URL
	if v := c.String("upstream-proxy"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("--upstream-proxy %q: want an http(s)://HOST:PORT URL", v)
		}
		proxy = u
	}
	var pool *x509.CertPool
	if path := c.Path("upstream-ca"); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("--upstream-ca: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("--upstream-ca %s: no PEM certificate in it", path)
		}
	}
	return proxy, pool, nil
}

// parseUpstreams reads --upstream ID=URL flags.
func parseUpstreams(vals []string, ids []string) (map[string]record.Upstream, error) {
	out := map[string]record.Upstream{}
	for _, v := range vals {
		id, raw, ok := strings.Cut(v, "=")
		if !ok || id == "" || raw == "" {
			return nil, fmt.Errorf("--upstream %q: want ID=URL", v)
		}
		if !slices.Contains(ids, id) {
			return nil, fmt.Errorf("--upstream %q: %s is not being recorded", v, id)
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--upstream %q: want a base URL with scheme and host", v)
		}
		up := out[id]
		switch u.Scheme {
		case "http", "https":
			up.REST = raw
			if up.WS == "" {
				w := *u
				w.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
				up.WS = w.String()
			}
		case "ws", "wss":
			up.WS = raw
		default:
			return nil, fmt.Errorf("--upstream %q: scheme %q, want http, https, ws or wss", v, u.Scheme)
		}
		out[id] = up
	}
	return out, nil
}

func runRecord(c *cli.Context) error {
	ids, err := recordIDs(c)
	if err != nil {
		return err
	}
	ups, err := parseUpstreams(c.StringSlice("upstream"), ids)
	if err != nil {
		return err
	}
	if len(ids) > 1 && (c.IsSet("upstream-rest") || c.IsSet("upstream-ws")) {
		return fmt.Errorf("record: --upstream-rest and --upstream-ws are for one exchange; give --upstream ID=URL for each of several")
	}
	logger, err := newLogger(c)
	if err != nil {
		return err
	}
	so, err := frontOptions(c)
	if err != nil {
		return err
	}
	so.Logger = logger
	var redact []string
	for _, v := range c.StringSlice("redact") {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				redact = append(redact, n)
			}
		}
	}
	upProxy, upCAs, err := upstreamTransport(c)
	if err != nil {
		return err
	}
	if err := checkAgainst(c.Path("against")); err != nil {
		return err
	}
	opts := record.Options{
		UpstreamProxy:   upProxy,
		UpstreamRootCAs: upCAs,
		Cassette:        c.Path("cassette"),
		UpstreamREST:    c.String("upstream-rest"),
		UpstreamWS:      c.String("upstream-ws"),
		Upstreams:       ups,
		Passthrough:     c.Bool("passthrough"),
		Redact:          redact,
		ToolVersion:     Version,
		Serve:           so,
		CassetteOptions: cassettes.Options{
			FlushInterval: c.Duration("flush-interval"),
			BatchItems:    c.Int("batch-items"),
			OnCommit: func(ci cassettes.CommitInfo) {
				logger.Info("batch committed", "exchange", ci.Meta.Exchange, "batch", ci.Batch, "interactions", ci.Interactions,
					"frames", ci.Frames, "candles", ci.Candles, "interactions_total", ci.Meta.Interactions,
					"frames_total", ci.Meta.Frames, "took", ci.Duration.Round(time.Microsecond))
			},
		},
	}
	if len(ids) == 1 && !c.Bool("all") {
		opts.Exchange = ids[0] // a single-exchange cassette, as always
	} else {
		opts.Exchanges = ids
	}
	srv, err := record.Start(opts, c.String("listen"))
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	warnOpenAdmin(c, so, srv.Addr())
	fmt.Fprintf(c.App.Writer, "listening on %s\n", srv.URL())
	statusDone := make(chan struct{})
	go func() {
		defer close(statusDone)
		// The status is logged whatever --log-level (which is for the server's own logs).
		status := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
		showStatus(c.Context, c.App.ErrWriter, status, isTerminal(c.App.ErrWriter), c.Duration("status-every"),
			func() recordProgress { return progressOf(srv, c.Path("cassette")) })
	}()
	<-c.Context.Done()
	<-statusDone
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Close(ctx)
	if we := srv.WriteErrors(); we.Count > 0 {
		// main prints this one line on stderr and exits 1; the log above
		// has one line per distinct error.
		return fmt.Errorf("record: %d writes to %s failed (%d distinct errors; last: %s): the cassette lacks what they held",
			we.Count, c.Path("cassette"), len(we.Errors), we.LastError)
	}
	if old := c.Path("against"); err == nil && old != "" {
		return runDiff(c.App.Writer, old, c.Path("cassette"), false, false)
	}
	return err
}
