package record

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

const (
	writeWait = 10 * time.Second
	// closeWait is how long a relay waits for the second half of a close
	// handshake (or for a shutdown close to be answered).
	closeWait = 3 * time.Second
)

// wsHeaders are handshake headers the dialer sets itself.
var wsHeaders = []string{
	"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions",
	"Sec-Websocket-Accept", "Sec-Websocket-Protocol", "Host",
}

// relay is one client connection relayed to the upstream.
type relay struct {
	s     *Server
	x     *exchange
	hub   *plugins.Hub
	conn  *connRef
	start time.Time
	path  string
	// pipe is the connection's network link and client rate limit, from
	// the front's policy (the same a plugin's session gets).
	pipe   plugins.Pipeline
	client *websocket.Conn
	up     *websocket.Conn
	// addr is the client's address and upstream the scheme and host
	// relayed to (Describe).
	addr, upstream string
	// sent, dropped and received count the data frames relayed to the
	// client, dropped by its link, and read from it.
	sent, dropped, received atomic.Int64

	mu        sync.Mutex
	closeCode int // first close code seen
	codeSet   bool
	// closing is set once either end closed or the proxy closed it.
	closing atomic.Bool
}

func (x *exchange) serveWS(w http.ResponseWriter, r *http.Request) {
	s, hub := x.s, x.stack.Hub()
	if x.wsURL == "" {
		proxyError(w, http.StatusBadGateway, x.plugin.Name()+" has no WS upstream; give --upstream-ws")
		return
	}
	base := x.upstream(r, x.wsURL, x.wsFixed)
	target := base + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	// The front admits the client before the proxy dials: a refused one
	// gets the exchange's answer and costs the upstream nothing.
	pipe, release, ok := hub.Admit(w, r)
	if !ok {
		return
	}
	defer release() // if the relay never starts
	hdr := r.Header.Clone()
	removeHop(hdr)
	for _, k := range wsHeaders {
		hdr.Del(k)
	}
	d := *s.opts.Dialer
	d.Subprotocols = websocket.Subprotocols(r)
	up, resp, err := d.DialContext(r.Context(), target, hdr)
	if err != nil {
		if resp != nil {
			// The upstream refused the upgrade: pass its answer on.
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			for k, vs := range resp.Header {
				w.Header()[k] = vs
			}
			removeHop(w.Header())
			w.WriteHeader(resp.StatusCode)
			w.Write(body)
			return
		}
		// The target is not logged: its path and query may hold a token.
		s.logger.Warn("upstream WS dial failed", "upstream", base, "err", err)
		proxyError(w, http.StatusBadGateway, "upstream WS: "+err.Error())
		return
	}
	up.SetReadLimit(64 << 20)
	var respHdr http.Header
	u := websocket.Upgrader{
		ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10,
		CheckOrigin: func(*http.Request) bool { return true },
	}
	if p := up.Subprotocol(); p != "" {
		u.Subprotocols = []string{p}
	}
	client, err := u.Upgrade(w, r, respHdr)
	if err != nil {
		up.Close()
		return
	}
	client.SetReadLimit(64 << 20)
	start := s.opts.Now()
	// The connection is recorded through the recorder's queue, after the
	// REST answers before it (a listen key handed out there is then known
	// to the redaction when this URL is stored).
	ref := s.rec.beginConn(x, r.URL.RequestURI(), start)
	rl := &relay{s: s, x: x, hub: hub, conn: ref, start: start, path: r.URL.Path, pipe: pipe, client: client, up: up,
		addr: r.RemoteAddr, upstream: upstreamHost(base)}
	done, ok := hub.Track(rl)
	if !ok {
		// The proxy is shutting down.
		rl.closeWith(websocket.CloseGoingAway, "server shutting down")
		client.Close()
		up.Close()
		s.rec.endConn(ref, s.opts.Now(), websocket.CloseGoingAway)
		return
	}
	defer done()
	defer release() // before done: the hub counts nothing it holds
	rl.run()
}

var _ plugins.Conn = (*relay)(nil)

