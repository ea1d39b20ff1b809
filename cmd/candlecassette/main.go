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
		os.Exit(exitCode(err))
	}
}

// exitCode is 1, or the status an exitError carries (replay's 3 for a
// cassette not exactly used). urfave/cli's own cli.Exit errors (its 3 for
// an unknown command) stay 1.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) && ee.code != 0 {
		return ee.code
	}
	return 1
}

// exitError is an error that ends the process with code rather than 1.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
