package readme_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/adshao/go-binance/v2"
	"github.com/adshao/go-binance/v2/futures"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
	"github.com/candlecassette/candlecassette/serve/ca"
)

// TestBotAgainstBinance is the fixture-API block of the README, verbatim.
func TestBotAgainstBinance(t *testing.T) {
	srv, err := replay.Start(replay.Options{Exchange: "binance_spot", Seed: 1}, "127.0.0.1:0")
	// or replay.Options{Cassette: "testdata/btc.cassette", ClockMode: replay.ClockNow}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())

	client := binance.NewClient("", "")
	client.BaseURL = srv.URL()                  // REST base URL
	binance.BaseWsMainURL = srv.WSURL() + "/ws" // WS base URL

	klines, err := client.NewKlinesService().Symbol("BTCUSDT").Interval("1h").Limit(24).Do(context.Background())
	if err != nil || len(klines) != 24 {
		t.Fatalf("klines: %d, %v", len(klines), err)
	}
	// Network conditions change at run time, as PUT /__admin/conditions does.
	if err := srv.PatchConditions([]byte(`{"latency":"50ms","jitter":"5ms"}`)); err != nil {
		t.Fatal(err)
	}
}

// TestPointGoBinanceAtIt runs the README's go-binance block against a
// server on the address the block names, 127.0.0.1:8080.
func TestPointGoBinanceAtIt(t *testing.T) {
	srv, err := replay.Start(replay.Options{Exchange: "binance_spot", Seed: 1}, "127.0.0.1:8080")
	if errors.Is(err, syscall.EADDRINUSE) {
		t.Skip("127.0.0.1:8080 is taken on this machine; the README block names that address")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	oldWS, oldComb, oldFWS, oldFComb := binance.BaseWsMainURL, binance.BaseCombinedMainURL, futures.BaseWsMainUrl, futures.BaseCombinedMainURL
	defer func() {
		binance.BaseWsMainURL, binance.BaseCombinedMainURL, futures.BaseWsMainUrl, futures.BaseCombinedMainURL = oldWS, oldComb, oldFWS, oldFComb
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan *binance.WsKlineEvent, 1)
	onKline := func(ev *binance.WsKlineEvent) {
		select {
		case got <- ev:
		default:
		}
	}
	onError := func(err error) { t.Errorf("ws: %v", err) }

	client := binance.NewClient("", "")
	client.BaseURL = "http://127.0.0.1:8080"                            // was https://api.binance.com
	binance.BaseWsMainURL = "ws://127.0.0.1:8080/ws"                    // was wss://stream.binance.com:9443/ws
	binance.BaseCombinedMainURL = "ws://127.0.0.1:8080/stream?streams=" // was wss://stream.binance.com:9443/stream?streams=

	klines, err := client.NewKlinesService().Symbol("BTCUSDT").Interval("1m").Limit(100).Do(ctx)
	done, stop, err := binance.WsKlineServe("BTCUSDT", "1m", onKline, onError)

	// USD-M futures: serve `synth binance_perpetual`, then
	futuresClient := binance.NewFuturesClient("", "")
	futuresClient.BaseURL = "http://127.0.0.1:8080"                     // was https://fapi.binance.com
	futures.BaseWsMainUrl = "ws://127.0.0.1:8080/ws"                    // was wss://fstream.binance.com/ws
	futures.BaseCombinedMainURL = "ws://127.0.0.1:8080/stream?streams=" // was wss://fstream.binance.com/stream?streams=

	if err != nil {
		t.Fatal(err)
	}
	if len(klines) != 100 {
		t.Errorf("klines: got %d, want 100", len(klines))
	}
	select {
	case ev := <-got:
		if ev.Symbol != "BTCUSDT" || ev.Kline.Interval != "1m" {
			t.Errorf("kline event for %s %s, want BTCUSDT 1m", ev.Symbol, ev.Kline.Interval)
		}
	case <-ctx.Done():
		t.Fatal("no kline event within 30 s")
	}
	close(stop)
	<-done
	if futuresClient.BaseURL != srv.URL() {
		t.Errorf("futures base %q, server %q", futuresClient.BaseURL, srv.URL())
	}
	if _, port, _ := net.SplitHostPort(srv.Addr()); port != "8080" {
		t.Errorf("server on %s", srv.Addr())
	}
}

// TestBotThroughTheProxy is the README's proxy-mode fixture block,
// verbatim.
func TestBotThroughTheProxy(t *testing.T) {
	authority, err := ca.Load(t.TempDir(), &ca.Options{Hosts: []string{"api.binance.com"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := replay.Start(replay.Options{Exchange: "binance_spot", Seed: 1, Serve: serve.Options{
		TLS:   authority.GetCertificate,                                      // TLS for the exchange's names, signed by the CA
		Hosts: func(p plugins.Plugin) []string { return p.Defaults().Hosts }, // api.binance.com, stream.binance.com, ...
	}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())

	proxy, _ := url.Parse(srv.URL())
	client := binance.NewClient("", "") // BaseURL stays https://api.binance.com
	client.HTTPClient = &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxy),
		TLSClientConfig: &tls.Config{RootCAs: authority.Pool()},
	}}

	klines, err := client.NewKlinesService().Symbol("BTCUSDT").Interval("1h").Limit(24).Do(context.Background())
	if err != nil || len(klines) != 24 {
		t.Fatalf("klines through the proxy: %d, %v", len(klines), err)
	}
	if n := srv.Status().Requests; n != 1 { // the server's counters saw the request
		t.Errorf("the server served %d requests, want 1", n)
	}
}

// TestTheImageWithTestcontainers is the README's testcontainers-go block,
// verbatim, against the image `make image` built (CANDLECASSETTE_IMAGE
// names another). make test builds it first (compat-go needs image-test).
// Without a docker daemon it is skipped — unless CI=true, where it fails.
func TestTheImageWithTestcontainers(t *testing.T) {
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true") // the reaper is an image to pull
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && (os.Getenv("DOCKER_HOST") == "" || strings.HasPrefix(os.Getenv("DOCKER_HOST"), "unix://")) {
		// A daemon on this machine publishes ports here; inside a container
		// (a CI sandbox) testcontainers would guess the default gateway.
		t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	image := "candlecassette:dev"
	if v := os.Getenv("CANDLECASSETTE_IMAGE"); v != "" {
		image = v
	}
	provider, err := testcontainers.NewDockerProvider()
	if err == nil {
		defer provider.Close()
		err = provider.Health(context.Background())
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no docker daemon: %v", err)
		}
		t.Skipf("no docker daemon (%v): skipped outside CI; run make image-test as root or with CI=true to set one up", err)
	}
	if _, err := provider.Client().ImageInspect(context.Background(), image); err != nil {
		t.Fatalf("image %s not found (%v): run make image first", image, err)
	}
	testTheImage(t, image)
}

func testTheImage(t *testing.T, image string) {
	ctx := context.Background()
	ctr, err := testcontainers.Run(ctx, image, // "candlecassette:dev", as make image tags it
		testcontainers.WithExposedPorts("8080/tcp"),
		testcontainers.WithWaitStrategy(wait.ForLog("listening on")),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	base, err := ctr.PortEndpoint(ctx, "8080/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	client := binance.NewClient("", "")
	client.BaseURL = base // the container's synthetic Binance (klines answer under any Host; /__admin/ only under its own names)
	klines, err := client.NewKlinesService().Symbol("BTCUSDT").Interval("1m").Limit(10).Do(ctx)
	if err != nil || len(klines) != 10 {
		t.Fatalf("klines from the container: %d, %v", len(klines), err)
	}
}

// TestReadmeBlocksAreTested fails when a Go block of the README is not,
// line for line, in this file: the README cannot drift from code that
// compiles and runs.
func TestReadmeBlocksAreTested(t *testing.T) {
	blocks := goBlocks(t, "../../README.md")
	if len(blocks) < 2 {
		t.Fatalf("found %d Go blocks in README.md; want the go-binance and fixture-API blocks", len(blocks))
	}
	self := normalized(t, "readme_test.go")
	for i, b := range blocks {
		if !containsRun(self, b) {
			t.Errorf("README Go block %d (starting %q) is not in readme_test.go verbatim", i+1, b[0])
		}
	}
}

// goBlocks returns the ```go blocks of path, each as its non-blank lines
// with surrounding space trimmed.
func goBlocks(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks [][]string
	var cur []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```go":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			if l := norm(line); l != "" {
				cur = append(cur, l)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

func normalized(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = norm(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// norm trims a line and collapses runs of spaces (gofmt aligns comments
// differently at different indentation).
func norm(l string) string { return strings.Join(strings.Fields(l), " ") }

// containsRun reports whether block occurs in lines as a contiguous run.
func containsRun(lines, block []string) bool {
	for i := 0; i+len(block) <= len(lines); i++ {
		ok := true
		for j := range block {
			if lines[i+j] != block[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
