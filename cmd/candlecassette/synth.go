package main

import (
	"fmt"
	"math"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
)

func synthCommand() *cli.Command {
	return &cli.Command{
		Name:      "synth",
		Usage:     "serve a purely synthetic, deterministic market for one exchange, or several at once (--all) by hostname",
		ArgsUsage: "EXCHANGE [EXCHANGE...] | --all",
		Description: "With one EXCHANGE the port serves that exchange's API to any client, direct or through the proxy.\n" +
			"With several (or --all, every registered id), the port is an HTTP(S) proxy that answers each\n" +
			"exchange under its real hostnames (see `candlecassette exchanges --json`), over one synthetic\n" +
			"market: the same pair moves together on every exchange, a few basis points apart. Hosts that\n" +
			"sibling ids share (www.okx.com, api.bybit.com, api.gateio.ws, api.hyperliquid.xyz, api.kucoin.com)\n" +
			"answer both ids' markets as the real host does. Either way stdout gets the one listening line\n" +
			"with the port's http://HOST:PORT; on several exchanges a direct request (naming none of their\n" +
			"hosts) is answered 421 with the ids and hosts served, and each id's admin API is at /__admin/ID/.",
		Flags: append(servingFlags(), pairsFlag(),
			&cli.BoolFlag{Name: "all", Usage: "serve every registered exchange at once, each under its real hostnames (proxy mode)"},
			&cli.StringFlag{Name: "speed", Value: "1", Usage: "virtual clock speed: the market starts at the real now and runs N times as fast (0.5, 1, 10, ...)"}),
		Action: func(c *cli.Context) error {
			ids, err := synthIDs(c)
			if err != nil {
				return err
			}
			pairs, err := parsePairs(c)
			if err != nil {
				return err
			}
			speed, err := parseSpeed(c.String("speed"))
			if err != nil {
				return err
			}
			if math.IsInf(speed, 1) {
				// A stopped clock would never push anything.
				return fmt.Errorf("--speed max: synth's clock must run; want a positive number")
			}
			if len(ids) == 1 && !c.Bool("all") {
				return runServer(c, replay.Options{Exchange: ids[0], Pairs: pairs, Speed: speed})
			}
			return runServer(c, replay.Options{Exchanges: ids, Pairs: pairs, Speed: speed})
		},
	}
}

// synthIDs are the exchanges synth serves: its arguments, or with --all
// every registered id.
func synthIDs(c *cli.Context) ([]string, error) {
	if c.Bool("all") {
		if c.NArg() > 0 {
			return nil, fmt.Errorf("synth: --all serves every exchange; name exchanges or give --all, not both")
		}
		return plugins.Names(), nil
	}
	if c.NArg() == 0 {
		return nil, fmt.Errorf("synth: want an EXCHANGE argument (or several, or --all), one of: %s", exchangeList())
	}
	ids := c.Args().Slice()
	for i, id := range ids {
		if _, err := plugins.Lookup(id); err != nil {
			return nil, err
		}
		if slices.Contains(ids[:i], id) {
			return nil, fmt.Errorf("synth: %s given twice", id)
		}
	}
	return ids, nil
}
