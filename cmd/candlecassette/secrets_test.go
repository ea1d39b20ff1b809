package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

// markers hands out unique marker strings and remembers where each was
// put. Secrets must be found nowhere in a cassette or in what inspect
// prints; plain markers, put in fields that are not secret, must be found
// (in the decompressed values, and where inspect prints them) — proof that
// the reader really reads what it searches.
type markers struct {
	n       int
	secrets map[string]string // marker -> where it was put
	plains  map[string]plainMarker
}

type plainMarker struct {
	where     string
	inInspect bool // a path inspect prints
}

func newMarkers() *markers {
	return &markers{secrets: map[string]string{}, plains: map[string]plainMarker{}}
}

// secret is a new secret marker: 16 characters, letters and digits, like
// an API key or a listen key.
func (m *markers) secret(where string) string {
	m.n++
	s := fmt.Sprintf("SECRETMARKER%04d", m.n)
	m.secrets[s] = where
	return s
}

// plain is a new marker for a field that is not secret. Its '.' keeps it
// from looking like a token.
func (m *markers) plain(where string, inInspect bool) string {
	m.n++
	s := fmt.Sprintf("PLAIN.CANARY%04d", m.n)
	m.plains[s] = plainMarker{where, inInspect}
	return s
}

// secretUpstream is an exchange on 127.0.0.1 that hands out the tokens
// the test gives it (listen keys, KuCoin's and Kraken's WS tokens), echoes
// the caller's API key back in a response header, body and WS frame (as
// exchanges echo account ids), and acknowledges every WS message.
type secretUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	handOut map[string]string // path -> JSON body
	apiKey  string            // echoed as "owner"
	note    string            // a plain marker in every answer
}

