package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/synth"
)

// indexSeries is the 10M-candle index: four symbols, each with 2M 1m,
// 400k 5m and 100k 1h candles of the synthetic market.
var indexSeries = []struct {
	iv cc.Interval
	n  int
}{{cc.Interval1m, 2_000_000}, {cc.Interval5m, 400_000}, {cc.Interval1h, 100_000}}

var indexSymbols = []cc.Pair{
	{Base: "BTC", Quote: "USDT", Price: 42000, Symbol: "BTCUSDT"},
	{Base: "ETH", Quote: "USDT", Price: 2300, Symbol: "ETHUSDT"},
	{Base: "SOL", Quote: "USDT", Price: 100, Symbol: "SOLUSDT"},
	{Base: "BNB", Quote: "USDT", Price: 300, Symbol: "BNBUSDT"},
}

// indexFrom is the open time of every series' first candle (2019-01-01).
const indexFrom = int64(1546300800000)

// indexTotal is how many candles the index holds.
func indexTotal() int {
	total := 0
	for _, s := range indexSeries {
		total += s.n * len(indexSymbols)
	}
	return total
}

// indexBlockKind is the candle block kind cassettes writes now (kind 7,
// cassettes/block4.go); bump it when a new kind is introduced.
const indexBlockKind = 7

// indexPath is where the index cassette is cached.
func indexPath(dir string, total int) string {
	// The block kind is in the name too: a cache written with older
	// blocks (same format version, still readable) would measure the old
	// encoding.
	return filepath.Join(dir, fmt.Sprintf("index-v%d-b%d-%d.cassette", cassettes.FormatVersion, indexBlockKind, total))
}

// buildIndex writes the 10M-candle cassette once into the cache dir.
func buildIndex(dir string) (string, int, error) {
	total := indexTotal()
	path := indexPath(dir, total)
	if _, err := os.Stat(path); err == nil {
		return path, total, nil
	}
	logf("building the %d-candle index (once, cached in %s)", total, dir)
	os.MkdirAll(dir, 0o755)
	tmp := path + ".tmp"
	os.Remove(tmp)
	c, err := cassettes.Open(tmp, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		return "", 0, err
	}
	m := synth.New(synth.Options{Seed: 11, Exchange: "binance_spot", Pairs: indexSymbols})
	ctx := context.Background()
	const chunk = 50_000
	for _, p := range indexSymbols {
		for _, s := range indexSeries {
			step := s.iv.Duration().Milliseconds()
			end := indexFrom + int64(s.n)*step
			for from := indexFrom; from < end; from += chunk * step {
				to := min(end, from+chunk*step)
				cs, err := m.Candles(ctx, p.Symbol, s.iv, from, to, to)
				if err != nil {
					c.Close()
					return "", 0, err
				}
				if err := c.AddCandles(cassettes.Series{Symbol: p.Symbol, Interval: s.iv, Candles: cs}); err != nil {
					c.Close()
					return "", 0, err
				}
			}
		}
	}
	if err := c.Close(); err != nil {
		return "", 0, err
	}
	return path, total, os.Rename(tmp, path)
}

// procStatus reads VmRSS, VmHWM and RssAnon (kB) of a process.
func procStatus(pid int) (rss, hwm, anon float64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		case "RssAnon:":
			anon = v
		}
	}
	return
}

func indexSection(ctx context.Context, cfg *config, t *table) error {
	const sec = "cassette index"
	path, total, err := buildIndex(cfg.cacheDir)
	if err != nil {
		return err
	}
	fi, _ := os.Stat(path)
	t.info(sec, "index", fmt.Sprintf("%d candles, %d series, %.0f MB file", total, len(indexSymbols)*len(indexSeries), float64(fi.Size())/1e6))

	// Open time: median of several read-only opens.
	var opens []time.Duration
	for range 7 {
		s := time.Now()
		c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		opens = append(opens, time.Since(s))
		c.Close()
	}
	slices.Sort(opens)
	t.lessThan(sec, "open (read-only), median of 7", float64(opens[len(opens)/2])/1e6, 100, "ms")

	// Random 1000-row windows read from the index. The file is read
	// through once first: the figure is the decoding of a window, not the
	// disk under a page cache that other work on the machine may have
	// emptied since the cached file was built (a cold run measured 649 µs
	// p50 and 3.3 ms p99 against 147 µs and 0.6 ms warm).
	if err := warmFile(path); err != nil {
		return err
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 3))
	window := func() (string, cc.Interval, int64, int64) {
		p := indexSymbols[rng.IntN(len(indexSymbols))]
		s := indexSeries[rng.IntN(len(indexSeries))]
		step := s.iv.Duration().Milliseconds()
		from := indexFrom + rng.Int64N(int64(s.n-1000))*step
		return p.Symbol, s.iv, from, from + 1000*step
	}
	reads := 3000
	if cfg.quick {
		reads = 1000
	}
	var lat []time.Duration
	for range reads {
		sym, iv, from, to := window()
		s := time.Now()
		cs, err := c.Candles(sym, iv, from, to)
		lat = append(lat, time.Since(s))
		if err != nil || len(cs) != 1000 {
			c.Close()
			return fmt.Errorf("window %s %s %d: %d candles, %v", sym, iv, from, len(cs), err)
		}
	}
	c.Close()
	slices.Sort(lat)
	t.lessThan(sec, fmt.Sprintf("random 1000-row window read p50 (%d reads)", reads), float64(lat[len(lat)/2])/1e3, 200, "µs")
	t.info(sec, "random 1000-row window read p99", fmtNum(float64(lat[len(lat)*99/100])/1e3)+" µs")

	// RSS of `replay` serving random 1000-row windows over HTTP.
	srv, err := startCC(cfg.bin, "replay", "--cassette", path, "--listen", "127.0.0.1:0", "--no-rate-limit")
	if err != nil {
		return err
	}
	defer srv.stop()
	requests := 4000
	if cfg.quick {
		requests = 1500
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
		jobs = make(chan string)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				resp, err := http.Get(u)
				if err == nil {
					_, err = drain(resp)
				}
				if err != nil {
					mu.Lock()
					ferr = err
					mu.Unlock()
				}
			}
		}()
	}
	for range requests {
		sym, iv, from, _ := window()
		jobs <- fmt.Sprintf("%s/api/v3/klines?symbol=%s&interval=%s&limit=1000&startTime=%d", srv.url, sym, iv, from)
	}
	close(jobs)
	wg.Wait()
	if ferr != nil {
		return fmt.Errorf("serving windows: %w", ferr)
	}
	rss, hwm, anon := procStatus(srv.cmd.Process.Pid)
	t.lessThan(sec, fmt.Sprintf("replay RSS peak serving %d random windows", requests), hwm/1024, 150, "MB")
	t.info(sec, "replay RSS now (anonymous | total)", fmt.Sprintf("%s | %s MB", fmtNum(anon/1024), fmtNum(rss/1024)))
	return nil
}

// warmFile reads path once, into the page cache.
func warmFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}
