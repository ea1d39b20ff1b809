package coinbase

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// wsOptions: Coinbase sends no protocol pings of its own; clients keep
// connections open with the heartbeats channel.
var wsOptions = plugins.WSOptions{}

// subscribeDeadline is how long Coinbase waits for a first subscribe
// before closing the connection.
const subscribeDeadline = 5 * time.Second

// heartbeatEvery is the heartbeats channel's real-time cadence.
const heartbeatEvery = time.Second

// wsRequest is a client's subscribe or unsubscribe message.
type wsRequest struct {
	Type       string   `json:"type"`
	ProductIDs []string `json:"product_ids"`
	Channel    string   `json:"channel"`
	JWT        string   `json:"jwt"`
}

// wsProto is one connection's protocol state.
type wsProto struct {
	mu         sync.Mutex
	seq        int64
	snapshots  map[string]bool     // product ids whose snapshot went out
	candles    []string            // subscribed candle products, in order
	market     map[string][]string // market_trades, ticker, ticker_batch products, in order
	heartbeats bool
	hbGen      int // bumped per heartbeats subscribe so a stale beater stops
	subscribed bool
}

var _ plugins.Protocol = (*wsProto)(nil)

func (p *wsProto) Open(s *plugins.Session) error {
	p.snapshots = map[string]bool{}
	p.market = map[string][]string{}
	t := time.AfterFunc(subscribeDeadline, func() {
		p.mu.Lock()
		ok := p.subscribed
		p.mu.Unlock()
		if !ok {
			s.Close(websocket.CloseNormalClosure, "subscribe timeout")
		}
	})
	context.AfterFunc(s.Context(), func() { t.Stop() })
	return nil
}

// send queues an envelope of channel with events; the lock keeps
// sequence_num in queue order.
func (p *wsProto) send(s *plugins.Session, channel string, at time.Time, events any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sendLocked(s, channel, at, events)
}

func (p *wsProto) sendLocked(s *plugins.Session, channel string, at time.Time, events any) {
	p.sendLockedAs(s, channel, at, events, "")
}

// sendLockedAs is sendLocked for a level2 update of the book named book
// (not ""), which goes through the protocol faults (no checksum: a gap
// shows as sequence_num jumping).
func (p *wsProto) sendLockedAs(s *plugins.Session, channel string, at time.Time, events any, book string) {
	b, err := json.Marshal(struct {
		Channel     string `json:"channel"`
		Timestamp   string `json:"timestamp"`
		SequenceNum int64  `json:"sequence_num"`
		Events      any    `json:"events"`
	}{channel, at.UTC().Format(time.RFC3339Nano), p.seq, events})
	if err != nil {
		return
	}
	p.seq++
	if book != "" {
		s.SendBookDiff(book, b, nil)
		return
	}
	s.Send(b)
}

func sendError(s *plugins.Session, msg string) {
	b, _ := json.Marshal(struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}{"error", msg})
	s.Send(b)
}

