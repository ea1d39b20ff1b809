package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
)

// exitFixtureMismatch is replay's exit status when --fail-on-miss or
// --fail-on-unused finds the cassette was not exactly used (1 stays every
// other error, so a CI job can tell a changed client from a broken run).
const exitFixtureMismatch = 3

// missFlags are replay's flags for what happens on a miss and the report
// at exit.
func missFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "on-miss", Value: string(replay.MissSynth), Usage: "what a request the cassette cannot answer gets: synth (the synthetic market), error (the exchange's error body, status 501, header X-Candlecassette-Miss) or upstream (the real exchange)"},
		&cli.BoolFlag{Name: "record-missing", Usage: "with --on-miss upstream: append what the upstream answers to the cassette (opened writable; one writer at a time)"},
		&cli.StringFlag{Name: "upstream-rest", Usage: "REST base `URL` misses are forwarded to (one exchange; default: the real exchange)"},
		&cli.StringFlag{Name: "upstream-ws", Usage: "WS base `URL` streams the cassette lacks are subscribed at (one exchange; default: --upstream-rest as ws(s), else the real exchange)"},
		&cli.StringSliceFlag{Name: "upstream", Usage: "`ID=URL`: forward exchange ID's misses to URL (a cassette of several exchanges); repeat for each"},
		&cli.PathFlag{Name: "report", Usage: "write a JSON report to `FILE` at exit: answers by source, misses, recordings never used, faults injected"},
		&cli.BoolFlag{Name: "report-text", Usage: "also print the report for people to stderr at exit"},
		&cli.BoolFlag{Name: "fail-on-miss", Usage: "exit 3 if any request missed the cassette"},
		&cli.BoolFlag{Name: "fail-on-unused", Usage: "exit 3 if any recorded request or stream was never used"},
	}
}

// replayExit is what replay does at exit: the report to write and the
// checks that fail the run.
type replayExit struct {
	path               string
	text               bool
	failMiss, failUsed bool
}

// missOptions reads the miss flags into opts, and the exit's duties (nil
// when there are none).
func missOptions(c *cli.Context, opts *replay.Options) (*replayExit, error) {
	mode, err := replay.ParseOnMiss(c.String("on-miss"))
	if err != nil {
		return nil, fmt.Errorf("--on-miss %q: want synth, error or upstream", c.String("on-miss"))
	}
	opts.OnMiss = mode
	opts.RecordMissing = c.Bool("record-missing")
	if err := upstreamsFor(c, opts); err != nil {
		return nil, err
	}
	exit := &replayExit{path: c.Path("report"), text: c.Bool("report-text"), failMiss: c.Bool("fail-on-miss"), failUsed: c.Bool("fail-on-unused")}
	if *exit == (replayExit{}) {
		return nil, nil
	}
	if opts.Cassette == "" {
		return nil, fmt.Errorf("replay: --report, --report-text, --fail-on-miss and --fail-on-unused need --cassette")
	}
	return exit, nil
}

// upstreamsFor reads --upstream-rest, --upstream-ws and --upstream ID=URL
// (record's syntax) into opts.Upstreams.
func upstreamsFor(c *cli.Context, opts *replay.Options) error {
	single := c.IsSet("upstream-rest") || c.IsSet("upstream-ws")
	if !single && !c.IsSet("upstream") {
		return nil
	}
	if opts.OnMiss != replay.MissUpstream {
		return fmt.Errorf("replay: --upstream-rest, --upstream-ws and --upstream are for --on-miss upstream")
	}
	ups, err := parseUpstreams(c.StringSlice("upstream"), plugins.Names())
	if err != nil {
		return err
	}
	if single {
		id := opts.Exchange
		if id == "" && opts.Cassette != "" {
			f, err := cassettes.OpenFile(opts.Cassette, 0, &cassettes.Options{ReadOnly: true})
			if err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			ids := f.Exchanges()
			f.Close()
			if len(ids) != 1 {
				return fmt.Errorf("replay: %s holds %s: give --upstream ID=URL for each instead of --upstream-rest/--upstream-ws", opts.Cassette, strings.Join(ids, ", "))
			}
			id = ids[0]
		}
		ups[id] = record.Upstream{REST: c.String("upstream-rest"), WS: c.String("upstream-ws")}
	}
	opts.Upstreams = ups
	return nil
}

// runReplay serves opts until the command's context ends (SIGINT,
// SIGTERM), then closes the server and does exit's duties with its
// report: written even when the run fails.
func runReplay(c *cli.Context, opts replay.Options, exit *replayExit) error {
	srv, err := startServer(c, opts)
	if err != nil {
		return err
	}
	<-c.Context.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, closeErr := srv.CloseReport(ctx)
	if rep == nil {
		return closeErr
	}
	if exit.path != "" {
		if err := writeReport(exit.path, rep); err != nil {
			return err
		}
	}
	if exit.text {
		rep.WriteText(c.App.ErrWriter)
	}
	if closeErr != nil {
		return closeErr
	}
	if reasons := rep.Failures(exit.failMiss, exit.failUsed); len(reasons) > 0 {
		// main prints this one line on stderr and exits with the code.
		return exitWith(exitFixtureMismatch, "replay: "+strings.Join(reasons, "; "))
	}
	return nil
}

// writeReport writes rep to path atomically: a temporary file beside it,
// synced, then renamed over it, so a reader never sees half a report.
func writeReport(path string, rep *replay.Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keys hold & and <: keep them readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("replay: report: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("replay: report: %w", err)
	}
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("replay: report: %w", err)
	}
	return nil
}
