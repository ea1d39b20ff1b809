package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
)

// Protocol is an exchange's WS protocol, driven by a Session.
type Protocol interface {
	// Open runs once after the upgrade, before any client message is read:
	// send a welcome, subscribe the streams named in the URL, ...
	Open(s *Session) error
	// Message handles one client data frame.
	Message(s *Session, typ int, data []byte)
}

// WSOptions are an exchange's keepalive rules.
type WSOptions struct {
	// PingEvery is the cadence of server ping frames; 0 sends none.
	PingEvery time.Duration
	// ReadTimeout closes a connection from which nothing (data, ping or
	// pong) arrived for this long; 0 never does.
	ReadTimeout time.Duration
	// MaxLifetime closes a connection this long after it opened (Binance:
	// 24h); 0 means no limit.
	MaxLifetime time.Duration
	// ReadLimit caps a client frame's size; 0 means 64 KiB.
	ReadLimit int64
	// SendBuffer is the outgoing queue length; 0 means 256.
	SendBuffer int
}

const writeWait = 10 * time.Second

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

var _ Conn = (*Session)(nil)

// ErrSessionClosed is returned by Send after the session ended.
var ErrSessionClosed = errors.New("plugins: ws session closed")

// ErrTooManyStreams is returned by Subscribe when the connection already
// has as many streams as its Limit allows.
var ErrTooManyStreams = errors.New("plugins: too many streams on one connection")

// allowMessage asks the connection's Limit about one more client frame
// and closes the session the exchange's way when it says no.
func (s *Session) allowMessage() bool {
	if s.pipe.Limit == nil {
		return true
	}
	ok, code, reason := s.pipe.Limit.AllowMessage()
	if !ok {
		s.Close(code, reason)
	}
	return ok
}

type outMsg struct {
	typ  int
	data []byte
	at   time.Time
	// closeCode, when set, makes the writer send a close frame and stop.
	closeCode int
	// diff marks a book diff of the book named book (SendBookDiff);
	// corrupt makes its checksum wrong, if the format has one.
	diff    bool
	book    string
	corrupt func([]byte) []byte
	// sub, when set, is the subscription the message is a push of
	// (Push): the writer drops it once that subscription is over, so
	// nothing of a stream follows the reply to its unsubscribe.
	sub *subscription
	// unheld, when set, names a book whose diff held back for
	// reordering is dropped (its subscription ended): nothing is written.
	unheld string
}

// subscription is one subscribed stream of a Session.
type subscription struct {
	ctx    context.Context
	cancel context.CancelFunc
	// over is set by Unsubscribe (before it returns, so before any reply
	// the protocol sends after it is queued).
	over atomic.Bool
}

// Session is one server-side WS connection. It owns one read loop (the
// goroutine that called ServeWS) and one write pump; Send may be called
// from any goroutine and keeps the order of calls.
type Session struct {
	env  *Env
	conn *websocket.Conn
	bc   *batchConn // under conn; nil if the upgrader did not hijack through it
	req  *http.Request
	// pipe is what the connection's messages pass through: its network
	// link and its client's rate limit, from the Hub's policy.
	pipe Pipeline
	// plink is pipe.Link if it injects protocol faults, else nil.
	plink ProtocolLink
	// ilink is pipe.Link if it is an ImmediateLink, else nil.
	ilink  ImmediateLink
	opts   WSOptions
	ctx    context.Context
	cancel context.CancelFunc
	send   chan outMsg

	mu    sync.Mutex
	subs  map[string]*subscription
	order []string
	// resync is what a forced resync does (OnResync); nil is the default.
	resync ResyncFunc
	// held are the book diffs the link holds back for reordering, by
	// book; under wmu.
	held map[string]outMsg

	// wmu is held by whoever writes: the write pump while it has messages
	// of the queue in hand, or a push that found the queue empty and
	// writes its frame itself (see push). queued counts the messages in
	// send and in the pump's hands: it drops only once they are written.
	wmu    sync.Mutex
	queued atomic.Int64
	// lastDirect is when a push was last written by the goroutine that
	// made it (Unix ns); see push.
	lastDirect atomic.Int64
	// State is free for the protocol's per-connection data.
	State any

	// handling is open while the protocol handles a client message (or
	// Open runs); pushes of streams subscribed meanwhile wait for it to
	// close, so a reply sent after Subscribe (an ack) still goes first.
	handling chan struct{}

	closeOnce sync.Once
	// closing is set once the server decided to close: pings are no
	// longer answered, as the connection is going away.
	closing atomic.Bool
	done    chan struct{}

	// wg counts the goroutines the session owns (the write pump,
	// subscriptions, the protocol's own through Go); ServeWS returns only
	// after all of them. ended, under mu, refuses new ones once it waits.
	wg    sync.WaitGroup
	ended bool

	// opened is when the upgrade was done; sent, dropped and received
	// count the session's data frames as the Hub's counters do (Describe).
	opened                  time.Time
	sent, dropped, received atomic.Int64
}

