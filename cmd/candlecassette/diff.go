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
			return exitWith(exitError, "diff: "+err.Error())
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return exitWith(exitError, "diff: want two cassette files A B")
			}
			return runDiff(c.App.Writer, c.Args().Get(0), c.Args().Get(1), c.Bool("json"), c.Bool("only-shared"))
		},
	}
}

// runDiff diffs a and b and prints the report to w; the error carries
// the exit status (statusError): 1 drift, 2 failure.
func runDiff(w io.Writer, a, b string, asJSON, onlyShared bool) error {
	r, err := drift.Diff(a, b, &drift.Options{OnlyShared: onlyShared})
	if err != nil {
		return exitWith(exitError, "diff: "+err.Error())
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = r.WriteText(w)
	}
	if err != nil {
		return exitWith(exitError, "diff: "+err.Error())
	}
	if r.Drift {
		return exitWith(exitDrift, fmt.Sprintf("diff: %d change(s) from %s to %s", len(r.Changes), a, b))
	}
	return nil
}

// statusError is an error that sets the process's exit status: main
// exits with ExitStatus instead of 1.
type statusError struct {
	msg  string
	code int
}

func (e *statusError) Error() string   { return e.msg }
func (e *statusError) ExitStatus() int { return e.code }

func exitWith(code int, msg string) error { return &statusError{msg: msg, code: code} }

// checkAgainst opens record --against's OLD cassette before recording
// starts, so that a wrong path fails at once (exit 2), not after the
// session.
func checkAgainst(old string) error {
	if old == "" {
		return nil
	}
	f, err := cassettes.OpenFile(old, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return exitWith(exitError, "record --against: "+err.Error())
	}
	return f.Close()
}