func (p *wsProto) Message(s *plugins.Session, typ int, data []byte) {
	var req wsRequest
	if err := json.Unmarshal(data, &req); err != nil {
		sendError(s, "malformed JSON")
		return
	}
	if req.Type != "subscribe" && req.Type != "unsubscribe" {
		sendError(s, "unknown message type: "+strconv.Quote(req.Type))
		return
	}
	env := s.Env()
	switch req.Channel {
	case "heartbeats":
		p.mu.Lock()
		start := req.Type == "subscribe" && !p.heartbeats
		p.heartbeats = req.Type == "subscribe"
		p.subscribed = true
		if start {
			p.hbGen++
			gen := p.hbGen
			s.Go(func() { p.beat(s, gen) })
		}
		p.mu.Unlock()
	case "candles":
		if len(req.ProductIDs) == 0 {
			sendError(s, "product_ids is required for channel candles")
			return
		}
		for _, id := range req.ProductIDs {
			if _, ok := env.PairBySymbol(id); !ok {
				sendError(s, "failure to subscribe")
				return
			}
		}
		for _, id := range req.ProductIDs {
			key := "candles:" + id
			if req.Type == "unsubscribe" {
				s.Unsubscribe(key)
				p.mu.Lock()
				p.candles = slices.DeleteFunc(p.candles, func(x string) bool { return x == id })
				delete(p.snapshots, id)
				p.mu.Unlock()
				continue
			}
			if s.Subscribed(key) {
				continue
			}
			p.mu.Lock()
			p.candles = append(p.candles, id)
			p.subscribed = true
			p.mu.Unlock()
			id := id
			err := s.Subscribe(key, id, wsInterval, time.Second, func(u cc.Update) []byte {
				p.pushCandle(s, id, u)
				return nil
			})
			if err != nil {
				sendError(s, "failure to subscribe")
				return
			}
		}
	case "market_trades", "ticker", "ticker_batch", "level2":
		if len(req.ProductIDs) == 0 {
			sendError(s, "product_ids is required for channel "+req.Channel)
			return
		}
		for _, id := range req.ProductIDs {
			if _, ok := env.PairBySymbol(id); !ok {
				sendError(s, "failure to subscribe")
				return
			}
		}
		for _, id := range req.ProductIDs {
			key := req.Channel + ":" + id
			if req.Type == "unsubscribe" {
				s.Unsubscribe(key)
				p.mu.Lock()
				p.market[req.Channel] = slices.DeleteFunc(p.market[req.Channel], func(x string) bool { return x == id })
				p.mu.Unlock()
				continue
			}
			if s.Subscribed(key) {
				continue
			}
			p.mu.Lock()
			p.market[req.Channel] = append(p.market[req.Channel], id)
			p.subscribed = true
			p.mu.Unlock()
			subscribe := p.subscribeMarket
			if req.Channel == "level2" {
				subscribe = func(s *plugins.Session, _, id string) error { return p.subscribeLevel2(s, id) }
			}
			if err := subscribe(s, req.Channel, id); err != nil {
				sendError(s, "failure to subscribe")
				return
			}
		}
	case "":
		sendError(s, "channel is required")
		return
	default:
		sendError(s, "channel "+strconv.Quote(req.Channel)+" is not available")
		return
	}
	p.sendSubscriptions(s)
}

// pushCandle sends one candles event: a snapshot the first time for a
// product, updates after.
func (p *wsProto) pushCandle(s *plugins.Session, id string, u cc.Update) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.candles, id) {
		return
	}
	kind := "update"
	if !p.snapshots[id] {
		kind = "snapshot"
		p.snapshots[id] = true
	}
	b := append([]byte(`[{"type":"`), kind...)
	b = append(b, `","candles":[`...)
	b = appendCandle(b, u.Candle, id, true)
	b = append(b, "]}]"...)
	p.sendLocked(s, "candles", time.UnixMilli(u.EventTime), json.RawMessage(b))
}

func (p *wsProto) sendSubscriptions(s *plugins.Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	subs := map[string][]string{}
	if len(p.candles) > 0 {
		subs["candles"] = append([]string(nil), p.candles...)
	}
	for _, ch := range marketChannels {
		if len(p.market[ch]) > 0 {
			subs[ch] = append([]string(nil), p.market[ch]...)
		}
	}
	if p.heartbeats {
		subs["heartbeats"] = []string{"heartbeats"}
	}
	p.sendLocked(s, "subscriptions", s.Env().Clock.Now(), []any{map[string]any{"subscriptions": subs}})
}

// beat runs the heartbeats channel until the session ends or the client
// unsubscribes.
func (p *wsProto) beat(s *plugins.Session, gen int) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	var counter int64
	for {
		select {
		case <-s.Context().Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		if !p.heartbeats || p.hbGen != gen {
			p.mu.Unlock()
			return
		}
		counter++
		now := s.Env().Clock.Now().UTC()
		p.sendLocked(s, "heartbeats", now, []any{map[string]any{
			"current_time":      now.String(),
			"heartbeat_counter": counter,
		}})
		p.mu.Unlock()
	}
}
