package record_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/serve"
)

const (
	apiKey    = "sEcReT-aPi-KeY-0123456789"
	signature = "5ig0f4c0ffee5ig0f4c0ffee"
	wsSecret  = "ws-l0gin-s3cret-args"
	listenKey = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
	t0        = int64(1_704_067_200_000)
)

// upstream is a Binance-shaped exchange on 127.0.0.1 that also notes what
// reached it.
type upstream struct {
	*httptest.Server
	mu         sync.Mutex
	sawKey     []string
	sawSig     []string
	wsReceived []string
	wsPong     chan string
	closeCode  chan int
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{wsPong: make(chan string, 4), closeCode: make(chan int, 4)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v3/klines", func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.sawKey = append(u.sawKey, r.Header.Get("X-MBX-APIKEY"))
		u.sawSig = append(u.sawSig, r.URL.Query().Get("signature"))
		u.mu.Unlock()
		start, _ := strconv.ParseInt(r.URL.Query().Get("startTime"), 10, 64)
		n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Mbx-Used-Weight-1m", "2")
		w.Write(klineRows(start, n))
	})
	mux.HandleFunc("/api/v3/gz", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Write([]byte(`{"plain":true}`))
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write([]byte(`{"zipped":"yes, this body travelled gzip-compressed"}`))
		zw.Close()
	})
	mux.HandleFunc("/api/v3/userDataStream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"listenKey":"` + listenKey + `"}`))
	})
	mux.HandleFunc("/api/v3/order", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Custom", "teapot")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte(`{"code":-1,"msg":"no"}`))
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("/ws/", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetPongHandler(func(s string) error { u.wsPong <- s; return nil })
		c.SetCloseHandler(func(code int, text string) error {
			u.closeCode <- code
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
			return nil
		})
		for i := 0; i < 2; i++ { // a login and a subscribe
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.wsReceived = append(u.wsReceived, string(msg))
			u.mu.Unlock()
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"result":null,"id":1}`))
		for i := 0; i < 2; i++ {
			open := t0 + int64(i)*60_000
			c.WriteMessage(websocket.TextMessage, []byte(`{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":`+strconv.FormatInt(open, 10)+`,"T":`+strconv.FormatInt(open+59_999, 10)+`,"i":"1m","o":"1.0","c":"2.0","h":"3.0","l":"0.5","x":true}}`))
		}
		c.WriteMessage(websocket.BinaryMessage, []byte{0xde, 0xad, 0xbe, 0xef})
		c.WriteControl(websocket.PingMessage, []byte("are-you-there"), time.Now().Add(time.Second))
		for { // until the client's close
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	u.Server = httptest.NewServer(mux)
	t.Cleanup(u.Close)
	return u
}

func startProxy(t *testing.T, up *upstream, path string) *record.Server {
	t.Helper()
	srv, err := record.Start(record.Options{
		Exchange: fakeName, Cassette: path,
		UpstreamREST: up.URL, UpstreamWS: "ws" + strings.TrimPrefix(up.URL, "http"),
		Redact:          []string{"X-Extra-Secret"},
		CassetteOptions: cassettes.Options{FlushInterval: 20 * time.Millisecond},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

func get(t *testing.T, client *http.Client, u string, h http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestRecordsRESTAndWSFaithfullyWithoutSecrets(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "rec.cassette")
	srv := startProxy(t, up, path)
	// A client that leaves compression alone, like the proxy must.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	klines := "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=" + strconv.FormatInt(t0, 10) + "&limit=500&timestamp=1&signature=" + signature
	secret := http.Header{"X-Mbx-Apikey": {apiKey}, "X-Extra-Secret": {"extra-" + apiKey}}
	direct, directBody := get(t, client, up.URL+klines, secret)
	proxied, body := get(t, client, srv.URL()+klines, secret)
	if !bytes.Equal(body, directBody) || proxied.StatusCode != 200 || proxied.Header.Get("X-Mbx-Used-Weight-1m") != direct.Header.Get("X-Mbx-Used-Weight-1m") {
		t.Fatalf("proxied klines differ from upstream: status %d, %d vs %d bytes", proxied.StatusCode, len(body), len(directBody))
	}
	if up.sawKey[1] != apiKey || up.sawSig[1] != signature {
		t.Errorf("the proxy did not pass the API key and signature upstream: %q %q", up.sawKey[1], up.sawSig[1])
	}
	// Compressed upstream responses reach the client as sent.
	gz, gzBody := get(t, client, srv.URL()+"/api/v3/gz", http.Header{"Accept-Encoding": {"gzip"}})
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip passed through", gz.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gzBody))
	if err != nil {
		t.Fatalf("body is not the gzip the upstream sent: %v", err)
	}
	plain, _ := io.ReadAll(zr)
	if !strings.Contains(string(plain), "gzip-compressed") {
		t.Errorf("gzip body = %q", plain)
	}
	// Errors pass through with status, headers and body.
	tp, tpBody := get(t, client, srv.URL()+"/api/v3/order?fakeToken=tok-"+apiKey, nil)
	if tp.StatusCode != http.StatusTeapot || tp.Header.Get("X-Custom") != "teapot" || string(tpBody) != `{"code":-1,"msg":"no"}` {
		t.Errorf("418 not passed through: %d %v %s", tp.StatusCode, tp.Header, tpBody)
	}

	// WS: login and subscribe up, ack, klines, binary and a ping down, the
	// client's pong up, then the client's close with its code.
	ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatal(err)
	}
	gotPing := make(chan string, 1)
	ws.SetPingHandler(func(s string) error {
		gotPing <- s
		return ws.WriteControl(websocket.PongMessage, []byte(s), time.Now().Add(time.Second))
	})
	ws.WriteMessage(websocket.TextMessage, []byte(`{"op":"login","args":[{"apiKey":"`+wsSecret+`","sign":"`+wsSecret+`"}]}`))
	ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}`))
	var msgs []string
	var types []int
	for len(msgs) < 4 {
		typ, m, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %d messages: %v", len(msgs), err)
		}
		msgs = append(msgs, string(m))
		types = append(types, typ)
	}
	if types[3] != websocket.BinaryMessage || msgs[3] != "\xde\xad\xbe\xef" || !strings.Contains(msgs[1], `"kline"`) {
		t.Errorf("relayed messages: %q (types %v)", msgs, types)
	}
	go func() { // the ping is handled while reading
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case p := <-gotPing:
		if p != "are-you-there" {
			t.Errorf("ping payload %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("upstream ping not relayed")
	}
	select {
	case p := <-up.wsPong:
		if p != "are-you-there" {
			t.Errorf("pong payload %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client pong not relayed")
	}
	if !strings.Contains(up.wsReceived[0], wsSecret) {
		t.Errorf("login frame reached upstream as %q", up.wsReceived[0])
	}
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "done here"), time.Now().Add(time.Second))
	select {
	case code := <-up.closeCode:
		if code != 4001 {
			t.Errorf("upstream saw close code %d, want 4001", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("close not relayed")
	}
	time.Sleep(100 * time.Millisecond)
	ws.Close()
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	raw := readRaw(t, path)
	for _, s := range []string{apiKey, signature, wsSecret} {
		if bytes.Contains(raw.all, []byte(s)) {
			t.Errorf("secret %q found in the cassette", s)
		}
	}
	// Every interaction is there by its request. (The klines body itself
	// is stored as a template over the candle index: checked below through
	// the package, which must rebuild it byte for byte.)
	for _, s := range []string{"symbol=BTCUSDT&interval=1m&startTime=" + strconv.FormatInt(t0, 10) + "&limit=500", "/api/v3/gz", "/api/v3/order", "gzip-compressed", `{"code":-1,"msg":"no"}`, "SUBSCRIBE", `"result":null`, "\xde\xad\xbe\xef", "are-you-there", "done here", "/ws/btcusdt@kline_1m"} {
		if !bytes.Contains(raw.all, []byte(s)) {
			t.Errorf("%q not found in the cassette", s)
		}
	}
	if raw.values[2]+raw.values[5] != 3 || raw.values[3] == 0 || raw.values[1]+raw.values[4]+raw.values[6]+raw.values[7] == 0 {
		t.Errorf("raw records by kind: %v, want 3 interactions, frame chunks and candle blocks", raw.values)
	}

	// The same file through the package API.
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cv, _ := c.Coverage("BTCUSDT", cc.Interval1m)
	if len(cv.Ranges) != 1 || cv.Ranges[0].Start != t0 || cv.Ranges[0].Count != 500 || cv.Ranges[0].Open != 0 {
		t.Errorf("coverage = %+v, want 500 final candles from t0", cv.Ranges)
	}
	conns, _ := c.Conns()
	if len(conns) != 1 || conns[0].CloseCode != 4001 || conns[0].Streams["BTCUSDT 1m"] != 2 {
		t.Fatalf("conns = %+v", *conns[0])
	}
	var dirs []string
	var last time.Duration
	c.Frames(conns[0].ID, func(f cassettes.Frame) error {
		dirs = append(dirs, f.Dir.String()+":"+strconv.Itoa(f.Opcode))
		if f.Offset < last {
			t.Errorf("frame offsets go back: %v after %v", f.Offset, last)
		}
		last = f.Offset
		return nil
	})
	want := "client:1 client:1 server:1 server:1 server:1 server:2 server:9 client:10 client:8 server:8"
	if strings.Join(dirs, " ") != want {
		t.Errorf("frames:\n got %s\nwant %s", strings.Join(dirs, " "), want)
	}
	ixs, _ := c.Lookup("GET", "/api/v3/gz", "", nil)
	if len(ixs) != 1 || !strings.Contains(string(ixs[0].Body), "gzip-compressed") || ixs[0].ResponseHeader.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip interaction stored as %+v", ixs)
	}
	if ixs, _ := c.Lookup("GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m&startTime="+strconv.FormatInt(t0, 10)+"&limit=500", nil); len(ixs) != 1 || !bytes.Equal(ixs[0].Body, directBody) {
		t.Errorf("klines interaction not found by its normalized request")
	}
}

type rawCassette struct {
	all    []byte       // the file plus every decompressed value
	values map[byte]int // values by kind byte (first byte)
}

// readRaw reads a cassette with bbolt and zstd alone, not the cassettes
// package: every value in every bucket, decompressed where it is zstd.
func readRaw(t *testing.T, path string) rawCassette {
	t.Helper()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := rawCassette{all: file, values: map[byte]int{}}
	// Interaction records name the cassettes' documented dictionary.
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderDictRaw(cassettes.RecordDictionary()))
	defer dec.Close()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var walk func(top string, b *bolt.Bucket)
	walk = func(top string, b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(top, b.Bucket(k))
				return nil
			}
			out.all = append(out.all, k...)
			out.all = append(out.all, v...)
			if len(v) > 1 {
				if top == "interactions" || top == "frames" || top == "candles" {
					out.values[v[0]]++
				}
				// Format 3 seals a value with a 4-byte CRC-32C after the
				// payload; older values end with it.
				body := v[1:]
				if len(v) > 5 {
					if plain, err := dec.DecodeAll(v[1:len(v)-4], nil); err == nil {
						out.all = append(out.all, plain...)
						body = nil
					}
				}
				if plain, err := dec.DecodeAll(body, nil); body != nil && err == nil {
					out.all = append(out.all, plain...)
				}
			}
			return nil
		})
	}
	db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { walk(string(name), b); return nil })
	})
	return out
}

func TestAppendsToTheSameExchangeAndRefusesAnother(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "app.cassette")
	client := &http.Client{}
	for i, start := range []int64{t0, t0 + 100*60_000} {
		srv := startProxy(t, up, path)
		get(t, client, srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=100&startTime="+strconv.FormatInt(start, 10), nil)
		if err := srv.Close(context.Background()); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Meta(); m.Interactions != 2 {
		t.Errorf("after two sessions: %d interactions", m.Interactions)
	}
	cv, _ := c.Coverage("BTCUSDT", cc.Interval1m)
	if cv.Total() != 200 || len(cv.Ranges) != 1 {
		t.Errorf("coverage after append: %+v", cv.Ranges)
	}
	c.Close()

	other, err := cassettes.Open(filepath.Join(t.TempDir(), "other.cassette"), 0o644, &cassettes.Options{Exchange: "okx_spot"})
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	_, err = record.Start(record.Options{Exchange: fakeName, Cassette: other.Path(), UpstreamREST: up.URL}, "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "another exchange") {
		t.Errorf("recording %s into okx_spot's cassette: %v, want ErrExchangeMismatch", fakeName, err)
	}
}

func TestUpstreamDownGives502AndRecordsNothing(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "down.cassette")
	srv := startProxy(t, up, path)
	up.Close()
	resp, _ := get(t, http.DefaultClient, srv.URL()+"/api/v3/time", nil)
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", resp.StatusCode)
	}
	_, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/x", nil)
	if err == nil {
		t.Error("WS through a dead upstream connected")
	}
	srv.Flush()
	if n := srv.Cassette().Meta().Interactions; n != 0 {
		t.Errorf("%d interactions recorded for a dead upstream", n)
	}
}

func TestCloseAllDisconnectsRelays(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "disc.cassette")
	srv := startProxy(t, up, path)
	dial := func() *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	readErr := func(ws *websocket.Conn) error {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return err
			}
		}
	}
	ws := dial()
	deadline := time.Now().Add(5 * time.Second)
	for srv.CloseAll(4000, "maintenance") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the relay never registered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var ce *websocket.CloseError
	if err := readErr(ws); !errors.As(err, &ce) || ce.Code != 4000 || ce.Text != "maintenance" {
		t.Errorf("client saw %v, want close 4000 maintenance", err)
	}
	ws.Close()

	ws = dial()
	for srv.CloseAll(1006, "") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := readErr(ws); errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
		t.Errorf("after a cut the client saw a clean close %v", err)
	}
	ws.Close()
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conns, _ := c.Conns()
	if len(conns) != 2 || conns[0].CloseCode != 4000 || conns[1].CloseCode != websocket.CloseAbnormalClosure {
		for _, cn := range conns {
			t.Logf("conn %+v", *cn)
		}
		t.Errorf("recorded close codes wrong")
	}
}

func TestHeadKeepsTheUpstreamLength(t *testing.T) {
	up := newUpstream(t)
	srv := startProxy(t, up, filepath.Join(t.TempDir(), "head.cassette"))
	u := "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=3&startTime=" + strconv.FormatInt(t0, 10)
	direct, err := http.Head(up.URL + u)
	if err != nil {
		t.Fatal(err)
	}
	direct.Body.Close()
	proxied, err := http.Head(srv.URL() + u)
	if err != nil {
		t.Fatal(err)
	}
	proxied.Body.Close()
	if direct.ContentLength <= 0 || proxied.ContentLength != direct.ContentLength {
		t.Errorf("HEAD Content-Length: proxied %d, direct %d", proxied.ContentLength, direct.ContentLength)
	}
}

func TestShapedRelayDelaysWithoutAddingUpAndDrops(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "shaped.cassette")
	// 150ms latency and 30% loss; seed 7 draws "keep, drop, keep, keep"
	// for the first four server messages (the fault sequence is a pure
	// function of the seed).
	srv, err := record.Start(record.Options{
		Exchange: fakeName, Cassette: path, UpstreamREST: up.URL, UpstreamWS: "ws" + strings.TrimPrefix(up.URL, "http"),
		Serve: serve.Options{Seed: 7, Conditions: netsim.Config{Conditions: netsim.Conditions{
			Latency: netsim.Duration(150 * time.Millisecond), Loss: 0.3}}},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteMessage(websocket.TextMessage, []byte(`{"op":"ping"}`))
	start := time.Now()
	ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}`))
	var got []string
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < 3 {
		_, m, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, string(m))
	}
	elapsed := time.Since(start)
	// Four messages came at once: each is held 150ms from its arrival, so
	// all are out after about 150ms, not 4×150ms.
	if elapsed < 150*time.Millisecond || elapsed > 450*time.Millisecond {
		t.Errorf("three shaped messages took %v, want about 150ms", elapsed)
	}
	if !strings.Contains(got[0], `"result"`) || !strings.Contains(got[1], `"kline"`) || got[2] != "\xde\xad\xbe\xef" {
		t.Errorf("client got %q: want the ack, the second kline and the binary frame (the first kline dropped)", got)
	}
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	time.Sleep(50 * time.Millisecond)
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m := c.Meta(); m.Frames < 6 {
		t.Errorf("recorded %d frames: the dropped one should be recorded too (it was sent upstream)", m.Frames)
	}
	if conns, _ := c.Conns(); len(conns) != 1 || conns[0].Streams["BTCUSDT 1m"] != 2 {
		t.Errorf("recorded kline frames: %+v", conns)
	}
}

// A listen key handed out in a REST answer and then used in a WS path is
// a secret too: it must not reach the file anywhere.
func TestListenKeysAreRedactedEverywhere(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "lk.cassette")
	srv := startProxy(t, up, path)
	req, _ := http.NewRequest("POST", srv.URL()+"/api/v3/userDataStream", nil)
	req.Header.Set("X-MBX-APIKEY", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), listenKey) {
		t.Fatalf("the client did not get the listen key: %s", body)
	}
	ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/"+listenKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"SUBSCRIBE","params":["`+listenKey+`"],"id":1}`))
	ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"LIST_SUBSCRIPTIONS","id":2}`))
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; i < 4; i++ {
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	time.Sleep(50 * time.Millisecond)
	ws.Close()
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw := readRaw(t, path)
	for _, s := range []string{listenKey, apiKey} {
		if bytes.Contains(raw.all, []byte(s)) {
			t.Errorf("secret %.12s... found in the cassette", s)
		}
	}
	if !bytes.Contains(raw.all, []byte("/ws/REDACTED")) || !bytes.Contains(raw.all, []byte(`"listenKey":"REDACTED"`)) {
		t.Error("the redacted listen key is not where it was used")
	}
}
