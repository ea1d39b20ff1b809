package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:  "replay",
		Usage: "serve a cassette back offline, filling what it lacks from the synthetic market",
		Description: "The exchange comes from the cassette, opened read-only so several replays can share it.\n" +
			"Without --cassette, --exchange ID serves a purely synthetic market (as synth ID).\n\n" +
			"A miss is a request the cassette cannot answer: no recorded interaction matches it and it is not a\n" +
			"candles window wholly inside the recorded candle index, or a WS subscription to a stream it did not\n" +
			"record. --on-miss synth serves it from the synthetic market (default), error answers it with the\n" +
			"exchange's own error body, status 501 and an X-Candlecassette-Miss header (a WS subscription: the\n" +
			"exchange's error frame, then close 1008), upstream forwards it to the real exchange. Every\n" +
			"miss is logged once per distinct request and counted in /__admin/status under \"replay\".\n" +
			"--report FILE writes what was served from where, the misses and the recordings never used, at exit\n" +
			"(SIGINT/SIGTERM included); --fail-on-miss and --fail-on-unused then exit 3.",
		Flags: append(append(servingFlags(), pairsFlag(),
			&cli.StringFlag{Name: "cassette", Usage: "cassette `FILE` to replay"},
			&cli.StringFlag{Name: "exchange", Usage: "exchange `ID`: required without --cassette, checked against it otherwise"},
			&cli.StringFlag{Name: "clock", Value: replay.ClockRecorded, Usage: "what now is: recorded (the recording's start), now (recorded times shifted to the present) or an RFC3339 instant"},
			&cli.StringFlag{Name: "speed", Value: "1", Usage: "virtual clock and replayed stream speed: 0.5, 1, 10, ... or max"},
		), missFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("replay: unexpected argument %q (the exchange comes from --cassette or --exchange)", c.Args().First())
			}
			speed, err := parseSpeed(c.String("speed"))
			if err != nil {
				return err
			}
			opts := replay.Options{
				Cassette:  c.String("cassette"),
				Exchange:  c.String("exchange"),
				ClockMode: c.String("clock"),
				Speed:     speed,
			}
			if opts.Cassette == "" && opts.Exchange == "" {
				return fmt.Errorf("replay: want --cassette FILE, or --exchange ID for a synthetic market; exchanges: %s", exchangeList())
			}
			if opts.Exchange != "" {
				if _, err := plugins.Lookup(opts.Exchange); err != nil {
					return err
				}
			}
			if c.IsSet("pairs") || opts.Cassette == "" {
				if opts.Pairs, err = parsePairs(c); err != nil {
					return err
				}
			}
			exit, err := missOptions(c, &opts)
			if err != nil {
				return err
			}
			if exit == nil {
				return runServer(c, opts)
			}
			return runReplay(c, opts, exit)
		},
	}
}

func parseSpeed(s string) (float64, error) {
	if strings.EqualFold(s, "max") {
		return math.Inf(1), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("--speed %q: want a positive number or max", s)
	}
	return v, nil
}