// ServeWS upgrades the request and runs proto on it until the connection
// ends. It returns when the session is over. The connection is admitted
// by env.Hub first (see Hub.Admit): a refused one gets the Hub policy's
// HTTP answer and no upgrade.
func ServeWS(env *Env, w http.ResponseWriter, r *http.Request, proto Protocol, opts WSOptions) {
	var pipe Pipeline
	release := func() {}
	if env.Hub != nil {
		var ok bool
		if pipe, release, ok = env.Hub.Admit(w, r); !ok {
			return
		}
		defer release() // if the session never starts
	}
	bw := &batchWriter{ResponseWriter: w}
	conn, err := upgrader.Upgrade(bw, r, nil)
	if err != nil {
		return // the upgrader already answered with an HTTP error
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = 64 << 10
	}
	if opts.SendBuffer <= 0 {
		opts.SendBuffer = 256
	}
	parent := context.Background()
	if env.Hub != nil {
		parent = env.Hub.Context()
	}
	ctx, cancel := context.WithCancel(parent)
	s := &Session{
		env: env, conn: conn, bc: bw.conn, req: r, pipe: pipe, opts: opts, ctx: ctx, cancel: cancel,
		send: make(chan outMsg, opts.SendBuffer),
		subs: map[string]*subscription{},
		done: make(chan struct{}), opened: time.Now(),
	}
	s.plink, _ = pipe.Link.(ProtocolLink)
	s.ilink, _ = pipe.Link.(ImmediateLink)
	if env.Hub != nil {
		done, ok := env.Hub.Track(s)
		if !ok {
			// The server is shutting down: say so and go.
			conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(writeWait))
			cancel()
			conn.Close()
			return
		}
		defer done()
	}
	defer release() // before done: the hub counts nothing it holds
	s.Go(s.writePump)
	defer func() {
		s.mu.Lock()
		s.ended = true
		s.mu.Unlock()
		cancel()
		s.wg.Wait()
		conn.Close()
	}()
	if opts.MaxLifetime > 0 {
		t := time.AfterFunc(opts.MaxLifetime, func() { s.Close(websocket.CloseNormalClosure, "max lifetime") })
		defer t.Stop()
	}
	if err := s.handle(func() error { return proto.Open(s) }); err != nil {
		return
	}
	s.readLoop(proto)
}

// handle runs fn (the protocol's Open or Message) with the handling gate
// up; see Session.handling.
func (s *Session) handle(fn func() error) error {
	gate := make(chan struct{})
	s.mu.Lock()
	s.handling = gate
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.handling = nil
		s.mu.Unlock()
		close(gate)
	}()
	return fn()
}

func (s *Session) extendDeadline() {
	if s.opts.ReadTimeout > 0 {
		s.conn.SetReadDeadline(time.Now().Add(s.opts.ReadTimeout))
	}
}

func (s *Session) readLoop(proto Protocol) {
	s.conn.SetReadLimit(s.opts.ReadLimit)
	s.extendDeadline()
	s.conn.SetPongHandler(func(string) error {
		s.extendDeadline()
		s.allowMessage()
		return nil
	})
	s.conn.SetPingHandler(func(data string) error {
		s.extendDeadline()
		if !s.allowMessage() || s.closing.Load() {
			return nil // closing: no pong
		}
		err := s.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		if err == websocket.ErrCloseSent {
			return nil
		}
		return err
	})
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			return
		}
		s.extendDeadline()
		s.received.Add(1)
		if s.env.Hub != nil {
			s.env.Hub.received.Add(1)
		}
		if !s.allowMessage() {
			// Closing with the limiter's code: keep reading until the
			// writer has sent the close frame and cut the connection.
			continue
		}
		s.handle(func() error { proto.Message(s, typ, data); return nil })
		if s.ctx.Err() != nil {
			return
		}
	}
}

