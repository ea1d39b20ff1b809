package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// recordExchange picks the exchange the record tests run against.
func recordExchange(t *testing.T) plugins.Plugin {
	t.Helper()
	for _, name := range append([]string{"binance_spot"}, plugins.Names()...) {
		if p, err := plugins.Lookup(name); err == nil {
			return p
		}
	}
	t.Skip("no exchange registered")
	return nil
}

// synthUpstream is a synthetic exchange in this process standing in for
// the real one.
func synthUpstream(t *testing.T, p plugins.Plugin) *replay.Server {
	t.Helper()
	up, err := replay.Start(replay.Options{Exchange: p.Name(), Serve: serve.Options{NoRateLimit: true}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.Close(context.Background()) })
	return up
}

// candlesURL is the plugin's own request for limit 1m candles from start.
func candlesURL(t *testing.T, p plugins.Plugin, base string, start int64, limit int) string {
	t.Helper()
	req, err := p.CandlesRequest(plugins.Query{Symbol: p.Symbol(cc.DefaultPairs[0]), Interval: cc.Interval1m, Start: start, End: start + int64(limit)*60_000 - 1, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return base + req.URL.RequestURI()
}

func fetch(t *testing.T, u string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("X-MBX-APIKEY", "cli-test-secret-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b
}

// startRecord runs `record args...` in this process until stop.
func startRecord(t *testing.T, args ...string) (url string, stop func() error) {
	t.Helper()
	s := startServing(t, append([]string{"record"}, args...)...)
	return s.url, s.stop
}

func TestRecordThenInspect(t *testing.T) {
	p := recordExchange(t)
	up := synthUpstream(t, p)
	path := filepath.Join(t.TempDir(), "session.cassette")
	url, stop := startRecord(t, p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit")
	// Two windows of 60 candles with a 30-candle gap, in the past.
	base := cc.Interval1h.Truncate(time.Now().UnixMilli()) - 6*3_600_000
	first := fetch(t, candlesURL(t, p, url, base, 60))
	if direct := fetch(t, candlesURL(t, p, up.URL(), base, 60)); string(direct) != string(first) {
		t.Errorf("the proxy changed the body: %d vs %d bytes", len(first), len(direct))
	}
	fetch(t, candlesURL(t, p, url, base+90*60_000, 60))
	if err := stop(); err != nil {
		t.Fatalf("record: %v", err)
	}

	stdout, _, err := run(t, "inspect", path)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	sym := p.Symbol(cc.DefaultPairs[0])
	for _, want := range []string{
		"exchange:  " + p.Name(), "format:    " + strconv.Itoa(cassettes.SingleFormat), "interactions: 2",
		sym + " 1m: 120 candles in 2 range(s), 1 gap(s)",
		"range " + fmtMs(base) + " .. " + fmtMs(base+59*60_000) + "  60 candles",
		"gap   " + fmtMs(base+60*60_000) + " .. " + fmtMs(base+89*60_000) + "  30 missing",
		"REST " + up.URL(),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	jsonOut, _, err := run(t, "inspect", "--json", path)
	if err != nil {
		t.Fatalf("inspect --json: %v", err)
	}
	var s cassettes.Summary
	if err := json.Unmarshal([]byte(jsonOut), &s); err != nil {
		t.Fatalf("inspect --json is not JSON: %v\n%s", err, jsonOut)
	}
	if s.Meta.Exchange != p.Name() || len(s.Coverage) != 1 || len(s.Coverage[0].Ranges) != 2 || s.Coverage[0].Gaps[0].Count != 30 {
		t.Errorf("inspect --json = %+v", s)
	}
	if s.Ratio <= 0 || s.FileSize <= 0 || s.Meta.RawBytes <= 0 {
		t.Errorf("size figures missing: %+v", s)
	}
	if raw, _ := os.ReadFile(path); strings.Contains(string(raw), "cli-test-secret-key") {
		t.Error("the API key reached the file")
	}
}

func TestInspectRefusesBadFilesWithOneLine(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.cassette")
	os.WriteFile(junk, []byte(strings.Repeat("not a cassette ", 2000)), 0o644)
	for name, path := range map[string]string{"junk": junk, "missing": filepath.Join(dir, "none.cassette")} {
		_, _, err := run(t, "inspect", path)
		if err == nil {
			t.Errorf("%s: inspect succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: reason spans lines: %q", name, err)
		}
	}
	if _, _, err := run(t, "inspect", junk); err == nil || !strings.Contains(err.Error(), "not a cassette") {
		t.Errorf("junk: %v", err)
	}
}

func TestRecordRefusesAnotherExchangesCassette(t *testing.T) {
	p := recordExchange(t)
	path := filepath.Join(t.TempDir(), "other.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "not_" + p.Name()})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, stderr, err := run(t, "record", p.Name(), "--cassette", path, "--listen", "127.0.0.1:0", "--upstream-rest", "http://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "another exchange") {
		t.Errorf("record into another exchange's cassette: %v %s", err, stderr)
	}
}

func TestRecordAdminDisconnectClosesRelays(t *testing.T) {
	p := recordExchange(t)
	if p.Name() != "binance_spot" {
		t.Skip("uses Binance's WS path")
	}
	up := synthUpstream(t, p)
	path := filepath.Join(t.TempDir(), "disc.cassette")
	url, stop := startRecord(t, p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit")
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || !strings.Contains(string(msg), "kline") {
		t.Fatalf("first relayed message %q, %v", msg, err)
	}
	resp, err := http.Post(url+"/__admin/disconnect", "application/json", strings.NewReader(`{"code":4001}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var ce *websocket.CloseError
	for {
		if _, _, err = ws.ReadMessage(); err != nil {
			break
		}
	}
	if !errors.As(err, &ce) || ce.Code != 4001 {
		t.Errorf("after an admin disconnect the client saw %v, want close 4001", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conns, _ := c.Conns()
	if len(conns) != 1 || conns[0].CloseCode != 4001 || conns[0].Streams[p.Symbol(cc.DefaultPairs[0])+" 1m"] == 0 {
		t.Errorf("recorded connection: %+v", conns)
	}
	if cv, _ := c.Coverage(p.Symbol(cc.DefaultPairs[0]), cc.Interval1m); cv.Total() == 0 {
		t.Error("the WS klines were not indexed")
	}
}

// KuCoin hands out its WS endpoint in a REST reply: through the proxy the
// endpoint must be the proxy, and connecting there reaches the upstream.
func TestRecordRewritesKuCoinBulletToItself(t *testing.T) {
	p, err := plugins.Lookup("kucoin_spot")
	if err != nil {
		t.Skip("kucoin_spot not registered")
	}
	up := synthUpstream(t, p)
	path := filepath.Join(t.TempDir(), "kucoin.cassette")
	url, stop := startRecord(t, p.Name(), "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream-rest", up.URL(), "--upstream-ws", up.WSURL(), "--no-rate-limit")
	resp, err := http.Post(url+"/api/v1/bullet-public", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var bullet struct {
		Data struct {
			Token           string `json:"token"`
			InstanceServers []struct {
				Endpoint string `json:"endpoint"`
			} `json:"instanceServers"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&bullet)
	resp.Body.Close()
	if err != nil || len(bullet.Data.InstanceServers) == 0 {
		t.Fatalf("bullet-public: %v %+v", err, bullet)
	}
	ep := bullet.Data.InstanceServers[0].Endpoint
	proxyWS := "ws" + strings.TrimPrefix(url, "http")
	if !strings.HasPrefix(ep, proxyWS) {
		t.Fatalf("endpoint %q does not point at the proxy %s", ep, proxyWS)
	}
	ws, _, err := websocket.DefaultDialer.Dial(ep+"?token="+bullet.Data.Token+"&connectId=c1", nil)
	if err != nil {
		t.Fatalf("dialing the rewritten endpoint: %v", err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(msg), "welcome") {
		t.Errorf("first message through the relayed endpoint: %q, %v", msg, err)
	}
	ws.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The cassette keeps the upstream's own answer; replay rewrites it.
	ixs, _ := c.Lookup("POST", "/api/v1/bullet-public", "", nil)
	if len(ixs) != 1 || strings.Contains(string(ixs[0].Body), strings.TrimPrefix(url, "http://")) {
		t.Errorf("recorded bullet reply: %d interactions", len(ixs))
	}
	if conns, _ := c.Conns(); len(conns) != 1 {
		t.Errorf("recorded %d WS connections, want 1", len(conns))
	}
}
