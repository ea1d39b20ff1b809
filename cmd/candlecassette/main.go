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
		code := 1
		var st interface{ ExitStatus() int }
		if errors.As(err, &st) { // diff: 1 drift, 2 error
			code = st.ExitStatus()
		}
		fmt.Fprintln(os.Stderr, "candlecassette:", err)
		stop()
		os.Exit(code)
	}
}