func (s *Session) writePump() {
	defer close(s.done)
	if s.bc != nil {
		// Whatever a batch still holds — a close frame the read loop
		// answered with while it was open — goes out before the
		// connection is closed.
		defer s.bc.flush()
	}
	var ping <-chan time.Time
	if s.opts.PingEvery > 0 {
		t := time.NewTicker(s.opts.PingEvery)
		defer t.Stop()
		ping = t.C
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-ping:
			s.wmu.Lock()
			s.conn.SetWriteDeadline(time.Now().Add(writeWait))
			err := s.conn.WriteMessage(websocket.PingMessage, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
			s.wmu.Unlock()
			if err != nil {
				s.cancel()
				return
			}
		case m := <-s.send:
			s.wmu.Lock()
			n, ok := s.writeBatch(m)
			s.queued.Add(-n)
			s.wmu.Unlock()
			if !ok {
				return
			}
		}
	}
}

// writeBatch writes m and every message already queued behind it as one
// batch: one syscall rather than one per message. n is how many it took
// from the queue; false means the session is over.
func (s *Session) writeBatch(m outMsg) (n int64, ok bool) {
	s.beginBatch()
	for n = 1; ; n++ {
		if !s.writeQueued(m) {
			return n, false
		}
		if s.bc != nil && s.bc.pending() >= maxBatch {
			if !s.flushBatch() {
				return n, false
			}
			s.beginBatch()
		}
		select {
		case m = <-s.send:
			continue
		default:
		}
		break
	}
	return n, s.flushBatch()
}

func (s *Session) beginBatch() {
	if s.bc != nil {
		s.bc.begin()
	}
}

// flushBatch writes the batch out; false means the connection failed.
func (s *Session) flushBatch() bool {
	if s.bc == nil {
		return true
	}
	if err := s.bc.flush(); err != nil {
		s.cancel()
		return false
	}
	return true
}

// writeQueued writes one queued message, through the protocol faults of
// its link first if it has them; false means the session is over.
func (s *Session) writeQueued(m outMsg) bool {
	if m.sub != nil && m.sub.over.Load() {
		return true // a push of a stream unsubscribed meanwhile
	}
	if m.unheld != "" {
		delete(s.held, m.unheld)
		return true
	}
	if m.closeCode != 0 {
		s.flushBatch()
		s.writeClose(m.closeCode, string(m.data))
		return false
	}
	pl := s.plink
	if pl == nil {
		return s.writeData(m)
	}
	if pl.Resync() {
		return s.forceResync(m)
	}
	if !m.diff {
		return s.writeData(m)
	}
	held, holding := s.held[m.book]
	gap, dup, reorder, corrupt := pl.BookDiff(m.corrupt != nil, !holding)
	if gap {
		return true
	}
	if corrupt {
		m.data = m.corrupt(m.data)
	}
	if reorder {
		if s.held == nil {
			s.held = map[string]outMsg{}
		}
		s.held[m.book] = m
		return true
	}
	if !s.writeData(m) || (dup && !s.writeData(m)) {
		return false
	}
	if holding {
		delete(s.held, m.book)
		if held.sub != nil && held.sub.over.Load() {
			return true
		}
		return s.writeData(held)
	}
	return true
}

// forceResync does what the protocol set with OnResync instead of writing
// m: an event frame, a close, or both. The messages queued behind a close
// are not written.
func (s *Session) forceResync(m outMsg) bool {
	s.mu.Lock()
	f := s.resync
	s.mu.Unlock()
	if f == nil {
		f = defaultResync
	}
	frame, code, reason := f()
	if frame != nil && !s.writeData(outMsg{typ: websocket.TextMessage, data: frame, at: m.at}) {
		return false
	}
	if code == 0 {
		return s.writeData(m)
	}
	s.closing.Store(true)
	s.flushBatch()
	s.writeClose(code, reason)
	return false
}

