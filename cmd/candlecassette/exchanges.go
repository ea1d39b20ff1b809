package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/plugins"
)

// exchangesCommand lists the exchange ids this build serves, one a line,
// so scripts (the ccxt compat tests) can tell which plugins are present.
func exchangesCommand() *cli.Command {
	return &cli.Command{
		Name:  "exchanges",
		Usage: "list the exchange ids this build serves, one per line",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("exchanges: takes no arguments, got %q", c.Args().Slice())
			}
			for _, n := range plugins.Names() {
				fmt.Fprintln(c.App.Writer, n)
			}
			return nil
		},
	}
}
