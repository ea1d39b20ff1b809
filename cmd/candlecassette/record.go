package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/record"
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
	srv, err := record.Start(record.Options{
		Exchange:     name,
		Cassette:     c.Path("cassette"),
		UpstreamREST: c.String("upstream-rest"),
		UpstreamWS:   c.String("upstream-ws"),
		Redact:       redact,
		ToolVersion:  Version,
		Serve:        so,
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
	warnOpenAdmin(c, so, srv.Addr())
	fmt.Fprintf(c.App.Writer, "listening on %s\n", srv.URL())
	<-c.Context.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Close(ctx)
	if we := srv.WriteErrors(); we.Count > 0 {
		// main prints this one line on stderr and exits 1; the log above
		// has one line per distinct error.
		return fmt.Errorf("record: %d writes to %s failed (%d distinct errors; last: %s): the cassette lacks what they held",
			we.Count, c.Path("cassette"), len(we.Errors), we.LastError)
	}
	return err
}