// writeData writes one message when its link says, or drops it, or cuts
// the connection; false means the session is over.
func (s *Session) writeData(m outMsg) bool {
	if link := s.pipe.Link; link != nil {
		due, drop, abort := link.Schedule(len(m.data), m.at)
		if abort {
			// The messages written before the cut were due: they go out
			// first, as the relay's do, rather than die in the batch.
			s.flushBatch()
			s.abort()
			return false
		}
		if drop {
			s.dropped.Add(1)
			if s.env.Hub != nil {
				s.env.Hub.dropped.Add(1)
			}
			return true
		}
		if time.Until(due) > 0 {
			// What is gathered goes out before the wait.
			if !s.flushBatch() || !link.Wait(s.ctx, due) {
				return false
			}
			s.beginBatch()
		}
	}
	if s.bc == nil {
		s.conn.SetWriteDeadline(time.Now().Add(writeWait))
	}
	if err := s.conn.WriteMessage(m.typ, m.data); err != nil {
		s.cancel()
		return false
	}
	s.sent.Add(1)
	if s.env.Hub != nil {
		s.env.Hub.sent.Add(1)
	}
	return true
}

func (s *Session) writeClose(code int, reason string) {
	if code == websocket.CloseAbnormalClosure {
		s.abort()
		return
	}
	msg := websocket.FormatCloseMessage(code, reason)
	s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
	s.cancel()
	// Cut the TCP connection so the read loop ends even if the client
	// never answers the close frame.
	s.conn.UnderlyingConn().Close()
}

// abort cuts the connection without a close frame (close code 1006 as the
// client sees it).
func (s *Session) abort() {
	s.cancel()
	s.conn.UnderlyingConn().Close()
}

// Request is the HTTP request that opened the session.
func (s *Session) Request() *http.Request { return s.req }

// Context ends when the session does.
func (s *Session) Context() context.Context { return s.ctx }

// Env is the serving environment.
func (s *Session) Env() *Env { return s.env }

// SendMessage queues a frame of the given type. It blocks while the queue is
// full and fails once the session has ended.
func (s *Session) SendMessage(typ int, data []byte) error {
	return s.queue(outMsg{typ: typ, data: data, at: time.Now()})
}

func (s *Session) queue(m outMsg) error {
	s.queued.Add(1)
	select {
	case s.send <- m:
		return nil
	case <-s.ctx.Done():
		s.queued.Add(-1)
		return ErrSessionClosed
	}
}

// Send queues a text frame.
func (s *Session) Send(data []byte) error { return s.SendMessage(websocket.TextMessage, data) }

// ErrUnsubscribed is returned by Push and its kin when the stream is not
// (or no longer) subscribed.
var ErrUnsubscribed = errors.New("plugins: stream not subscribed")

// Push queues a text frame of the stream subscribed under key. Unlike a
// Subscribed check followed by Send, it is exact against Unsubscribe: a
// push queued before Unsubscribe(key) returns but not yet written is
// dropped, so once the protocol has queued its reply to an unsubscribe,
// nothing more of the stream reaches the client. A stream's pushes go
// through Push (or PushMessage, PushBookDiff); replies and events not of
// a stream through Send.
func (s *Session) Push(key string, data []byte) error {
	return s.push(key, outMsg{typ: websocket.TextMessage, data: data})
}

// PushMessage is Push for a frame of type typ (websocket.BinaryMessage
// for protobuf pushes).
func (s *Session) PushMessage(key string, typ int, data []byte) error {
	return s.push(key, outMsg{typ: typ, data: data})
}

// PushBookDiff is SendBookDiff for the book diffs of the stream
// subscribed under key (the book's name for the protocol faults too),
// exact against Unsubscribe as Push is.
func (s *Session) PushBookDiff(key string, data []byte, corrupt func([]byte) []byte) error {
	return s.push(key, outMsg{typ: websocket.TextMessage, data: data, book: key, diff: true, corrupt: corrupt})
}

