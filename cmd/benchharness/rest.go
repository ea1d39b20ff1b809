package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// restStart is the fixed startTime of the measured klines windows
// (2024-01-01T00:00Z: closed, identical on every run).
const restStart = 1704067200000

func klinesPath(limit int) string {
	return fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=%d&startTime=%d", limit, restStart)
}

// ensureTools finds wrk and nginx, installing the Debian packages wrk and
// nginx-light with apt-get when they are missing and we are root.
func ensureTools(ctx context.Context) (wrk, nginx string, err error) {
	find := func() (string, string) {
		w, _ := exec.LookPath("wrk")
		n, _ := exec.LookPath("nginx")
		if n == "" {
			if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
				n = "/usr/sbin/nginx"
			}
		}
		return w, n
	}
	if wrk, nginx = find(); wrk != "" && nginx != "" {
		return wrk, nginx, nil
	}
	if os.Geteuid() != 0 {
		return "", "", errors.New("wrk or nginx missing and not root: apt-get install wrk nginx-light, then rerun")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", "", errors.New("wrk or nginx missing and no apt-get: install wrk and nginx, then rerun")
	}
	logf("installing wrk and nginx-light with apt-get")
	if out, err := run(ctx, "", "apt-get", "update", "-qq"); err != nil {
		return "", "", fmt.Errorf("apt-get update (offline?): %v: %s", err, oneLine(out))
	}
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk", "nginx-light")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("apt-get install wrk nginx-light: %v: %s", err, oneLine(string(out)))
	}
	if wrk, nginx = find(); wrk == "" || nginx == "" {
		return "", "", errors.New("wrk or nginx still missing after apt-get install")
	}
	return wrk, nginx, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// nginxTLS has startNginx listen with TLS 1.3 only, with this certificate
// and key (PEM files), and check it with client.
type nginxTLS struct {
	cert, key string
	client    *http.Client
}

