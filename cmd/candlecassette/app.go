package main

import (
	"context"
	"io"

	"github.com/urfave/cli/v2"

	_ "github.com/candlecassette/candlecassette/plugins/all" // built-in exchanges
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// Run runs the command line args, writing output to stdout and stderr. It
// returns when the command is done or ctx is cancelled (SIGINT/SIGTERM).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	app := &cli.App{
		Name:    "candlecassette",
		Usage:   "record, replay and synthesize crypto exchange market-data APIs",
		Version: Version,
		Description: "Point a trading bot, candle feed or charting tool's REST and WebSocket base URLs\n" +
			"at candlecassette instead of the exchange. Exchanges: " + exchangeList(),
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// Return every error to the caller instead of letting urfave/cli
		// call os.Exit (it does for an unknown command): main owns exit codes.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			synthCommand(),
			recordCommand(),
			replayCommand(),
			inspectCommand(),
			exchangesCommand(),
			caCommand(),
			diffCommand(),
			importCommand(),
			exportCommand(),
			mergeCommand(),
			trimCommand(),
			compactCommand(),
			healthCommand(),
		},
	}
	return app.RunContext(ctx, flagsFirst(app, args))
}
