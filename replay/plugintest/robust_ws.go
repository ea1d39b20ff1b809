package plugintest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/plugins"
)

// wsConn is a client connection with a read pump that drains every frame
// (so a chatty server never blocks on us) and records how it ended.
type wsConn struct {
	c      *websocket.Conn
	frames chan []byte
	pongs  chan struct{}
	done   chan struct{}
	wmu    sync.Mutex

	mu     sync.Mutex
	err    error // why the read pump ended
	nRead  int
	nBytes int
}

func dialWS(base, path string) (*wsConn, error) {
	u, err := url.Parse("ws" + strings.TrimPrefix(base, "http") + path)
	if err != nil {
		return nil, err
	}
	d := websocket.Dialer{HandshakeTimeout: requestTimeout}
	c, _, err := d.Dial(u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	w := &wsConn{c: c, frames: make(chan []byte, 64), pongs: make(chan struct{}, 1), done: make(chan struct{})}
	c.SetPongHandler(func(string) error {
		select {
		case w.pongs <- struct{}{}:
		default:
		}
		return nil
	})
	go w.readPump()
	return w, nil
}

func (w *wsConn) readPump() {
	defer close(w.done)
	for {
		_, b, err := w.c.ReadMessage()
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		w.nRead++
		w.nBytes += len(b)
		w.mu.Unlock()
		select {
		case w.frames <- b:
		default: // keep only the first frames; drain the rest
		}
	}
}

func (w *wsConn) write(typ int, b []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.c.SetWriteDeadline(time.Now().Add(requestTimeout))
	return w.c.WriteMessage(typ, b)
}

func (w *wsConn) closed() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// endErr is why the connection ended (nil while open).
func (w *wsConn) endErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// alive checks the server still serves this connection: a ping frame must
// come back as a pong.
func (w *wsConn) alive() error {
	w.wmu.Lock()
	err := w.c.WriteControl(websocket.PingMessage, []byte("robust"), time.Now().Add(requestTimeout))
	w.wmu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-w.pongs:
		return nil
	case <-w.done:
		return fmt.Errorf("closed while waiting for a pong: %v", w.endErr())
	case <-time.After(requestTimeout):
		return errors.New("no pong within " + requestTimeout.String())
	}
}

// shut closes the client side and waits for the read pump.
func (w *wsConn) shut() {
	w.wmu.Lock()
	w.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	w.wmu.Unlock()
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
	}
	w.c.Close()
	<-w.done
}

// cleanEnd reports whether a connection that ended did so with a close
// frame, not a cut (1006) — the server's choice on bad input, but never
// a crash.
func cleanEnd(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure
}

// junkFrames are client frames no protocol accepts as they are.
func junkFrames(valid [][]byte) (text [][]byte, binary [][]byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 1024)
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	binary = [][]byte{{}, {0}, junk, []byte(`{"op":"ping"}`)}
	text = [][]byte{
		{}, []byte(" "), []byte("{"), []byte("}"), []byte("nul"), []byte("null"), []byte("true"), []byte("0"), []byte("-1"),
		[]byte(`"x"`), []byte("[]"), []byte("{}"), []byte("[{}]"), []byte("1e999"), []byte("\xff\xfe\x00"),
		[]byte(`{"op":123}`), []byte(`{"op":null}`), []byte(`{"op":"subscribe"}`), []byte(`{"op":"subscribe","args":null}`),
		[]byte(`{"op":"subscribe","args":"x"}`), []byte(`{"op":"subscribe","args":[null,1,{}]}`), []byte(`{"op":"nope","args":[]}`),
		[]byte(`{"method":"SUBSCRIBE","params":"x","id":1}`), []byte(`{"method":"SUBSCRIBE","params":[1,null],"id":"x"}`),
		[]byte(`{"method":"LIST_SUBSCRIPTIONS","id":-1}`), []byte(`{"method":"SET_PROPERTY","params":["combined",1],"id":1}`),
		[]byte(`{"method":"subscribe"}`), []byte(`{"method":"subscribe","subscription":null}`), []byte(`{"method":"subscribe","subscription":{"type":"candle"}}`),
		[]byte(`{"method":"subscribe","params":{"channel":"ohlc","symbol":"BTC/USD","interval":-1}}`),
		[]byte(`{"event":"subscribe","pair":null,"subscription":{"name":"ohlc","interval":7}}`),
		[]byte(`{"event":"subscribe","channel":"spot.candlesticks","payload":null}`), []byte(`{"time":"x","channel":1,"event":[]}`),
		[]byte(`{"type":"subscribe","topic":null}`), []byte(`{"type":"subscribe","topic":"/market/candles:"}`),
		[]byte(`{"type":"subscribe","product_ids":"x","channel":["candles"]}`), []byte(`{"type":"subscribe"}`),
		[]byte(`{"op":"sub","ch":null}`), []byte(`{"op":"sub","ch":"bar::"}`), []byte(`{"op":"req","action":"x"}`),
		[]byte(`{"method":"sub.kline","param":null}`), []byte(`{"method":"sub.kline","param":{"interval":[]}}`),
		[]byte(`{"method":"SUBSCRIPTION","params":["spot@public.kline.v3.api.pb@@"]}`),
		[]byte(`{"id":` + strings.Repeat("9", 400) + `}`), []byte(strings.Repeat("[", 20000)), []byte(strings.Repeat(`{"a":`, 5000)),
		[]byte("ü€😀"), []byte(strings.Repeat("A", 60<<10)),
	}
	for _, v := range valid {
		text = append(text, mutateJSON(v, nil)...)
		text = append(text, v[:len(v)/2], bytes.ToUpper(v), append(append([]byte(nil), v...), v...))
	}
	return text, binary
}