func newSecretUpstream(t *testing.T) *secretUpstream {
	u := &secretUpstream{handOut: map[string]string{}}
	up := websocket.Upgrader{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		body, owner, note := u.handOut[r.URL.Path], u.apiKey, u.note
		u.mu.Unlock()
		if websocket.IsWebSocketUpgrade(r) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			c.WriteMessage(websocket.TextMessage, []byte(`{"e":"hello","owner":"`+owner+`","note":"`+note+`"}`))
			for n := 1; ; n++ {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"ack":%d}`, n)))
			}
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if body == "" {
			w.Header().Set("X-Owner", owner)
			body = `{"owner":"` + owner + `","note":"` + note + `"}`
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *secretUpstream) set(path, body string) {
	u.mu.Lock()
	u.handOut[path] = body
	u.mu.Unlock()
}

// secretSession drives a client through the recording proxy at base with
// a marker in every place a secret travels: headers, query params of every
// name, JSON and form bodies, tokens handed out in response bodies and
// used later, WS URLs (query tokens, listen keys as path segments and
// combined stream names, learned or not), every exchange's WS login
// message and text login frames.
func secretSession(t *testing.T, m *markers, up *secretUpstream, base string) {
	t.Helper()
	wsBase := "ws" + strings.TrimPrefix(base, "http")
	do := func(method, path string, h http.Header, body string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range h {
			req.Header[k] = vs
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	up.mu.Lock()
	up.note = m.plain("upstream answers' note field", false)
	up.mu.Unlock()

	// A listen key handed out for an API key in a header; the key is then
	// echoed by the upstream in later answers and frames.
	apiKey := m.secret("X-MBX-APIKEY header, echoed later as owner in bodies, headers and frames")
	up.mu.Lock()
	up.apiKey = apiKey
	up.mu.Unlock()
	lk := m.secret("listen key handed out by POST /api/v3/userDataStream, then /ws/<key>")
	up.set("/api/v3/userDataStream", `{"listenKey":"`+lk+`"}`)
	do("POST", "/api/v3/userDataStream", http.Header{"X-Mbx-Apikey": {apiKey}}, "")
	lkFutures := m.secret("USD-M listen key handed out by POST /fapi/v1/listenKey, then /stream?streams=<key>")
	up.set("/fapi/v1/listenKey", `{"listenKey":"`+lkFutures+`"}`)
	do("POST", "/fapi/v1/listenKey", http.Header{"X-Mbx-Apikey": {apiKey}}, "")
	do("PUT", "/api/v3/userDataStream?listenKey="+lk, nil, "")
	kucoinToken := m.secret("KuCoin bullet-private token, then the WS URL ?token=")
	up.set("/api/v1/bullet-private", `{"code":"200000","data":{"token":"`+kucoinToken+`","instanceServers":[{"endpoint":"wss://ws-api-spot.kucoin.com/","encrypt":true,"protocol":"websocket","pingInterval":18000,"pingTimeout":10000}]}}`)
	do("POST", "/api/v1/bullet-private", http.Header{"Kc-Api-Key": {m.secret("KC-API-KEY header")}}, "")
	krakenToken := m.secret("Kraken GetWebSocketsToken token, then params.token")
	up.set("/0/private/GetWebSocketsToken", `{"error":[],"result":{"token":"`+krakenToken+`","expires":900}}`)
	do("POST", "/0/private/GetWebSocketsToken", http.Header{"Api-Key": {m.secret("Kraken API-Key header")}, "Api-Sign": {m.secret("Kraken API-Sign header")}},
		"nonce=1&otp="+m.secret("Kraken otp form param"))

	// Every exchange's auth headers, and secret query params of every name.
	h := http.Header{"X-Canary": {m.plain("a harmless request header", false)}}
	for _, name := range []string{
		"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Mbx-Apikey",
		"X-Bapi-Api-Key", "X-Bapi-Sign", "Ok-Access-Key", "Ok-Access-Sign", "Ok-Access-Passphrase",
		"Kc-Api-Key", "Kc-Api-Sign", "Kc-Api-Passphrase", "Cb-Access-Key", "Cb-Access-Sign", "Cb-Access-Passphrase",
		"Api-Key", "Api-Sign", "Key", "Sign", "X-Mexc-Apikey", "Apikey", "Signature", "X-Auth-Key", "X-Auth-Signature",
	} {
		v := m.secret(name + " request header")
		if name == "Authorization" {
			v = "Bearer " + v
		}
		h[name] = []string{v}
	}
	q := url.Values{}
	for _, name := range []string{
		"token", "key", "apiKey", "api_key", "listenKey", "signature", "sign", "sig", "passphrase",
		"secret", "access_token", "jwt", "password", "secretKey",
	} {
		q.Set(name, m.secret(name+" query param (the match key and the record)"))
	}
	q.Set("symbol", m.plain("a harmless query param", false))
	do("GET", "/api/v3/"+m.plain("a REST path segment", true)+"/account?"+q.Encode(), h, "")

	// JSON and form bodies.
	do("POST", "/api/v3/order", http.Header{"Content-Type": {"application/json"}}, fmt.Sprintf(
		`{"symbol":%q,"apiKey":%q,"signature":%q,"nested":{"passphrase":%q,"deeper":[{"api_key":%q}]},"auth":{"KEY":%q,"SIGN":%q},"token":%q}`,
		m.plain("a harmless JSON body field", false), m.secret("apiKey JSON body field"), m.secret("signature JSON body field"),
		m.secret("nested passphrase JSON body field"), m.secret("api_key in a JSON array"),
		m.secret("Gate auth.KEY JSON body field"), m.secret("Gate auth.SIGN JSON body field"), m.secret("token JSON body field")))
	form := url.Values{}
	for _, name := range []string{"apiKey", "signature", "token", "key", "passphrase"} {
		form.Set(name, m.secret(name+" form body param"))
	}
	form.Set("symbol", m.plain("a harmless form param", false))
	do("POST", "/api/v3/order", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode())

	// WS: every exchange's login message on one connection to a learned
	// listen key's path.
	s := func(where string) string { return m.secret(where) }
	frames := []string{
		fmt.Sprintf(`{"id":"1","method":"session.logon","params":{"apiKey":%q,"signature":%q,"timestamp":1}}`, s("Binance WS API session.logon apiKey"), s("Binance WS API session.logon signature")),
		fmt.Sprintf(`{"id":"2","method":"order.place","params":{"symbol":"BTCUSDT","apiKey":%q,"signature":%q}}`, s("Binance WS API order.place apiKey"), s("Binance WS API order.place signature")),
		fmt.Sprintf(`{"req_id":"a","op":"auth","args":[%q,1700000000000,%q]}`, s("Bybit op:auth api key arg"), s("Bybit op:auth signature arg")),
		fmt.Sprintf(`{"op":"login","args":[{"apiKey":%q,"passphrase":%q,"timestamp":"1","sign":%q}]}`, s("OKX login apiKey"), s("OKX login passphrase"), s("OKX login sign")),
		fmt.Sprintf(`{"time":1,"channel":"spot.orders","event":"subscribe","payload":["BTC_USDT"],"auth":{"method":"api_key","KEY":%q,"SIGN":%q}}`, s("Gate subscribe auth.KEY"), s("Gate subscribe auth.SIGN")),
		fmt.Sprintf(`{"time":1,"channel":"spot.login","event":"api","payload":{"req_id":"r1","api_key":%q,"signature":%q,"timestamp":"1"}}`, s("Gate WS API login api_key"), s("Gate WS API login signature")),
		fmt.Sprintf(`{"method":"login","param":{"apiKey":%q,"reqTime":"1","signature":%q}}`, s("MEXC futures login apiKey"), s("MEXC futures login signature")),
		fmt.Sprintf(`{"method":"subscribe","params":{"channel":"executions","token":%q}}`, krakenToken),
		fmt.Sprintf(`{"event":"subscribe","subscription":{"name":"ownTrades","token":%q}}`, s("Kraken v1 subscription.token")),
		fmt.Sprintf(`{"type":"subscribe","product_ids":["BTC-USD"],"channel":"user","jwt":%q}`, s("Coinbase Advanced Trade jwt")),
		fmt.Sprintf(`{"type":"subscribe","channels":["user"],"key":%q,"passphrase":%q,"signature":%q,"timestamp":"1"}`, s("Coinbase Exchange key"), s("Coinbase Exchange passphrase"), s("Coinbase Exchange signature")),
		fmt.Sprintf(`{"method":"post","id":1,"request":{"type":"action","payload":{"action":{"type":"order"},"nonce":1,"signature":{"r":%q,"s":%q,"v":27}}}}`, s("Hyperliquid post signature.r"), s("Hyperliquid post signature.s")),
		fmt.Sprintf(`{"op":"auth","id":"abc","t":1,"key":%q,"sig":%q}`, s("AscendEX auth key"), s("AscendEX auth sig")),
		fmt.Sprintf(`{"action":"authenticate","key":%q,"signature":%q,"timestamp":1}`, s("action:authenticate key"), s("action:authenticate signature")),
		fmt.Sprintf(`login %s %s`, s("text login frame key"), s("text login frame signature")),
		fmt.Sprintf(`auth:%s`, s("text auth: frame token")),
		fmt.Sprintf(`apiKey=%s&signature=%s`, s("form-like text frame apiKey"), s("form-like text frame signature")),
		"subscribe private " + apiKey, // a learned key in a text frame
		fmt.Sprintf(`{"op":"subscribe","args":[%q]}`, m.plain("a harmless client frame field", false)),
	}
	wsSession(t, wsBase+"/ws/"+lk, frames, apiKey)

	// WS URLs: tokens in the query and listen keys in the path, learned or
	// not; a harmless path that inspect prints.
	for _, p := range []string{
		"/ws/" + s("unlearned listen key as /ws/<key>"),
		"/stream?streams=" + lkFutures + "/btcusdt@kline_1m",
		"/stream?streams=" + s("unlearned listen key in /stream?streams=") + "/btcusdt@kline_1m",
		"/stream?streams=btcusdt@kline_1m/" + s("unlearned listen key, second in streams="),
		"/?token=" + kucoinToken + "&connectId=" + m.plain("KuCoin connectId", false),
		"/endpoint?token=" + s("unlearned KuCoin ?token="),
		"/ws?listenKey=" + s("MEXC ?listenKey="),
		"/private/ws?listenKey=" + s("USD-M private ?listenKey=") + "&events=ORDER_TRADE_UPDATE",
		"/ws?key=" + s("?key= in a WS URL") + "&signature=" + s("?signature= in a WS URL") + "&apiKey=" + s("?apiKey= in a WS URL"),
		"/pm/ws/" + s("portfolio margin listen key path"),
		"/ws/" + m.plain("a harmless WS path segment", true),
	} {
		wsSession(t, wsBase+p, []string{`{"method":"LIST_SUBSCRIPTIONS","id":3}`}, "")
	}
}

// wsSession dials u, sends frames (and a ping carrying pingData if not
// empty), reads an answer to each, and closes cleanly.
func wsSession(t *testing.T, u string, frames []string, pingData string) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := ws.ReadMessage(); err != nil { // hello
		t.Fatal(err)
	}
	if pingData != "" {
		ws.WriteControl(websocket.PingMessage, []byte(pingData), time.Now().Add(time.Second))
	}
	for _, f := range frames {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(f)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
}

// readCassetteBytes reads a cassette without the cassettes package's
// reader: the file's raw bytes, every zstd frame found anywhere in them
// (stale pages included) decompressed, and every key and value of every
// bucket walked with bbolt, each zstd frame in a value decompressed with
// the package's published record dictionary. decoded holds only what
// decompression produced.
func readCassetteBytes(t *testing.T, path string) (raw, decoded []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderDictRaw(cassettes.RecordDictionary()))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	// inflate appends to decoded what every zstd frame in b holds; frames
	// cut short or followed by other bytes give what decoded before.
	inflate := func(b []byte) int {
		n := 0
		for i := bytes.Index(b, magic); i >= 0; {
			out, _ := dec.DecodeAll(b[i:], nil)
			if len(out) > 0 {
				decoded = append(decoded, out...)
				decoded = append(decoded, '\n')
				n++
			}
			j := bytes.Index(b[i+1:], magic)
			if j < 0 {
				break
			}
			i += 1 + j
		}
		return n
	}
	inflate(raw)
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	values, inflated := 0, 0
	var walk func(b *bolt.Bucket)
	walk = func(b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			decoded = append(decoded, k...) // keys as stored (match keys)
			decoded = append(decoded, '\n')
			if v == nil {
				walk(b.Bucket(k))
				return nil
			}
			values++
			decoded = append(decoded, v...)
			decoded = append(decoded, '\n')
			inflated += inflate(v)
			return nil
		})
	}
	db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			decoded = append(decoded, name...)
			walk(b)
			return nil
		})
	})
	if values == 0 || inflated == 0 {
		t.Fatalf("the reader read %d values and decompressed %d: it cannot have seen the records", values, inflated)
	}
	return raw, decoded
}

// Nothing secret reaches a cassette or inspect: a session through the
// real record command carrying a unique marker in every place a secret
// travels, for every exchange, then the file read without the cassettes
// package (raw bytes, every bucket's values decompressed) and inspect's
// output in both forms searched for every marker.
func TestNoSecretReachesTheCassetteOrInspect(t *testing.T) {
	for _, name := range plugins.Names() {
		t.Run(name, func(t *testing.T) {
			m := newMarkers()
			up := newSecretUpstream(t)
			path := filepath.Join(t.TempDir(), "secrets.cassette")
			base, stop := startRecord(t, name, "--cassette", path, "--listen", "127.0.0.1:0",
				"--upstream-rest", up.URL, "--upstream-ws", "ws"+strings.TrimPrefix(up.URL, "http"), "--no-rate-limit")
			secretSession(t, m, up, base)
			if err := stop(); err != nil {
				t.Fatalf("record: %v", err)
			}
			raw, decoded := readCassetteBytes(t, path)
			text, _, err := run(t, "inspect", path)
			if err != nil {
				t.Fatalf("inspect: %v", err)
			}
			jsonText, _, err := run(t, "inspect", "--json", path)
			if err != nil {
				t.Fatalf("inspect --json: %v", err)
			}
			places := []struct {
				name string
				b    []byte
			}{{"the file's raw bytes", raw}, {"the decompressed values", decoded}, {"inspect", []byte(text)}, {"inspect --json", []byte(jsonText)}}
			for _, s := range sortedKeys(m.secrets) {
				for _, p := range places {
					if bytes.Contains(p.b, []byte(s)) {
						t.Errorf("%s (%s) found in %s", s, m.secrets[s], p.name)
					}
				}
			}
			// The reader reads: what is not secret is there to be found.
			for _, s := range sortedKeys(m.plains) {
				pm := m.plains[s]
				if !bytes.Contains(decoded, []byte(s)) {
					t.Errorf("plain marker %s (%s) not found in the decompressed values: the reader misses records", s, pm.where)
				}
				if pm.inInspect && (!strings.Contains(text, s) || !strings.Contains(jsonText, s)) {
					t.Errorf("plain marker %s (%s) not printed by inspect and inspect --json", s, pm.where)
				}
			}
			if len(m.secrets) < 60 {
				t.Errorf("only %d secret markers placed", len(m.secrets))
			}
			if t.Failed() {
				t.Logf("inspect:\n%s", text)
			}
		})
	}
}

// The checks above would see a secret that got through: the same reader
// finds markers in a cassette written with them in fields that are not
// secret, in the raw bytes, the decompressed values and inspect.
func TestTheSecretReaderFindsWhatIsStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	inBody := "SECRETMARKER9001"
	inPath := "SECRETMARKER9002"
	inFrame := "SECRETMARKER9003"
	c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/api/v3/" + inPath, Status: 200,
		Body: []byte(strings.Repeat(`{"note":"`+inBody+`"}`, 20))})
	id, err := c.BeginConn("/ws/btcusdt@kline_1m", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromServer, Opcode: 1, Payload: []byte(strings.Repeat(`{"x":"`+inFrame+`"}`, 20))})
	c.EndConn(id, time.Now(), 1000)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, decoded := readCassetteBytes(t, path)
	for _, s := range []string{inBody, inFrame} {
		if !bytes.Contains(decoded, []byte(s)) {
			t.Errorf("%s not found in the decompressed values", s)
		}
	}
	text, _, err := run(t, "inspect", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, inPath) {
		t.Errorf("%s not found in inspect's output:\n%s", inPath, text)
	}
}
