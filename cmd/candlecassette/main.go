// Command candlecassette stands in for a crypto exchange's market-data API:
// it records a real exchange into a cassette, replays cassettes offline and
// serves a deterministic synthetic market.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "candlecassette:", err)
		stop()
		os.Exit(exitCode(err))
	}
}

// exitCode is 1, or the code an error made with cli.Exit carries (replay's
// 3 for a cassette not exactly used).
func exitCode(err error) int {
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	return 1
}