// CloseWS ends the relay from the proxy's side (see closeWith); false if
// it was already closing.
func (rl *relay) CloseWS(code int, reason string) bool {
	if rl.closing.Load() {
		return false
	}
	rl.closeWith(code, reason)
	return true
}

// Abort cuts both connections at once.
func (rl *relay) Abort() { rl.closeWith(websocket.CloseAbnormalClosure, "") }

// Streams is 0: a relay does not know the streams it carries.
func (rl *relay) Streams() int { return 0 }

var _ plugins.Describer = (*relay)(nil)

// Describe says what the relay is for the admin API: its path, client,
// start, upstream and message counts. Its streams are not known (they are
// in the exchange's own subscribe messages, which the relay passes on
// unread).
func (rl *relay) Describe() plugins.ConnInfo {
	return plugins.ConnInfo{
		Path: rl.path, Client: rl.addr, Opened: rl.start.UTC(), Upstream: rl.upstream,
		MessagesSent: rl.sent.Load(), MessagesDropped: rl.dropped.Load(), MessagesReceived: rl.received.Load(),
	}
}

// upstreamHost is base's scheme and host: what Describe shows of where
// the relay goes, never a path or credentials.
func upstreamHost(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (rl *relay) run() {
	var wg sync.WaitGroup
	wg.Add(2)
	// The front's shutdown closes the relay through CloseWS (1001); what
	// outlives it is cut when the hub's context ends.
	stopCut := context.AfterFunc(rl.hub.Context(), rl.Abort)
	defer stopCut()
	go func() {
		defer wg.Done()
		rl.pump(rl.up, rl.client, cassettes.FromServer)
		rl.closing.Store(true)
		// The other side has closeWait to answer our relayed close.
		rl.client.SetReadDeadline(time.Now().Add(closeWait))
	}()
	go func() {
		defer wg.Done()
		rl.pump(rl.client, rl.up, cassettes.FromClient)
		rl.closing.Store(true)
		rl.up.SetReadDeadline(time.Now().Add(closeWait))
	}()

	wg.Wait()
	rl.client.Close()
	rl.up.Close()
	rl.s.rec.endConn(rl.conn, rl.s.opts.Now(), rl.code())
}

// setCode records the connection's close code; the first one wins.
func (rl *relay) setCode(code int) {
	rl.mu.Lock()
	if !rl.codeSet {
		rl.closeCode, rl.codeSet = code, true
	}
	rl.mu.Unlock()
}

// code is the close code to record: 1006 if none was seen.
func (rl *relay) code() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if !rl.codeSet {
		return websocket.CloseAbnormalClosure
	}
	return rl.closeCode
}

func (rl *relay) record(dir cassettes.Direction, op int, payload []byte) {
	f := cassettes.Frame{Dir: dir, Opcode: op, Offset: rl.s.opts.Now().Sub(rl.start), Payload: payload}
	rl.s.rec.frame(rl.conn, f, rl.path)
}

