package main

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strings"

	"github.com/urfave/cli/v2"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// exchangesCommand lists the exchange ids this build serves, one a line,
// or with --json what real clients need to know of each, so that scripts
// (the ccxt compat harness) iterate the registry, not a list of their own.
func exchangesCommand() *cli.Command {
	return &cli.Command{
		Name:  "exchanges",
		Usage: "list the exchange ids this build serves, one per line (--json: with their routes, intervals and pairs)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array describing each exchange"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("exchanges: takes no arguments, got %q", c.Args().Slice())
			}
			names := plugins.Names()
			if !c.Bool("json") {
				for _, n := range names {
					fmt.Fprintln(c.App.Writer, n)
				}
				return nil
			}
			list := make([]exchangeListing, 0, len(names))
			for _, n := range names {
				p, err := plugins.Lookup(n)
				if err != nil {
					return err
				}
				list = append(list, describe(p))
			}
			enc := json.NewEncoder(c.App.Writer)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		},
	}
}

// exchangeListing is one exchange in `exchanges --json`.
type exchangeListing struct {
	ID string `json:"id"`
	// Family is the plugin's folder under plugins/ (binance, gateio, ...).
	Family string `json:"family"`
	// Market is "perpetual" for an id ending in _perpetual, else "spot".
	Market       string `json:"market"`
	UpstreamREST string `json:"upstream_rest"`
	UpstreamWS   string `json:"upstream_ws"`
	// Hosts are the real hostnames its clients reach (proxy mode routes
	// by them), without ports.
	Hosts    []string `json:"hosts"`
	MaxLimit int      `json:"max_limit"`
	// Intervals are the canonical intervals served, shortest first, each
	// with the exchange's name for it.
	Intervals []intervalListing `json:"intervals"`
	// Pairs are the pairs served without --pairs, spelled the exchange's way.
	Pairs []pairListing `json:"pairs"`
	REST  []string      `json:"rest_routes"`
	WS    []string      `json:"ws_paths"`
}

type intervalListing struct {
	Interval cc.Interval `json:"interval"`
	Name     string      `json:"name"`
}

type pairListing struct {
	Base   string `json:"base"`
	Quote  string `json:"quote"`
	Symbol string `json:"symbol"`
}

func describe(p plugins.Plugin) exchangeListing {
	d := p.Defaults()
	rest, ws := p.Routes()
	l := exchangeListing{
		ID: p.Name(), Family: family(p), Market: "spot",
		UpstreamREST: d.UpstreamREST, UpstreamWS: d.UpstreamWS, MaxLimit: d.MaxLimit,
		Intervals: []intervalListing{}, Pairs: []pairListing{},
		REST: append([]string{}, rest...), WS: append([]string{}, ws...),
		Hosts: append([]string{}, d.Hosts...),
	}
	if strings.HasSuffix(l.ID, "_perpetual") {
		l.Market = "perpetual"
	}
	names := d.Names()
	for _, iv := range d.Intervals {
		n, _ := names.Name(iv)
		l.Intervals = append(l.Intervals, intervalListing{iv, n})
	}
	for _, pair := range cc.DefaultPairs {
		l.Pairs = append(l.Pairs, pairListing{pair.Base, pair.Quote, p.Symbol(pair)})
	}
	return l
}

// family is the last element of p's package path: the folder under
// plugins/ that holds it.
func family(p plugins.Plugin) string {
	t := reflect.TypeOf(p)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return path.Base(t.PkgPath())
}
