package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
)

func recordCommand() *cli.Command {
	return &cli.Command{
		Name:      "record",
		Usage:     "proxy an exchange (REST and WS) and record everything into a cassette",
		ArgsUsage: "EXCHANGE",
		Description: "Point clients at the listening address instead of the exchange. Every request, response\n" +
			"and WS frame is stored in --cassette (appended to if it exists and holds the same exchange),\n" +
			"with API keys, signatures, auth headers, cookies and listen keys redacted.",
		Flags: append(servingFlags(),
			&cli.PathFlag{Name: "cassette", Required: true, Usage: "cassette file to record into (created, or appended to)"},
			&cli.StringFlag{Name: "upstream-rest", Usage: "REST base URL to proxy to (default: the exchange's)"},
			&cli.StringFlag{Name: "upstream-ws", Usage: "WS base URL to relay to (default: the exchange's)"},
			&cli.StringSliceFlag{Name: "redact", Usage: "extra header, param or JSON key names to redact, comma separated"},
			&cli.DurationFlag{Name: "flush-interval", Value: cassettes.DefaultFlushInterval, Usage: "longest a recorded item waits before its batch is committed"},
			&cli.IntFlag{Name: "batch-items", Value: cassettes.DefaultBatchItems, Usage: "commit a batch early once it holds this many items"},
		),
		Action: runRecord,
	}
}

func runRecord(c *cli.Context) error {
	name, err := exchangeArg(c)
	if err != nil {
		return err
	}
	logger, err := newLogger(c)
	if err != nil {
		return err
	}
	so, err := stackOptions(c)
	if err != nil {
		return err
	}
	p, err := plugins.Lookup(name)
	if err != nil {
		return err
	}
	// The network simulation and rate limits apply on the client side of
	// the proxy, as in every serving mode; its disconnects close the
	// relays.
	var proxy atomic.Pointer[record.Server]
	so.Disconnect = func(code int, reason string) int {
		if srv := proxy.Load(); srv != nil {
			return srv.CloseAll(code, reason)
		}
		return 0
	}
	so.ConnStats = func() replay.ConnStats {
		var st replay.ConnStats
		if srv := proxy.Load(); srv != nil {
			st.Open, st.Refused = srv.ConnStats()
		}
		return st
	}
	maxConns, err := maxConns(c)
	if err != nil {
		return err
	}
	st, err := replay.NewStack(p, nil, so)
	if err != nil {
		return err
	}
	defer st.Close()
	var redact []string
	for _, v := range c.StringSlice("redact") {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				redact = append(redact, n)
			}
		}
	}
	srv, err := record.Start(record.Options{
		Exchange:     name,
		Cassette:     c.Path("cassette"),
		UpstreamREST: c.String("upstream-rest"),
		UpstreamWS:   c.String("upstream-ws"),
		Redact:       redact,
		ToolVersion:  Version,
		Wrap:         st.Wrap,
		Shaper:       st.Sim(),
		Limiter:      st.Limiter(),
		Logger:       logger,
		MaxConns:     maxConns,
		CassetteOptions: cassettes.Options{
			FlushInterval: c.Duration("flush-interval"),
			BatchItems:    c.Int("batch-items"),
			OnCommit: func(ci cassettes.CommitInfo) {
				logger.Info("batch committed", "batch", ci.Batch, "interactions", ci.Interactions,
					"frames", ci.Frames, "candles", ci.Candles, "interactions_total", ci.Meta.Interactions,
					"frames_total", ci.Meta.Frames, "took", ci.Duration.Round(time.Microsecond))
			},
		},
	}, c.String("listen"))
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	proxy.Store(srv)
	fmt.Fprintf(c.App.Writer, "listening on %s\n", srv.URL())
	<-c.Context.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(ctx)
}