// PushBinaryBookDiff is PushBookDiff for a binary frame.
func (s *Session) PushBinaryBookDiff(key string, data []byte, corrupt func([]byte) []byte) error {
	return s.push(key, outMsg{typ: websocket.BinaryMessage, data: data, book: key, diff: true, corrupt: corrupt})
}

func (s *Session) push(key string, m outMsg) error {
	s.mu.Lock()
	sub := s.subs[key]
	s.mu.Unlock()
	if sub == nil {
		return ErrUnsubscribed
	}
	m.sub, m.at = sub, time.Now()
	// Nothing queued and no one writing: write the frame here rather than
	// wake the write pump for it. At a step of a diff stream every
	// session has one frame to send, and the hand-over to the pump was a
	// goroutine switch per frame on the way out. The order is the
	// queue's: whatever was queued before is written (queued counts it
	// until then), and whatever is queued meanwhile waits for wmu. Only
	// on a link that would not hold the frame: one that delays it leaves
	// the waiting to the pump, so that the frames queued behind it keep
	// their own due times. And only for a session that wrote no push so
	// within directGap: a stream pushing flat out (--speed max) writes
	// its first frame so and queues the others, which the pump gathers
	// into one syscall a batch.
	if s.queued.Load() == 0 && m.at.UnixNano()-s.lastDirect.Load() > int64(directGap) && s.wmu.TryLock() {
		if s.queued.Load() == 0 && (s.pipe.Link == nil || s.ilink != nil && s.ilink.Immediate()) {
			err := s.writeNow(m)
			s.lastDirect.Store(time.Now().UnixNano())
			s.wmu.Unlock()
			return err
		}
		s.wmu.Unlock()
	}
	return s.queue(m)
}

// directGap is how long after a push it wrote itself a session's next
// push goes through the queue (see push).
const directGap = time.Millisecond

// writeNow writes m as the pump would, under wmu with nothing queued.
func (s *Session) writeNow(m outMsg) error {
	if s.ctx.Err() != nil {
		return ErrSessionClosed
	}
	s.beginBatch()
	if !s.writeQueued(m) || !s.flushBatch() {
		return ErrSessionClosed
	}
	return nil
}

// SendJSON queues v encoded as JSON in a text frame.
func (s *Session) SendJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Send(b)
}

// Close ends the session with a close frame carrying code and reason, after
// the messages already queued; 1006 cuts the connection without one.
func (s *Session) Close(code int, reason string) {
	s.close(code, reason)
}

// CloseWS is Close reporting whether this call started the close; it
// makes a Session a Conn of its Hub.
func (s *Session) CloseWS(code int, reason string) bool { return s.close(code, reason) }

// Abort cuts the connection at once, without a close frame.
func (s *Session) Abort() { s.abort() }

// Streams is how many streams the session has subscribed.
func (s *Session) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// close is Close reporting whether this call started the close (false when
// the session was already ending).
func (s *Session) close(code int, reason string) bool {
	if s.ctx.Err() != nil {
		return false
	}
	started := false
	s.closeOnce.Do(func() {
		started = true
		s.closing.Store(true)
		s.queued.Add(1)
		select {
		case s.send <- outMsg{closeCode: code, data: []byte(reason)}:
		case <-s.ctx.Done():
			s.queued.Add(-1)
		default:
			s.queued.Add(-1)
			// Queue full: close at once rather than wait behind it.
			if code == websocket.CloseAbnormalClosure {
				s.abort()
			} else {
				s.cancel()
				s.conn.UnderlyingConn().Close()
			}
		}
	})
	return started
}

// WSCloser is implemented by Feed errors that end the connection: a
// Subscribe the Feed refuses with one returns the error to the protocol
// (which answers as the exchange does, with an error frame or silence)
// and then closes the session with WSClose's code and reason — replay's
// --on-miss error for a stream the cassette did not record.
type WSCloser interface {
	error
	WSClose() (code int, reason string)
}

// Subscribe starts pushing the (symbol, iv) stream under key: every update
// from the Feed is passed to encode and the result sent (nil results are
// skipped). Subscribing a key twice is a no-op.
func (s *Session) Subscribe(key, symbol string, iv cc.Interval, every time.Duration, encode func(cc.Update) []byte) error {
	return s.subscribe(key, symbol, iv, every, nil, encode)
}