// unsubscribeOf guesses the unsubscribe message for a subscribe message
// from the verbs exchanges use.
func unsubscribeOf(msg []byte) []byte {
	for _, r := range [][2]string{
		{`"subscribe"`, `"unsubscribe"`}, {`"SUBSCRIBE"`, `"UNSUBSCRIBE"`}, {`"SUBSCRIPTION"`, `"UNSUBSCRIPTION"`},
		{`"sub"`, `"unsub"`}, {`"sub.kline"`, `"unsub.kline"`},
	} {
		if bytes.Contains(msg, []byte(r[0])) {
			return bytes.Replace(msg, []byte(r[0]), []byte(r[1]), 1)
		}
	}
	return nil
}

// wsStormSize bounds the storms so the suite stays fast.
const wsStormSize = 500

// checkRobustWS runs the WS scenarios on every WS path of p on a server of
// its own, then checks no session goroutine outlives it.
func checkRobustWS(t *testing.T, p plugins.Plugin, opts Options) {
	g := replaytest.NewGoroutines(t.Name())
	g.Track(func() { robustWS(t, p, opts) })
	if err := g.Leaked(requestTimeout); err != nil {
		t.Errorf("goroutines left after the WS sessions closed: %v", err)
	}
}

// robustWS runs the scenarios of checkRobustWS; every goroutine it starts
// must have ended when it returns.
func robustWS(t *testing.T, p plugins.Plugin, opts Options) {
	h := newRobustHarness(t, p, opts)
	sym := h.pairs[0].Symbol
	_, paths := h.routes()
	if len(paths) == 0 {
		h.close()
		t.Skip("no WS path")
	}
	iv := pickIntervals(p.Defaults().Intervals)[0]
	var valid [][]byte
	if ks, ok := p.(plugins.KlineSubscriber); ok {
		_, valid = ks.KlineSubscription(sym, iv)
	}
	frames, pings := 0, 0
	for _, path := range paths {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			f, p := robustWSPath(t, h, path, valid, sym)
			frames, pings = frames+f, pings+p
		})
	}
	for _, pn := range h.catch.takePanics() {
		t.Errorf("WS handler panicked:\n%.3000s", pn)
	}
	st := h.srv.Env().Hub.Stats()
	h.close()
	// Frames after a close the server chose are never read: most must be.
	if st.MessagesReceived < int64(frames)/2 {
		t.Errorf("the server read %d of the %d frames sent", st.MessagesReceived, frames)
	}
	t.Logf("%s: %d garbage WS frames and %d pings on %d paths (%d read, %d answers sent, %d connections)", p.Name(), frames, pings, len(paths), st.MessagesReceived, st.MessagesSent, st.TotalConnections)
}

