package binance

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// wsProtocol is Binance's market stream protocol: streams named in the URL
// (/ws/<a>/<b>, /stream?streams=a/b) plus SUBSCRIBE, UNSUBSCRIBE,
// LIST_SUBSCRIPTIONS, SET_PROPERTY and GET_PROPERTY messages.
type wsProtocol struct{ s *server }

// conn is one connection's state: the streams in subscription order and
// whether events are wrapped as {"stream","data"}.
type conn struct {
	mu       sync.Mutex
	streams  []string
	combined atomic.Bool
	// unit is the URL's timeUnit (spot only).
	unit timeUnit
}

func (c *conn) add(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.streams {
		if s == name {
			return false
		}
	}
	c.streams = append(c.streams, name)
	return true
}

func (c *conn) remove(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.streams {
		if s == name {
			c.streams = append(c.streams[:i], c.streams[i+1:]...)
			return
		}
	}
}

func (c *conn) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string{}, c.streams...)
}

// Open subscribes the streams the URL names. /stream connections start
// combined, /ws ones raw.
func (p *wsProtocol) Open(s *plugins.Session) error {
	c := &conn{}
	s.State = c
	if p.s.p.kind == Spot {
		c.unit, _ = parseTimeUnit(s.Request().URL.Query().Get("timeUnit"))
	}
	path := s.Request().URL.Path
	for _, pre := range []string{"/market", "/public"} {
		if p.s.p.kind == Perpetual {
			path = strings.TrimPrefix(path, pre)
		}
	}
	var names []string
	if strings.HasPrefix(path, "/stream") {
		c.combined.Store(true)
		if raw := s.Request().URL.Query().Get("streams"); raw != "" {
			names = strings.Split(raw, "/")
		}
	} else if rest, ok := strings.CutPrefix(path, "/ws/"); ok {
		if un, err := url.PathUnescape(rest); err == nil {
			rest = un
		}
		names = strings.Split(rest, "/")
	}
	for _, name := range names {
		// ccxt dials /ws/<n> (a connection number): only names that look
		// like streams are subscribed.
		if strings.Contains(name, "@") || strings.HasPrefix(name, "!") {
			p.subscribe(s, c, name)
		}
	}
	return nil
}

// subscribe records name and, for kline streams of a served symbol, starts
// the feed. Other names are accepted and stay silent, as on Binance.
func (p *wsProtocol) subscribe(s *plugins.Session, c *conn, name string) {
	if !c.add(name) {
		return
	}
	if ss, ok := p.s.parseSurfaceStream(name); ok {
		p.subscribeSurface(s, c, name, ss)
		return
	}
	st, ok := p.s.parseStream(name)
	if !ok {
		return
	}
	st.unit = c.unit
	encode := p.s.klineEncoder(name, st, c)
	// An unknown symbol fails in the Feed; the stream then stays silent.
	every := p.s.p.pushEvery(st.iv)
	switch {
	case st.mark > 0:
		every = st.mark
	case st.ticker != "":
		every = time.Second
	}
	_ = s.Subscribe(name, st.symbol, st.iv, every, encode)
}

func (p *wsProtocol) unsubscribe(s *plugins.Session, c *conn, name string) {
	c.remove(name)
	s.Unsubscribe(name)
}

// Message handles one client request.
func (p *wsProtocol) Message(s *plugins.Session, _ int, data []byte) {
	c := s.State.(*conn)
	req, rerr := parseRequest(data)
	if rerr != nil {
		s.Send(rerr.reply())
		return
	}
	switch req.method {
	case "SUBSCRIBE":
		// The ack goes out before the first event of the new streams.
		s.Send(okReply(req.id, json.RawMessage("null")))
		for _, name := range req.streams {
			p.subscribe(s, c, name)
		}
	case "UNSUBSCRIBE":
		for _, name := range req.streams {
			p.unsubscribe(s, c, name)
		}
		s.Send(okReply(req.id, json.RawMessage("null")))
	case "LIST_SUBSCRIPTIONS":
		b, _ := json.Marshal(c.list())
		s.Send(okReply(req.id, b))
	case "SET_PROPERTY":
		c.combined.Store(req.value)
		s.Send(okReply(req.id, json.RawMessage("null")))
	case "GET_PROPERTY":
		v := json.RawMessage("false")
		if c.combined.Load() {
			v = json.RawMessage("true")
		}
		s.Send(okReply(req.id, v))
	}
}

// KlineSubscription says how a client streams klines, for the conformance
// suite: dial /ws/0 (/market/ws/0 on futures), as ccxt does, and
// SUBSCRIBE to <symbol>@kline_<interval>.
func (p *Plugin) KlineSubscription(symbol string, iv cc.Interval) (string, [][]byte) {
	path := "/ws/0"
	if p.kind == Perpetual {
		path = "/market/ws/0"
	}
	msg := `{"method":"SUBSCRIBE","params":["` + strings.ToLower(symbol) + `@kline_` + string(iv) + `"],"id":1}`
	return path, [][]byte{[]byte(msg)}
}
