package main

import (
	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/replay"
)

func synthCommand() *cli.Command {
	return &cli.Command{
		Name:      "synth",
		Usage:     "serve a purely synthetic, deterministic market for one exchange",
		ArgsUsage: "EXCHANGE",
		Flags:     append(servingFlags(), pairsFlag()),
		Action: func(c *cli.Context) error {
			name, err := exchangeArg(c)
			if err != nil {
				return err
			}
			pairs, err := parsePairs(c)
			if err != nil {
				return err
			}
			return runServer(c, replay.Options{Exchange: name, Pairs: pairs})
		},
	}
}
