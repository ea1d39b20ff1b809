package kucoin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// wsOptions: KuCoin drops a connection that sent nothing (no ping) for
// pingInterval + pingTimeout.
var wsOptions = plugins.WSOptions{ReadTimeout: (pingInterval + pingTimeout) * time.Millisecond}

const (
	spotTopic    = "/market/candles:"
	futuresTopic = "/contractMarket/limitCandle:"
)

// ws serves the token-authenticated socket the bullet points at.
func (h *handler) ws(w http.ResponseWriter, r *http.Request) {
	plugins.ServeWS(h.env, w, r, &wsProto{h: h}, wsOptions)
}

type wsProto struct {
	h *handler
}

var _ plugins.Protocol = (*wsProto)(nil)

// wsMsg is a client message and a server reply alike.
type wsMsg struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	Topic          string `json:"topic,omitempty"`
	PrivateChannel bool   `json:"privateChannel,omitempty"`
	Response       bool   `json:"response,omitempty"`
}

func sendErr(s *plugins.Session, id string, code int, msg string) {
	s.SendJSON(map[string]any{"id": id, "type": "error", "code": code, "data": msg})
}

func (p *wsProto) Open(s *plugins.Session) error {
	q := s.Request().URL.Query()
	id := q.Get("connectId")
	if id == "" {
		id = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if q.Get("token") == "" {
		sendErr(s, id, 401, "token is invalid")
		s.Close(websocket.ClosePolicyViolation, "token is invalid")
		return nil
	}
	return s.SendJSON(map[string]any{"id": id, "type": "welcome"})
}

func (p *wsProto) Message(s *plugins.Session, typ int, data []byte) {
	var m wsMsg
	if err := json.Unmarshal(data, &m); err != nil {
		sendErr(s, "", 400, "request is not JSON")
		return
	}
	switch m.Type {
	case "ping":
		s.SendJSON(map[string]any{"id": m.ID, "type": "pong", "timestamp": s.Env().Clock.Now().UnixMicro()})
	case "subscribe", "unsubscribe":
		p.subscribe(s, m)
	default:
		sendErr(s, m.ID, 404, "type "+strconv.Quote(m.Type)+" is not supported")
	}
}

// target is one stream named in a topic.
type target struct {
	key, native, symbol, kind string
	iv                        cc.Interval
	futures                   bool
}

func (p *wsProto) parse(topic string) ([]target, bool) {
	var prefix string
	futures := false
	switch {
	case strings.HasPrefix(topic, spotTopic):
		prefix = spotTopic
	case strings.HasPrefix(topic, futuresTopic):
		prefix, futures = futuresTopic, true
	default:
		return nil, false
	}
	var out []target
	for _, item := range strings.Split(strings.TrimPrefix(topic, prefix), ",") {
		i := strings.LastIndexByte(item, '_')
		if i <= 0 {
			return nil, false
		}
		sym, kind := item[:i], item[i+1:]
		types := typeNames
		if futures {
			types = futuresTypes
		}
		iv, ok := types.Parse(kind)
		if !ok {
			return nil, false
		}
		var pair cc.Pair
		if futures {
			pair, ok = p.h.contractPair(sym)
		} else {
			pair, ok = p.h.spotPair(sym)
		}
		if !ok {
			return nil, false
		}
		out = append(out, target{key: prefix + item, native: pair.Symbol, symbol: sym, kind: kind, iv: iv, futures: futures})
	}
	return out, len(out) > 0
}

func (p *wsProto) subscribe(s *plugins.Session, m wsMsg) {
	if targets, depth, ok := p.parseBook(m.Topic); ok {
		p.subscribeBook(s, m, targets, depth)
		return
	}
	if targets, every, ok := p.parseSurface(m.Topic); ok {
		p.subscribeSurface(s, m, targets, every)
		return
	}
	targets, ok := p.parse(m.Topic)
	if !ok {
		sendErr(s, m.ID, 404, "topic "+m.Topic+" is not found")
		return
	}
	// KuCoin acknowledges before the first push of the topic.
	if m.Response {
		s.SendJSON(map[string]any{"id": m.ID, "type": "ack"})
	}
	for _, t := range targets {
		if m.Type == "unsubscribe" {
			s.Unsubscribe(t.key)
			continue
		}
		t := t
		err := s.Subscribe(t.key, t.native, t.iv, time.Second, func(u cc.Update) []byte {
			return encodePush(t, u)
		})
		if errors.Is(err, plugins.ErrTooManyStreams) {
			sendErr(s, m.ID, 509, "exceed max subscription count limitation of 400 per session")
			return
		}
		if err != nil {
			sendErr(s, m.ID, 500, "internal error")
			return
		}
	}
}

// encodePush writes a candle push, ["time(s)", open, close, high, low,
// ...]: spot rows end with base volume and turnover, futures rows with the
// contract count twice; spot's "time" is in nanoseconds, futures' in
// milliseconds.
func encodePush(t target, u cc.Update) []byte {
	c := u.Candle
	b := append([]byte(`{"topic":"`), t.key...)
	b = append(b, `","type":"message","subject":"`...)
	if t.futures {
		b = append(b, "candle.stick"...)
	} else {
		b = append(b, "trade.candles.update"...)
	}
	b = append(b, `","data":{"symbol":"`...)
	b = append(b, t.symbol...)
	b = append(b, `","candles":["`...)
	b = strconv.AppendInt(b, c.OpenTime/1000, 10)
	for _, d := range []cc.Decimal{c.Open, c.Close, c.High, c.Low} {
		b = append(b, `","`...)
		b = d.AppendTrim(b, int(d.Scale))
	}
	b = append(b, `","`...)
	if t.futures {
		// KuCoin documents [5] as volume and [6] as turnover, but the live
		// feed sends the contract count in both, and clients (ccxt) read
		// the volume from [6]; serve what the feed sends.
		n := contracts(c, t.symbol)
		b = n.AppendTrim(b, int(n.Scale))
		b = append(b, `","`...)
		b = n.AppendTrim(b, int(n.Scale))
	} else {
		b = c.Volume.AppendTrim(b, int(c.Volume.Scale))
		b = append(b, `","`...)
		b = c.QuoteVolume.AppendTrim(b, int(c.QuoteVolume.Scale))
	}
	b = append(b, `"],"time":`...)
	if t.futures {
		b = strconv.AppendInt(b, u.EventTime, 10)
	} else {
		b = strconv.AppendInt(b, u.EventTime*1_000_000, 10)
	}
	return append(b, "}}"...)
}

// subscribeSurface starts the surface topics (wsmarket.go), driven by
// the 1s candles of their symbols.
func (p *wsProto) subscribeSurface(s *plugins.Session, m wsMsg, targets []target, every time.Duration) {
	if m.Response {
		s.SendJSON(map[string]any{"id": m.ID, "type": "ack"})
	}
	for _, t := range targets {
		if m.Type == "unsubscribe" {
			s.Unsubscribe(t.key)
			continue
		}
		encode := p.surfaceEncoder(s, t)
		if encode == nil {
			continue // nothing to push in this mode
		}
		err := s.SubscribeTicks(t.key, t.native, every, encode)
		if errors.Is(err, plugins.ErrTooManyStreams) {
			sendErr(s, m.ID, 509, "exceed max subscription count limitation of 400 per session")
			return
		}
		if err != nil {
			sendErr(s, m.ID, 500, "internal error")
			return
		}
	}
}
