package plugintest_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/plugintest"
)

// fragile wraps binance_spot's handler with one robustness defect.
type fragile struct {
	plugins.Plugin
	defect string
}

func (f fragile) Name() string { return "zz_fragile_" + f.defect }

func (f fragile) Handler(env *plugins.Env) http.Handler {
	next := f.Plugin.Handler(env)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case f.defect == "panic" && r.URL.Query().Get("limit") == "NaN":
			panic("limit NaN")
		case f.defect == "empty" && r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusBadRequest)
			return
		case f.defect == "5xx" && r.URL.Query().Get("symbol") == "ZZZQUSDT":
			http.Error(w, "boom", http.StatusBadGateway)
			return
		case f.defect == "leak" && r.URL.Path == "/.env":
			go func() { select {} }()
		}
		next.ServeHTTP(w, r)
	})
}

func TestRobustnessPassesBinanceSpot(t *testing.T) {
	t.Parallel()
	p, err := plugins.Lookup(binance.SpotName)
	if err != nil {
		t.Fatal(err)
	}
	plugintest.RunRobustness(t, p)
}

// TestRobustnessCatchesDefects runs the robustness suite on deliberately
// fragile plugins in a child process and checks each defect is reported.
func TestRobustnessCatchesDefects(t *testing.T) {
	t.Parallel()
	if defect := os.Getenv("PLUGINTEST_ROBUST_DEFECT"); defect != "" {
		base, _ := plugins.Lookup(binance.SpotName)
		p := fragile{Plugin: base, defect: defect}
		plugins.Register(p)
		plugintest.RunRobustness(t, p)
		return
	}
	// Every defect here is in the REST handler: the child runs the REST half.
	expectReported(t, "^TestRobustnessCatchesDefects$/^rest$", "PLUGINTEST_ROBUST_DEFECT", []defectCase{
		{"panic", "handler panicked"},
		{"empty", "DELETE /api/v3/klines: status 400 with an empty body"},
		{"5xx", "status 502: boom"},
		{"leak", "goroutines left after the server closed"},
	})
}
