package replay_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
	"github.com/candlecassette/candlecassette/serve/ca"
)

// proxyClient reaches srv as a client with HTTPS_PROXY set and the CA
// trusted does: CONNECT, then TLS under the real hostname.
func proxyClient(t *testing.T, srv interface{ URL() string }, pool *tls.Config) (*http.Client, *websocket.Dialer) {
	t.Helper()
	proxy, _ := url.Parse(srv.URL())
	tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: pool}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second},
		&websocket.Dialer{Proxy: http.ProxyURL(proxy), TLSClientConfig: pool, HandshakeTimeout: 10 * time.Second}
}

func getVia(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// okxPushes subscribes spot and swap 1m candles on one business socket
// and returns the first push of each instrument.
func okxPushes(t *testing.T, d *websocket.Dialer) map[string]string {
	t.Helper()
	conn, _, err := d.Dial("wss://ws.okx.com:8443/ws/v5/business", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sub := `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"},{"channel":"candle1m","instId":"BTC-USDT-SWAP"}]}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(rows) < 2 {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (pushes so far %v)", err, rows)
		}
		var push struct {
			Event string            `json:"event"`
			Arg   map[string]string `json:"arg"`
			Data  json.RawMessage   `json:"data"`
		}
		if err := json.Unmarshal(msg, &push); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		if push.Event == "error" {
			t.Fatalf("subscribe refused: %s", msg)
		}
		if id := push.Arg["instId"]; len(push.Data) > 0 && rows[id] == "" {
			rows[id] = string(push.Data)
		}
	}
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return rows
}

// TestSiblingsRecordAndReplayThroughTheirSharedHost: okx_spot and
// okx_perpetual recorded together through www.okx.com file each request
// under the sibling it is for (the lead's Owner, as synth routes it) and
// the business socket carrying both markets under the lead; replaying the
// one cassette, with the upstream gone, answers each request from its
// id's recording and the socket from the lead's.
func TestSiblingsRecordAndReplayThroughTheirSharedHost(t *testing.T) {
	t.Setenv(ca.EnvDir, t.TempDir())
	var hosts []string
	for h := range plugins.Hosts() {
		hosts = append(hosts, h)
	}
	authority, err := ca.Load(t.TempDir(), &ca.Options{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	pool := &tls.Config{RootCAs: authority.Pool()}

	// The upstream stands in for www.okx.com: both ids on one host,
	// routed by Owner as the real one answers both markets.
	up, err := replay.Start(replay.Options{
		Exchanges: []string{"okx_spot", "okx_perpetual"},
		Seed:      7,
		Serve: serve.Options{NoRateLimit: true, Hosts: func(plugins.Plugin) []string {
			return []string{"127.0.0.1"}
		}},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close(context.Background())

	path := filepath.Join(t.TempDir(), "okx.cassette")
	rec, err := record.Start(record.Options{
		Exchanges: []string{"okx_spot", "okx_perpetual"},
		Cassette:  path,
		Upstreams: map[string]record.Upstream{
			"okx_spot":      {REST: up.URL(), WS: up.WSURL()},
			"okx_perpetual": {REST: up.URL(), WS: up.WSURL()},
		},
		Serve:           serve.Options{NoRateLimit: true, TLS: authority.GetCertificate},
		CassetteOptions: cassettes.Options{NoSync: true},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close(context.Background())

	const base = "https://www.okx.com/api/v5/"
	requests := []struct{ path, id string }{
		{"public/instruments?instType=SPOT", "okx_spot"},
		{"public/instruments?instType=SWAP", "okx_perpetual"},
		{"market/history-candles?instId=BTC-USDT&bar=1m&after=1704067380000&limit=3", "okx_spot"},
		{"market/history-candles?instId=BTC-USDT-SWAP&bar=1m&after=1704067380000&limit=3", "okx_perpetual"},
		{"market/candles?instId=BTC-USDT-SWAP&bar=1H&limit=2", "okx_perpetual"},
	}
	recorded := map[string]string{}
	client, dialer := proxyClient(t, rec, pool)
	for _, r := range requests {
		code, body := getVia(t, client, base+r.path)
		if code != 200 || !strings.Contains(body, `"data"`) || strings.Contains(body, `"data":[]`) {
			t.Fatalf("%s through the recorder: %d %s", r.path, code, body)
		}
		recorded[r.path] = body
	}
	if recorded[requests[0].path] == recorded[requests[1].path] || recorded[requests[2].path] == recorded[requests[3].path] {
		t.Fatal("spot and swap answered alike: the upstream did not tell them apart")
	}
	pushes := okxPushes(t, dialer)
	client.CloseIdleConnections()
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	up.Close(context.Background())

	// Both sections, each with its own requests; the socket is the lead's.
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := f.Summarize()
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Exchanges(); !slices.Equal(got, []string{"okx_spot", "okx_perpetual"}) {
		t.Fatalf("sections %v", got)
	}
	for _, es := range sum.Exchanges {
		id := es.Meta.Exchange
		var want int64
		for _, r := range requests {
			if r.id == id {
				want++
			}
		}
		if es.Meta.Interactions != want {
			t.Errorf("%s: %d interactions, want %d (paths %v)", id, es.Meta.Interactions, want, es.Paths)
		}
		c, err := f.Exchange(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Interactions(func(ix *cassettes.Interaction) error {
			p := strings.TrimPrefix(ix.Path, "/api/v5/") + "?" + ix.Query
			if i := slices.IndexFunc(requests, func(r struct{ path, id string }) bool { return r.path == p }); i < 0 || requests[i].id != id {
				t.Errorf("%s recorded %s", id, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if wantConns := map[string]int{"okx_spot": 1}[id]; int64(es.Conns) != int64(wantConns) {
			t.Errorf("%s: %d connections, want %d (streams %v)", id, es.Conns, wantConns, es.Streams)
		}
		if id == "okx_spot" && (es.Streams["BTC-USDT 1m"] == 0 || es.Streams["BTC-USDT-SWAP 1m"] == 0) {
			t.Errorf("the shared socket's streams: %v", es.Streams)
		}
	}
	f.Close()

	// Replay the one cassette: another seed, so a synthetic answer would
	// differ from the recorded one.
	srv := startReplay(t, replay.Options{Cassette: path, Seed: 99, Serve: serve.Options{TLS: authority.GetCertificate}})
	client, dialer = proxyClient(t, srv, pool)
	for _, r := range requests {
		code, body := getVia(t, client, base+r.path)
		if code != 200 || body != recorded[r.path] {
			t.Errorf("%s (%s) replayed: %d %s\nrecorded: %s", r.path, r.id, code, body, recorded[r.path])
		}
	}
	got := okxPushes(t, dialer)
	for id, row := range pushes {
		if got[id] != row {
			t.Errorf("%s on the shared socket replayed %s, recorded %s", id, got[id], row)
		}
	}

	// The report covers both sections: every request and stream was
	// used; an unrecorded request is a miss of the sibling it is for.
	if code, body := getVia(t, client, base+"market/history-candles?instId=BTC-USDT-SWAP&bar=1m&after=1600000000000&limit=3"); code != 200 {
		t.Logf("unrecorded request: %d %s", code, body)
	}
	rep, err := srv.Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unused) != 0 || rep.Served.Exact != int64(len(requests)) || rep.Streams.Exact != 2 {
		t.Errorf("report of a full replay: unused %+v, served %+v, streams %+v", rep.Unused, rep.Served, rep.Streams)
	}
	if len(rep.Misses) != 1 || rep.Misses[0].Exchange != "okx_perpetual" || !strings.Contains(rep.Misses[0].Key, "after=1600000000000") {
		t.Errorf("misses %+v, want the swap request under okx_perpetual", rep.Misses)
	}
}
