package plugintest_test

import (
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/plugintest"
)

func TestSuitePassesACorrectPlugin(t *testing.T) {
	t.Parallel()
	p, err := plugins.Lookup(binance.SpotName)
	if err != nil {
		t.Fatal(err)
	}
	plugintest.Run(t, p)
}

// broken wraps binance_spot with one defect, chosen by name.
type broken struct {
	plugins.Plugin
	defect string
}

func (b broken) Name() string { return "zz_broken_" + b.defect }

func (b broken) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	set, err := b.Plugin.DecodeCandles(req, body)
	switch {
	case b.defect == "gap" && len(set.Candles) > 2:
		set.Candles = append(set.Candles[:1], set.Candles[2:]...)
	case b.defect == "price" && len(set.Candles) > 0:
		set.Candles[0].Close = set.Candles[0].Close.Add(set.Candles[0].Close)
	}
	return set, err
}

// Defaults of the "volatile" defect leave the symbol out of the match
// key of recorded requests: a replay then answers one pair's page for
// another's, which only the record/replay round trip can see.
func (b broken) Defaults() plugins.Defaults {
	d := b.Plugin.Defaults()
	if b.defect == "volatile" {
		d.VolatileParams = append(slices.Clone(d.VolatileParams), "symbol")
	}
	return d
}

func (b broken) ServerError() plugins.Response {
	r := b.Plugin.ServerError()
	if b.defect == "servererror" {
		r.Status = http.StatusOK
	}
	return r
}

// TestSuiteCatchesDefects runs the suite on deliberately broken plugins in
// a child process (a failing suite fails its test) and checks each defect
// is reported.
func TestSuiteCatchesDefects(t *testing.T) {
	t.Parallel()
	if defect := os.Getenv("PLUGINTEST_DEFECT"); defect != "" {
		base, _ := plugins.Lookup(binance.SpotName)
		p := broken{Plugin: base, defect: defect}
		if plugins.Validate(p) == nil {
			plugins.Register(p) // Register panics on a plugin Validate refuses
		}
		plugintest.Run(t, p)
		return
	}
	expectReported(t, "^TestSuiteCatchesDefects$", "PLUGINTEST_DEFECT", []defectCase{
		{"gap", "gap, overlap or wrong order"},
		{"price", "differs from the market:  close"},
		// plugins.Register refuses it, so the registry check reports it.
		{"servererror", "ServerError is status 200"},
		{"volatile", "the replay answers"},
	})
}

// defectCase is a deliberate defect and the report it must produce.
type defectCase struct{ defect, want string }

// expectReported reruns the tests matching run (a -test.run pattern) in a
// child process once per case with env set to the defect, and checks the
// child fails with the expected report (a failing suite fails its test,
// so it cannot run in this process).
func expectReported(t *testing.T, run, env string, cases []defectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.defect, func(t *testing.T) {
			t.Parallel() // each in a process of its own
			cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.count=1")
			cmd.Env = append(os.Environ(), env+"="+tc.defect)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a plugin with defect %q:\n%.2000s", tc.defect, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("defect %q not reported as %q:\n%.3000s", tc.defect, tc.want, out)
			}
		})
	}
}