// robustWSPath runs the scenarios on one path and returns how many frames
// it sent.
func robustWSPath(t *testing.T, h *robustHarness, path string, valid [][]byte, sym string) (sent, pings int) {
	text, binary := junkFrames(valid)
	// A path may close every connection at once (KuCoin without a bullet
	// token): then each scenario only has to end cleanly.
	refuses := false
	if w, err := dialWS(h.http.URL, path); err != nil {
		t.Fatal(err)
	} else {
		if err := w.alive(); err != nil {
			if !w.closed() || !cleanEnd(w.endErr()) {
				t.Errorf("a fresh connection is unresponsive: %v", err)
			}
			refuses = true
			t.Logf("%s closes every connection (%v): checking clean closes only", path, w.endErr())
		}
		w.shut()
	}
	cap := func(list [][]byte) [][]byte {
		if refuses {
			return list[:min(len(list), 10)]
		}
		return list
	}
	scenario := func(name string, run func(t *testing.T, w **wsConn)) {
		t.Run(name, func(t *testing.T) {
			w, err := dialWS(h.http.URL, path)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { w.shut() }()
			run(t, &w)
			for _, p := range h.catch.takePanics() {
				t.Errorf("handler panicked:\n%.3000s", p)
			}
			if refuses {
				return
			}
			if w.closed() {
				if err := w.endErr(); !cleanEnd(err) {
					t.Errorf("connection ended without a close frame: %v", err)
				}
				// The server must still accept and serve a new connection.
				w2, err := dialWS(h.http.URL, path)
				if err != nil {
					t.Fatalf("after the close: %v", err)
				}
				w.shut()
				w = w2
			}
			if err := w.alive(); err != nil {
				t.Errorf("session unresponsive after the garbage: %v", err)
			}
		})
	}
	// sendAll writes frames, reconnecting when the server closes (its
	// answer to some garbage); every close must be clean.
	sendAll := func(t *testing.T, w **wsConn, typ int, list [][]byte) {
		for _, f := range list {
			if (*w).closed() {
				if err := (*w).endErr(); !cleanEnd(err) {
					t.Errorf("connection ended without a close frame after garbage: %v", err)
				}
				(*w).shut()
				nw, err := dialWS(h.http.URL, path)
				if err != nil {
					t.Fatalf("redial: %v", err)
				}
				*w = nw
			}
			sent++
			if err := (*w).write(typ, f); err != nil {
				// The server closed meanwhile; the next frame redials.
				select {
				case <-(*w).done:
				case <-time.After(requestTimeout):
					t.Fatalf("write failed but the connection stays open: %v", err)
				}
			}
		}
	}

	t.Run("junk frames", func(t *testing.T) {
		w, err := dialWS(h.http.URL, path)
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, &w, websocket.TextMessage, cap(text))
		sendAll(t, &w, websocket.BinaryMessage, cap(binary))
		defer func() { w.shut() }()
		for _, p := range h.catch.takePanics() {
			t.Errorf("handler panicked:\n%.3000s", p)
		}
		if refuses {
			return
		}
		if w.closed() {
			w.shut()
			if w, err = dialWS(h.http.URL, path); err != nil {
				t.Fatalf("after the garbage: %v", err)
			}
		}
		if err := w.alive(); err != nil {
			t.Errorf("session unresponsive after %d junk frames: %v", len(text)+len(binary), err)
		}
	})
	scenario("frame over the read limit", func(t *testing.T, pw **wsConn) {
		w := *pw
		big := append([]byte(`{"op":"subscribe","args":["`), bytes.Repeat([]byte("A"), 8<<20)...)
		sent++
		w.write(websocket.TextMessage, big)
		select {
		case <-w.done:
			if err := w.endErr(); !cleanEnd(err) {
				t.Errorf("an oversized frame cut the connection without a close frame: %v", err)
			}
		case <-time.After(requestTimeout):
			t.Errorf("an 8 MiB frame neither refused nor closed within %v", requestTimeout)
		}
	})
	scenario("subscription storm", func(t *testing.T, w **wsConn) {
		var list [][]byte
		for i := 0; i < wsStormSize && len(valid) > 0; i++ {
			for _, v := range valid {
				unknown := bytes.ReplaceAll(v, []byte(sym), []byte(fmt.Sprintf("ZZ%04dQ", i)))
				list = append(list, unknown)
				if un := unsubscribeOf(unknown); un != nil {
					list = append(list, un)
				}
				if i%10 == 0 {
					list = append(list, v)
					if un := unsubscribeOf(v); un != nil && i%20 == 0 {
						list = append(list, un)
					}
				}
			}
		}
		sendAll(t, w, websocket.TextMessage, cap(list))
	})
	scenario("ping storm", func(t *testing.T, pw **wsConn) {
		w := *pw
		for i := 0; i < wsStormSize && !w.closed(); i++ {
			pings++
			w.wmu.Lock()
			w.c.WriteControl(websocket.PingMessage, []byte(fmt.Sprint(i)), time.Now().Add(requestTimeout))
			w.wmu.Unlock()
		}
		var list [][]byte
		for i := 0; i < wsStormSize/10; i++ {
			list = append(list, []byte("ping"), []byte(`{"op":"ping"}`), []byte(`{"method":"ping"}`), []byte(`{"event":"ping"}`),
				[]byte(`{"type":"ping","id":"1"}`), []byte(`{"method":"PING"}`), []byte(`{"op":"ping","req_id":"x"}`), []byte(`{"method":"ping","req_id":1}`))
		}
		sendAll(t, pw, websocket.TextMessage, cap(list))
	})
	t.Run("connection cut with streams open", func(t *testing.T) {
		w, err := dialWS(h.http.URL, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range valid {
			sent++
			w.write(websocket.TextMessage, v)
		}
		select { // let the streams start pushing
		case <-w.frames:
		case <-w.done:
		case <-time.After(time.Second):
		}
		w.c.UnderlyingConn().Close() // no close frame
		<-w.done
	})
	// Every session of this path must have ended once its client left.
	deadline := time.Now().Add(requestTimeout)
	for h.srv.Env().Hub.Stats().Connections > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.srv.Env().Hub.Stats().Connections; n > 0 {
		t.Errorf("%d sessions still open %v after their clients closed; where the process's goroutines are:\n%s",
			n, requestTimeout, plugins.Goroutines(64<<10))
	}
	return sent, pings
}
