package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// config is what the flags choose.
type config struct {
	quick, full  bool
	only         map[string]bool
	root         string // module root
	bin          string // built binary
	work         string // temp dir of this run
	keep         bool
	wrkTime      time.Duration
	wrkRounds    int
	wsFrames     int
	wsClients    int
	wsSeconds    int
	depthClients int
	depthTime    time.Duration
	depthSkew    time.Duration
	benchTime    string
	cacheDir     string
}

// sections in the order they run.
var sections = []string{"gobench", "rest", "tls", "ws", "depth", "index", "record", "startup"}

func main() {
	var cfg config
	only := flag.String("only", "", "comma-separated sections to run (default all): "+strings.Join(sections, ","))
	flag.BoolVar(&cfg.quick, "quick", false, "short run: fewer iterations, shorter wrk runs, smaller index and WS recordings")
	flag.BoolVar(&cfg.full, "full", false, "long run: longer wrk runs and more iterations (steadier figures)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the run's temp dir (cassettes, nginx config, CA, logs)")
	flag.IntVar(&cfg.depthClients, "depth-clients", 1000, "WS clients of the depth section")
	flag.DurationVar(&cfg.depthTime, "depth-time", 0, "timed window of the depth section (default 30s; -quick 10s, -full 60s)")
	flag.DurationVar(&cfg.depthSkew, "depth-skew", 0, "run the depth section's server this far ahead of true time (--clock-skew; negative: behind, at most 24h), to time the synthetic market's busy hours at any hour: delays are taken from E less the skew")
	flag.StringVar(&cfg.cacheDir, "cache", filepath.Join(os.TempDir(), "candlecassette-bench"), "where the 10M-candle index cassette is built once and reused")
	flag.Parse()
	if *only != "" {
		cfg.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			cfg.only[strings.TrimSpace(s)] = true
		}
	}
	cfg.wrkTime, cfg.wrkRounds, cfg.wsFrames, cfg.wsClients, cfg.wsSeconds, cfg.benchTime = 4*time.Second, 3, 1_000_000, 1000, 10, "1s"
	switch {
	case cfg.quick:
		cfg.wrkTime, cfg.wrkRounds, cfg.wsFrames, cfg.wsSeconds, cfg.benchTime = 2*time.Second, 1, 300_000, 4, "300ms"
	case cfg.full:
		cfg.wrkTime, cfg.wrkRounds, cfg.wsFrames, cfg.wsSeconds, cfg.benchTime = 8*time.Second, 5, 2_000_000, 20, "3s"
	}
	if cfg.depthTime <= 0 {
		cfg.depthTime = 30 * time.Second
		switch {
		case cfg.quick:
			cfg.depthTime = 10 * time.Second
		case cfg.full:
			cfg.depthTime = 60 * time.Second
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(runAll(ctx, &cfg))
}

func runAll(ctx context.Context, cfg *config) int {
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchharness:", err)
		return 2
	}
	if cfg.work, err = os.MkdirTemp("", "ccbench-"); err != nil {
		fmt.Fprintln(os.Stderr, "benchharness:", err)
		return 2
	}
	os.Chmod(cfg.work, 0o755) // nginx's workers run as nobody
	if cfg.keep {
		fmt.Fprintln(os.Stderr, "benchharness: keeping", cfg.work)
	} else {
		defer os.RemoveAll(cfg.work)
	}
	cfg.root = root
	logf("building the binary")
	cfg.bin = filepath.Join(cfg.work, "candlecassette")
	if out, err := run(ctx, root, "go", "build", "-o", cfg.bin, "./cmd/candlecassette"); err != nil {
		fmt.Fprintf(os.Stderr, "benchharness: go build: %v\n%s", err, out)
		return 2
	}
	t := &table{}
	started := time.Now()
	for _, name := range sections {
		if cfg.only != nil && !cfg.only[name] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		logf("section %s", name)
		s0 := time.Now()
		var err error
		switch name {
		case "gobench":
			err = goBenchmarks(ctx, cfg, root, t)
		case "rest":
			err = restSection(ctx, cfg, t)
		case "tls":
			err = tlsSection(ctx, cfg, t)
		case "ws":
			err = wsSection(ctx, cfg, t)
		case "depth":
			err = depthSection(ctx, cfg, t)
		case "index":
			err = indexSection(ctx, cfg, t)
		case "record":
			err = recordSection(ctx, cfg, root, t)
		case "startup":
			err = startupSection(ctx, cfg, t)
		}
		if err != nil {
			t.add(name, "error", oneLine(err.Error()), "", miss)
			logf("section %s: %v", name, err)
		}
		logf("section %s took %s", name, time.Since(s0).Round(time.Second))
	}
	fmt.Printf("\ncandlecassette benchmarks — %s, %d CPUs (GOMAXPROCS %d), %s, run took %s\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), time.Since(started).Round(time.Second))
	if t.print(os.Stdout) > 0 {
		return 1
	}
	return 0
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s benchharness: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// repoRoot finds the module root (the directory holding go.mod) from the
// working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: run from the repository")
		}
		dir = parent
	}
}
