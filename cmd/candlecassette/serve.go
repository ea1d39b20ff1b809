package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// servingFlags are the flags every serving command (synth, replay, record)
// takes.
func servingFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "address to listen on; port 0 picks a free port"},
		&cli.Uint64Flag{Name: "seed", Usage: "seed of the synthetic market and of injected faults"},
		&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "debug, info, warn or error (logs go to stderr)"},
		&cli.IntFlag{Name: "max-conns", Usage: "connections open at once (WebSockets included) before new ones are answered 503; default 10000, or fewer under a lower open-file limit"},
	}, netFlags()...)
}

// maxConns is --max-conns, or its default: 10000, and no more than the
// open-file limit leaves after a margin for cassettes, logs and the like.
func maxConns(c *cli.Context) (int, error) {
	if c.IsSet("max-conns") {
		n := c.Int("max-conns")
		if n <= 0 {
			return 0, fmt.Errorf("--max-conns %d: want a positive number", n)
		}
		return n, nil
	}
	n := serve.DefaultMaxConns
	if lim, ok := openFileLimit(); ok {
		// Leave fdMargin descriptors to the rest (cassette, logs, upstream
		// connections), or a quarter under a very low limit.
		margin := min(fdMargin, lim/4)
		if lim < uint64(n)+margin {
			n = max(int(lim-margin), 1)
		}
	}
	return n, nil
}

// fdMargin is the file descriptors left to everything but connections
// (at most a quarter of the limit).
const fdMargin = 128

func exchangeList() string { return strings.Join(plugins.Names(), ", ") }

func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level})), nil
}

// runServer starts a server for opts, prints the listening line and blocks
// until the command's context ends, then shuts down cleanly.
func runServer(c *cli.Context, opts replay.Options) error {
	srv, err := startServer(c, opts)
	if err != nil {
		return err
	}
	<-c.Context.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Close(ctx)
}

// startServer starts a server for opts with the serving flags and prints
// the listening line.
func startServer(c *cli.Context, opts replay.Options) (*replay.Server, error) {
	logger, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	so, err := frontOptions(c)
	if err != nil {
		return nil, err
	}
	so.Logger = logger
	opts.Seed, opts.Serve = so.Seed, so
	srv, err := replay.Start(opts, c.String("listen"))
	if err != nil {
		return nil, err
	}
	warnOpenAdmin(c, so, srv.Addr())
	fmt.Fprintf(c.App.Writer, "listening on %s\n", srv.URL())
	return srv, nil
}

func exchangeArg(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("%s: want exactly one EXCHANGE argument, one of: %s", c.Command.Name, exchangeList())
	}
	name := c.Args().First()
	if _, err := plugins.Lookup(name); err != nil {
		return "", err
	}
	return name, nil
}

func pairsFlag() cli.Flag {
	return &cli.StringFlag{Name: "pairs", Usage: "pairs to serve as BASE-QUOTE[:START_PRICE], comma separated (default: a few majors)"}
}

func parsePairs(c *cli.Context) ([]cc.Pair, error) {
	ps, err := cc.ParsePairs(c.String("pairs"))
	if err != nil {
		return nil, fmt.Errorf("--pairs: %w", err)
	}
	return ps, nil
}
