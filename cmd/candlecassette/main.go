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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "candlecassette:", err)
		stop()
		os.Exit(exitStatus(err))
	}
}

// exitStatus is 1, or the status a statusError carries (diff's 1 for
// drift and 2 for a failure, replay's 3 for a cassette not exactly used).
// urfave/cli's own cli.Exit errors (its 3 for an unknown command) stay 1.
func exitStatus(err error) int {
	var st *statusError
	if errors.As(err, &st) && st.code != 0 {
		return st.code
	}
	return 1
}