// startNginx serves bodies (limit → body) as static files on loopback for
// the klines path, whatever the query, picked by the limit param; over TLS
// when tlsOpts is not nil.
func startNginx(nginx, dir string, bodies map[int][]byte, tlsOpts *nginxTLS) (*exec.Cmd, string, error) {
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		return nil, "", err
	}
	var mapLines strings.Builder
	for limit, b := range bodies {
		name := fmt.Sprintf("klines-%d.json", limit)
		if err := os.WriteFile(filepath.Join(www, name), b, 0o644); err != nil {
			return nil, "", err
		}
		fmt.Fprintf(&mapLines, "    %d /%s;\n", limit, name)
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	listen, scheme, client := fmt.Sprintf("listen 127.0.0.1:%d;", port), "http", httpClient
	if tlsOpts != nil {
		// TLS 1.3 with the one suite Go's server picks for a client that
		// prefers AES (wrk's OpenSSL does): AES-128-GCM on both sides.
		// Session resumption is left at its default; wrk keeps its
		// connections alive, so it only matters for its first requests.
		listen = fmt.Sprintf(`listen 127.0.0.1:%d ssl;
    ssl_certificate %s;
    ssl_certificate_key %s;
    ssl_protocols TLSv1.3;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;`, port, tlsOpts.cert, tlsOpts.key)
		scheme, client = "https", tlsOpts.client
	}
	conf := fmt.Sprintf(`daemon off;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  open_file_cache max=16;
  client_body_temp_path %[1]s/tmp; proxy_temp_path %[1]s/tmp; fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp; scgi_temp_path %[1]s/tmp;
  map $arg_limit $klines {
%[3]s  }
  server {
    %[2]s
    root %[4]s;
    location = /api/v3/klines { default_type application/json; try_files $klines =404; }
  }
}
`, dir, listen, mapLines.String(), www)
	os.MkdirAll(filepath.Join(dir, "tmp"), 0o755)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, "", err
	}
	cmd := exec.Command(nginx, "-c", confPath, "-p", dir, "-e", filepath.Join(dir, "nginx-error.log"))
	// Its own process group: stopping it stops the workers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	base := fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if b, err := fetchWith(client, base+klinesPath(1000)); err == nil && len(b) > 0 {
			return cmd, base, nil
		}
		if time.Now().After(deadline) {
			stopNginx(cmd)
			log, _ := os.ReadFile(filepath.Join(dir, "nginx-error.log"))
			return nil, "", fmt.Errorf("nginx did not answer: %s", oneLine(string(log)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopNginx shuts nginx's process group down (TERM, then KILL).
func stopNginx(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func fetch(url string) ([]byte, error) { return fetchWith(httpClient, url) }

func fetchWith(client *http.Client, url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, b)
	}
	return b, err
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkPct    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSock   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk drives url with wrk: 2 threads, 50 connections.
func runWrk(ctx context.Context, wrk, url string, d time.Duration) (wrkResult, error) {
	secs := max(1, int(d.Seconds()))
	out, err := run(ctx, "", wrk, "-t2", "-c50", "-d"+strconv.Itoa(secs)+"s", "--latency", url)
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %v: %s", err, oneLine(out))
	}
	var r wrkResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk output without Requests/sec: %s", oneLine(out))
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, m := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.errors += n
	}
	if m := wrkSock.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	return r, nil
}

func ms(d time.Duration) string { return fmtNum(float64(d)/1e6) + " ms" }

// restSection records the klines windows from a local synth upstream
// through `candlecassette record`, replays the cassette with `replay`, and
// drives replay, synth and nginx (serving the identical bodies as static
// files) with wrk side by side. Both candlecassette processes run with
// --no-rate-limit: Binance's 6000-weight-per-minute model would answer a
// load test with 429s within a second.
func restSection(ctx context.Context, cfg *config, t *table) error {
	const sec = "REST e2e"
	wrk, nginx, err := ensureTools(ctx)
	if err != nil {
		t.skipped(sec, "wrk vs nginx", oneLine(err.Error()))
		return nil
	}
	dir := filepath.Join(cfg.work, "rest")
	os.MkdirAll(dir, 0o755)
	limits := []int{1000, 100}
	syn, rep, bodies, err := startSynthAndReplay(ctx, cfg, dir, limits)
	if err != nil {
		return err
	}
	defer syn.stop()
	defer rep.stop()
	for _, l := range limits {
		t.info(sec, fmt.Sprintf("limit=%d body", l), fmt.Sprintf("%d bytes, identical from replay, synth and nginx", len(bodies[l])))
	}
	ngx, ngxURL, err := startNginx(nginx, dir, bodies, nil)
	if err != nil {
		return err
	}
	defer stopNginx(ngx)
	for _, l := range limits {
		nb, err := fetch(ngxURL + klinesPath(l))
		if err != nil || !bytes.Equal(nb, bodies[l]) {
			return fmt.Errorf("nginx limit=%d: %d bytes, %v", l, len(nb), err)
		}
	}
	// The floor of Go's net/http: the same bodies from memory, no stack.
	floor, err := startFloor(bodies)
	if err != nil {
		return err
	}
	defer floor.Close()
	for _, l := range limits {
		for _, who := range []struct{ name, url string }{{"replay", rep.url}, {"synth", syn.url}, {"net/http floor", floor.URL}} {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Warm up, then nginx and candlecassette back to back, in
			// alternating rounds; each side's median round counts.
			ng, cc, err := wrkSideBySide(ctx, cfg, wrk, ngxURL+klinesPath(l), who.url+klinesPath(l))
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s limit=%d", who.name, l)
			if who.name == "net/http floor" {
				// Context, not a target: how close Go's HTTP server alone
				// gets to nginx on this machine.
				t.info(sec, name+": req/s ratio | p99 ratio vs nginx", fmt.Sprintf("%s× | %s×", fmtNum(cc.rps/ng.rps), fmtNum(float64(cc.p99)/float64(ng.p99))))
				continue
			}
			t.info(sec, name+": req/s cc | nginx", fmt.Sprintf("%s | %s", fmtNum(cc.rps), fmtNum(ng.rps)))
			t.info(sec, name+": p50 cc | nginx", ms(cc.p50)+" | "+ms(ng.p50))
			t.atLeast(sec, name+": req/s ratio cc/nginx", cc.rps/ng.rps, 0.8, "×")
			t.atMost(sec, name+": p99 cc ("+ms(cc.p99)+") / nginx ("+ms(ng.p99)+")", float64(cc.p99)/float64(ng.p99), 2, "×")
			if cc.errors+ng.errors > 0 {
				t.add(sec, name+": errors (non-2xx, socket)", fmt.Sprintf("cc %d, nginx %d", cc.errors, ng.errors), "0", miss)
			}
		}
	}
	return nil
}

// startSynthAndReplay starts `candlecassette synth binance_spot`, records
// the klines windows of limits from it through `candlecassette record`
// into a cassette in dir, and serves that with `candlecassette replay`;
// both servers run with --no-rate-limit and the extra flags. bodies are
// the windows' answers, checked identical from both.
func startSynthAndReplay(ctx context.Context, cfg *config, dir string, limits []int, extra ...string) (syn, rep *proc, bodies map[int][]byte, err error) {
	syn, err = startCC(cfg.bin, append([]string{"synth", "binance_spot", "--listen", "127.0.0.1:0", "--no-rate-limit"}, extra...)...)
	if err != nil {
		return nil, nil, nil, err
	}
	fail := func(err error) (*proc, *proc, map[int][]byte, error) {
		syn.stop()
		if rep != nil {
			rep.stop()
		}
		return nil, nil, nil, err
	}
	cassette := filepath.Join(dir, "rest.cassette")
	rec, err := startCC(cfg.bin, "record", "binance_spot", "--cassette", cassette, "--listen", "127.0.0.1:0", "--upstream-rest", syn.url)
	if err != nil {
		return fail(err)
	}
	for _, l := range limits {
		if _, err := fetch(rec.url + klinesPath(l)); err != nil {
			rec.stop()
			return fail(fmt.Errorf("recording: %w", err))
		}
	}
	if err := rec.stop(); err != nil {
		return fail(fmt.Errorf("record did not exit cleanly: %v: %s", err, rec.log.String()))
	}
	rep, err = startCC(cfg.bin, append([]string{"replay", "--cassette", cassette, "--listen", "127.0.0.1:0", "--no-rate-limit"}, extra...)...)
	if err != nil {
		return fail(err)
	}
	bodies = map[int][]byte{}
	for _, l := range limits {
		rb, err := fetch(rep.url + klinesPath(l))
		if err != nil {
			return fail(err)
		}
		sb, err := fetch(syn.url + klinesPath(l))
		if err != nil {
			return fail(err)
		}
		if !bytes.Equal(rb, sb) {
			return fail(fmt.Errorf("limit=%d: replay and synth bodies differ (%d vs %d bytes)", l, len(rb), len(sb)))
		}
		bodies[l] = rb
	}
	return syn, rep, bodies, nil
}

// wrkSideBySide drives nginx's URL and cc's with wrk in alternating
// rounds after a warm-up of cc, and returns each side's median round.
func wrkSideBySide(ctx context.Context, cfg *config, wrk, ngxURL, ccURL string) (ng, cc wrkResult, err error) {
	runWrk(ctx, wrk, ccURL, time.Second)
	var ngs, ccs []wrkResult
	for range cfg.wrkRounds {
		n, err := runWrk(ctx, wrk, ngxURL, cfg.wrkTime)
		if err != nil {
			return ng, cc, err
		}
		c, err := runWrk(ctx, wrk, ccURL, cfg.wrkTime)
		if err != nil {
			return ng, cc, err
		}
		ngs, ccs = append(ngs, n), append(ccs, c)
	}
	return medianWrk(ngs), medianWrk(ccs), nil
}

// startFloor serves the bodies from memory with a bare net/http handler in
// the harness process: what any Go server pays before its own work.
func startFloor(bodies map[int][]byte) (*httptest.Server, error) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		b, ok := bodies[l]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	})
	return httptest.NewServer(h), nil
}

// medianWrk is the median of rounds, figure by figure; errors add up.
func medianWrk(rs []wrkResult) wrkResult {
	pick := func(f func(wrkResult) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = f(r)
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	m := wrkResult{
		rps: pick(func(r wrkResult) float64 { return r.rps }),
		p50: time.Duration(pick(func(r wrkResult) float64 { return float64(r.p50) })),
		p99: time.Duration(pick(func(r wrkResult) float64 { return float64(r.p99) })),
	}
	for _, r := range rs {
		m.errors += r.errors
	}
	return m
}