// SubscribeTicks is Subscribe for a stream that is not a kline stream (a
// book, trades, a ticker): encode is called every every of virtual time
// with the market's 1s update then, for its EventTime (and candle). The
// Feed is told (cc.Ticking) so that replay serves it live from the
// market instead of as a recorded 1s kline stream, and does not count it
// as one.
func (s *Session) SubscribeTicks(key, symbol string, every time.Duration, encode func(cc.Update) []byte) error {
	return s.subscribe(key, symbol, cc.Interval1s, every, cc.Ticking, encode)
}

// SubscribeTicksAt is SubscribeTicks on a beat phase past the multiples of
// every (cc.TickingAt): the EventTimes encode gets are on that beat.
func (s *Session) SubscribeTicksAt(key, symbol string, every, phase time.Duration, encode func(cc.Update) []byte) error {
	return s.subscribe(key, symbol, cc.Interval1s, every, func(ctx context.Context) context.Context { return cc.TickingAt(ctx, phase) }, encode)
}

// subscribe starts the stream; mark, when not nil, marks the Feed
// subscription's context as a beat (cc.Ticking).
func (s *Session) subscribe(key, symbol string, iv cc.Interval, every time.Duration, mark func(context.Context) context.Context, encode func(cc.Update) []byte) error {
	s.mu.Lock()
	if _, ok := s.subs[key]; ok {
		s.mu.Unlock()
		return nil
	}
	if s.pipe.Limit != nil {
		if n := s.pipe.Limit.MaxStreams(); n > 0 && len(s.subs) >= n {
			s.mu.Unlock()
			return ErrTooManyStreams
		}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.subs[key] = &subscription{ctx: ctx, cancel: cancel}
	s.order = append(s.order, key)
	gate := s.handling
	s.mu.Unlock()
	fctx := ctx
	if mark != nil {
		fctx = mark(ctx)
	}
	ch, err := s.env.Feed.Subscribe(fctx, symbol, iv, every)
	if err != nil {
		s.Unsubscribe(key)
		var ce WSCloser
		if errors.As(err, &ce) {
			// After the protocol's own reply to this (an error frame).
			code, reason := ce.WSClose()
			s.Go(func() {
				if gate != nil {
					select {
					case <-gate:
					case <-s.ctx.Done():
					}
				}
				s.Close(code, reason)
			})
		}
		return err
	}
	s.Go(func() {
		if gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}
		for u := range ch {
			if b := encode(u); b != nil {
				if s.Push(key, b) != nil {
					cancel()
				}
			}
		}
	})
	return nil
}

// Go runs f on a goroutine the session owns: the session is not over, and
// the server's Close does not return, until f has. f must return soon after
// Context() is done. Once the session is ending, Go does nothing.
func (s *Session) Go(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Unsubscribe stops the stream under key and reports whether it existed.
//
// A book diff of the book named key (SendBookDiff) that the network
// simulation holds back for reordering is dropped with the stream: a
// protocol that restarts a book by subscribing it again must not see the
// old stream's diff after the new one's start.
func (s *Session) Unsubscribe(key string) bool {
	s.mu.Lock()
	sub, ok := s.subs[key]
	if !ok {
		s.mu.Unlock()
		return false
	}
	sub.over.Store(true)
	sub.cancel()
	delete(s.subs, key)
	for i, k := range s.order {
		if k == key {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	held := s.plink != nil
	s.mu.Unlock()
	if held {
		// In order with the frames queued before: the writer drops the
		// held diff before it writes anything the caller sends next.
		s.queue(outMsg{unheld: key})
	}
	return true
}

// StreamContext is the context of the stream subscribed under key now,
// done once it is unsubscribed (even if key is subscribed again: that is
// another stream); nil when key is not subscribed. A push that runs long
// (a book stream catching up) checks it between frames, so that a stream
// started again under the same key does not see the old one's frames
// after its own start.
func (s *Session) StreamContext(key string) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subs[key]; sub != nil {
		return sub.ctx
	}
	return nil
}

// Subscribed reports whether key is subscribed.
func (s *Session) Subscribed(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.subs[key]
	return ok
}

// Subscriptions lists the subscribed keys in the order they were added.
func (s *Session) Subscriptions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}