// pump relays src's messages to dst until src closes or fails. Server
// messages cross the connection's link through a queue (see linkWriter),
// so the pump keeps reading while they wait for their due times.
func (rl *relay) pump(src, dst *websocket.Conn, dir cassettes.Direction) {
	var sh *linkQueue
	if dir == cassettes.FromServer && rl.pipe.Link != nil {
		sh = rl.startLinkWriter(src, dst)
		defer sh.finish()
	}
	src.SetPingHandler(func(data string) error {
		rl.record(dir, websocket.PingMessage, []byte(data))
		err := dst.WriteControl(websocket.PingMessage, []byte(data), time.Now().Add(writeWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	src.SetPongHandler(func(data string) error {
		rl.record(dir, websocket.PongMessage, []byte(data))
		err := dst.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	// Closes are relayed by the loop below rather than echoed at once, so
	// each end sees the other's close code.
	src.SetCloseHandler(func(int, string) error { return nil })
	for {
		typ, data, err := src.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
				msg := websocket.FormatCloseMessage(ce.Code, ce.Text)
				rl.record(dir, websocket.CloseMessage, msg)
				rl.setCode(ce.Code)
				sh.finish() // data before the close goes out first
				dst.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
				return
			}
			// The connection broke without a close frame: break the
			// other side too, the closest a relay gets to passing on 1006.
			rl.setCode(websocket.CloseAbnormalClosure)
			dst.UnderlyingConn().Close()
			return
		}
		if dir == cassettes.FromClient {
			rl.received.Add(1)
			rl.hub.CountReceived()
		}
		if lim := rl.pipe.Limit; dir == cassettes.FromClient && lim != nil {
			if ok, code, reason := lim.AllowMessage(); !ok {
				msg := websocket.FormatCloseMessage(code, reason)
				rl.setCode(code)
				src.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
				dst.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(writeWait))
				return
			}
		}
		rl.record(dir, typ, data)
		if sh != nil {
			sh.q <- outMsg{typ: typ, data: data, at: time.Now()}
			continue
		}
		dst.SetWriteDeadline(time.Now().Add(writeWait))
		if err := dst.WriteMessage(typ, data); err != nil {
			src.Close()
			return
		}
		if dir == cassettes.FromServer {
			rl.sent.Add(1)
			rl.hub.CountSent()
		}
	}
}

// outMsg is a server message waiting for its link's due time.
type outMsg struct {
	typ  int
	data []byte
	at   time.Time // when it arrived from the upstream
}

// linkQueue feeds linkWriter; finish closes it and waits until what was
// queued is written (or dropped).
type linkQueue struct {
	q    chan outMsg
	done chan struct{}
}

func (sh *linkQueue) finish() {
	if sh == nil || sh.q == nil {
		return
	}
	close(sh.q)
	<-sh.done
	sh.q = nil
}

func (rl *relay) startLinkWriter(src, dst *websocket.Conn) *linkQueue {
	sh := &linkQueue{q: make(chan outMsg, 1024), done: make(chan struct{})}
	go rl.linkWriter(src, dst, sh.q, sh.done)
	return sh
}

// linkWriter sends server messages to the client as the connection's link
// schedules them (netsim.Link: the same scheduler a plugin's session
// uses): dropped, the connection cut, or written when due. A cut, or the
// hub's context ending during a wait, stops the writing; the queue is
// still drained until the pump stops.
func (rl *relay) linkWriter(src, dst *websocket.Conn, q <-chan outMsg, done chan<- struct{}) {
	defer close(done)
	link, hub := rl.pipe.Link, rl.hub
	cut := false
	for m := range q {
		if cut {
			continue
		}
		due, drop, abort := link.Schedule(len(m.data), m.at)
		switch {
		case abort:
			rl.setCode(websocket.CloseAbnormalClosure)
			dst.UnderlyingConn().Close()
			src.UnderlyingConn().Close()
			cut = true
			continue
		case drop:
			rl.dropped.Add(1)
			hub.CountDropped()
			continue
		}
		if !link.Wait(hub.Context(), due) {
			cut = true
			continue
		}
		dst.SetWriteDeadline(time.Now().Add(writeWait))
		if err := dst.WriteMessage(m.typ, m.data); err != nil {
			src.UnderlyingConn().Close()
			cut = true
			continue
		}
		rl.sent.Add(1)
		hub.CountSent()
	}
}

// closeWith ends the relay from the proxy's side: a close frame with code
// to both ends, or for 1006 the connections cut.
func (rl *relay) closeWith(code int, reason string) {
	rl.closing.Store(true)
	if code == 0 || code == websocket.CloseAbnormalClosure {
		rl.setCode(websocket.CloseAbnormalClosure)
		rl.client.UnderlyingConn().Close()
		rl.up.UnderlyingConn().Close()
		return
	}
	rl.setCode(code)
	msg := websocket.FormatCloseMessage(code, reason)
	dl := time.Now().Add(writeWait)
	rl.client.WriteControl(websocket.CloseMessage, msg, dl)
	rl.up.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), dl)
	rl.client.SetReadDeadline(time.Now().Add(closeWait))
	rl.up.SetReadDeadline(time.Now().Add(closeWait))
}
