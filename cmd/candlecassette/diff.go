package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/drift"
)

// Exit statuses of diff (and record --against).
const (
	exitDrift = 1
	exitError = 2
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two cassettes' APIs: shapes, types, number formats, statuses, WS message kinds; exit 1 on drift",
		ArgsUsage: "A B",
		Description: "Every endpoint and WS stream of A (the old recording) and B (the new) is summed into a schema over\n" +
			"all its samples, so values that move (prices) never count; a key added, removed or renamed, a value\n" +
			"that changes type, a number that becomes quoted or changes its decimal places, a row whose columns\n" +
			"move, a status, content type or error shape that changes, a WS message kind renamed, and endpoints\n" +
			"or streams only one side has, do. One line per change; --json prints the report as\n" +
			"{\"a\",\"b\",\"drift\":bool,\"changes\":[{\"exchange\",\"where\",\"kind\",\"path\",\"old\",\"new\",\"detail\"}]}.\n" +
			"Exit status: 0 the same API, 1 drift, 2 error (a file missing, not a cassette, damaged).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.BoolFlag{Name: "only-shared", Usage: "compare only what both recorded: no endpoint, stream or message kind added or removed"},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cli.Exit("diff: "+err.Error(), exitError)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return cli.Exit("diff: want two cassette files A B", exitError)
			}
			return runDiff(c.App.Writer, c.Args().Get(0), c.Args().Get(1), c.Bool("json"), c.Bool("only-shared"))
		},
	}
}

// runDiff diffs a and b and prints the report to w; the error carries
// the exit status (cli.ExitCoder): 1 drift, 2 failure.
func runDiff(w io.Writer, a, b string, asJSON, onlyShared bool) error {
	r, err := drift.Diff(a, b, &drift.Options{OnlyShared: onlyShared})
	if err != nil {
		return cli.Exit("diff: "+err.Error(), exitError)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = r.WriteText(w)
	}
	if err != nil {
		return cli.Exit("diff: "+err.Error(), exitError)
	}
	if r.Drift {
		return cli.Exit(fmt.Sprintf("diff: %d change(s) from %s to %s", len(r.Changes), a, b), exitDrift)
	}
	return nil
}

// checkAgainst opens record --against's OLD cassette before recording
// starts, so that a wrong path fails at once (exit 2), not after the
// session.
func checkAgainst(old string) error {
	if old == "" {
		return nil
	}
	f, err := cassettes.OpenFile(old, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return cli.Exit("record --against: "+err.Error(), exitError)
	}
	return f.Close()
}
