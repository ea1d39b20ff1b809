package replaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/replay"
)

// Alter changes what an exchange answers, to make a recording of an API
// that changed: each hook gets a JSON answer decoded with UseNumber (so
// numbers keep their spelling) and returns what to send instead. A nil
// hook leaves that side untouched.
type Alter struct {
	// REST gets the request, the status and the decoded body of each JSON
	// answer and returns the status and body to send.
	REST func(r *http.Request, status int, body any) (int, any)
	// WS gets each JSON text frame the server sends (path is the
	// connection's) and returns the frame to send instead.
	WS func(path string, msg any) any
}

// StartAltered serves upstream (a synthetic exchange) on 127.0.0.1:0
// behind an httptest server that passes REST and WS through, rewritten by
// alter; both stop when the test ends. The Server is At the rewriting
// server's URL.
func StartAltered(t testing.TB, upstream replay.Options, alter Alter) *Server {
	t.Helper()
	up := StartWith(t, upstream)
	target, _ := url.Parse(up.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if alter.REST == nil || resp.Header.Get("Content-Encoding") != "" {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if v, ok := decodeJSON(b); ok {
			var nv any
			resp.StatusCode, nv = alter.REST(resp.Request, resp.StatusCode, v)
			resp.Status = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
			if b, err = json.Marshal(nv); err != nil {
				return err
			}
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	rw := &wsRewriter{upstream: up.WSURL, alter: alter.WS, conns: map[*websocket.Conn]bool{}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) {
			rw.serve(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		rw.closeAll()
		hs.Close()
	})
	return At(hs.URL)
}

func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// wsRewriter relays WS connections to the upstream, rewriting server
// text frames that are JSON.
type wsRewriter struct {
	upstream string
	alter    func(string, any) any
	mu       sync.Mutex
	conns    map[*websocket.Conn]bool
	closed   bool
	wg       sync.WaitGroup
}

func (rw *wsRewriter) track(cs ...*websocket.Conn) bool {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.closed {
		return false
	}
	for _, c := range cs {
		rw.conns[c] = true
	}
	return true
}

func (rw *wsRewriter) closeAll() {
	rw.mu.Lock()
	rw.closed = true
	for c := range rw.conns {
		c.Close()
	}
	rw.mu.Unlock()
	rw.wg.Wait()
}

func (rw *wsRewriter) serve(w http.ResponseWriter, r *http.Request) {
	rw.wg.Add(1)
	defer rw.wg.Done()
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	server, _, err := websocket.DefaultDialer.DialContext(ctx, rw.upstream+r.URL.RequestURI(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer server.Close()
	client, err := (&websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer client.Close()
	if !rw.track(server, client) {
		return
	}
	defer func() {
		rw.mu.Lock()
		delete(rw.conns, server)
		delete(rw.conns, client)
		rw.mu.Unlock()
	}()
	done := make(chan struct{})
	go func() { // client to server, untouched
		defer close(done)
		defer server.Close()
		for {
			op, msg, err := client.ReadMessage()
			if err != nil {
				return
			}
			if server.WriteMessage(op, msg) != nil {
				return
			}
		}
	}()
	path := r.URL.Path
	for { // server to client, rewritten
		op, msg, err := server.ReadMessage()
		if err != nil {
			break
		}
		if op == websocket.TextMessage && rw.alter != nil {
			if v, ok := decodeJSON(msg); ok {
				if b, err := json.Marshal(rw.alter(path, v)); err == nil {
					msg = b
				}
			}
		}
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if client.WriteMessage(op, msg) != nil {
			break
		}
	}
	client.Close()
	<-done
}

// RecordFrom records through the real recording proxy of exchange in
// front of the exchange served at up (StartAltered, At), as Record does:
// session gets the proxy's and the upstream's base URLs; the proxy is
// closed (the cassette flushed) before it returns the cassette's path.
// up is left running.
func RecordFrom(t *testing.T, exchange string, up *Server, session func(t *testing.T, proxy, upstream string)) string {
	t.Helper()
	return recordThrough(t, exchange, up.URL, up.WSURL, nil, session)
}

// Rewrite is a helper for Alter hooks: it calls f on every object inside
// v (v itself included), depth first, and returns v.
func Rewrite(v any, f func(obj map[string]any)) any {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			Rewrite(e, f)
		}
		f(x)
	case []any:
		for _, e := range x {
			Rewrite(e, f)
		}
	}
	return v
}

// IsCandlesPath reports whether a REST path looks like a candles endpoint
// (klines, candles, OHLC): for Alter hooks that change only those.
func IsCandlesPath(p string) bool {
	p = strings.ToLower(p)
	return strings.Contains(p, "kline") || strings.Contains(p, "candle") || strings.Contains(p, "ohlc")
}
