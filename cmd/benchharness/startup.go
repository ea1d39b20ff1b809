package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// startupSection times process start to the "listening on" line of the
// built binary, several runs, for synth and for replay of a cassette.
func startupSection(ctx context.Context, cfg *config, t *table) error {
	const sec = "startup"
	// The cassette recorded by the REST section, or the committed example.
	cassette := filepath.Join(cfg.work, "rest", "rest.cassette")
	if !fileExists(cassette) {
		cassette = filepath.Join(cfg.root, "cassettes", "testdata", "binance_spot.cassette")
	}
	cases := [][]string{{"synth", "binance_spot"}, {"replay", "--cassette", cassette}}
	// The 10M-candle index, when the index section has built it.
	if big := indexPath(cfg.cacheDir, indexTotal()); fileExists(big) {
		cases = append(cases, []string{"replay", "--cassette", big})
	}
	runs := 11
	if cfg.quick {
		runs = 5
	}
	for _, args := range cases {
		var ds []time.Duration
		for range runs {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s := time.Now()
			p, err := startCC(cfg.bin, append(args, "--listen", "127.0.0.1:0")...)
			if err != nil {
				return err
			}
			ds = append(ds, time.Since(s))
			p.stop()
		}
		slices.Sort(ds)
		what := args[0]
		if len(args) > 2 {
			what += " " + filepath.Base(args[2])
		}
		t.lessThan(sec, fmt.Sprintf("%s: start → listening on, median of %d", what, runs), float64(ds[len(ds)/2])/1e6, 50, "ms")
	}
	return nil
}
