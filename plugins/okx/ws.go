package okx

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// pushEvery is the cadence of in-progress candle pushes in virtual time
// (OKX pushes candles at most every 500ms).
const pushEvery = 500 * time.Millisecond

// idleTimeout closes a connection on which no data moved either way: OKX
// cuts connections that neither subscribed nor received data for 30s.
// Atomic so tests can shorten it while other sessions run.
var idleTimeout = func() *atomic.Int64 {
	var v atomic.Int64
	v.Store(int64(30 * time.Second))
	return &v
}()

// OKX sends no ping frames; clients send the text "ping" (ccxt every 18s).
var wsOptions = plugins.WSOptions{}

type wsProtocol struct {
	h        *handler
	business bool
}

// conn is a session's OKX state.
type conn struct {
	id   string
	last atomic.Int64 // UnixNano of the last frame either way
}

func (c *conn) touch() { c.last.Store(time.Now().UnixNano()) }

type wsArg struct {
	Channel string `json:"channel"`
	InstID  string `json:"instId"`
}

type wsRequest struct {
	ID   string  `json:"id,omitempty"`
	Op   string  `json:"op"`
	Args []wsArg `json:"args"`
}

type wsEvent struct {
	ID     string `json:"id,omitempty"`
	Event  string `json:"event"`
	Arg    *wsArg `json:"arg,omitempty"`
	Code   string `json:"code,omitempty"`
	Msg    string `json:"msg,omitempty"`
	ConnID string `json:"connId"`
}

// Open implements plugins.Protocol: it starts the idle watchdog.
func (p *wsProtocol) Open(s *plugins.Session) error {
	var b [4]byte
	rand.Read(b[:])
	c := &conn{id: hex.EncodeToString(b[:])}
	c.touch()
	s.State = c
	// A forced resync (the network simulation's) is OKX's service-upgrade
	// notice, then the close.
	s.OnResync(func() ([]byte, int, string) {
		b, _ := json.Marshal(wsEvent{Event: "notice", Code: "64008",
			Msg: "The connection will soon be closed for a service upgrade. Please reconnect.", ConnID: c.id})
		return b, websocket.CloseGoingAway, ""
	})
	idle := time.Duration(idleTimeout.Load())
	s.Go(func() {
		t := time.NewTicker(idle / 30)
		defer t.Stop()
		for {
			select {
			case <-s.Context().Done():
				return
			case <-t.C:
				if time.Since(time.Unix(0, c.last.Load())) > idle {
					s.Close(4004, "No data received in 30s.")
					return
				}
			}
		}
	})

	return nil
}

// Message implements plugins.Protocol.
func (p *wsProtocol) Message(s *plugins.Session, _ int, data []byte) {
	c := s.State.(*conn)
	c.touch()
	if string(data) == "ping" {
		s.Send([]byte("pong"))
		return
	}
	var req wsRequest
	if err := json.Unmarshal(data, &req); err != nil || (req.Op != "subscribe" && req.Op != "unsubscribe") || len(req.Args) == 0 {
		s.SendJSON(wsEvent{ID: req.ID, Event: "error", Code: "60012", Msg: "Invalid request: " + string(data), ConnID: c.id})
		return
	}
	for _, a := range req.Args {
		a := a
		if req.Op == "unsubscribe" {
			s.Unsubscribe(a.Channel + ":" + a.InstID)
			s.SendJSON(wsEvent{ID: req.ID, Event: "unsubscribe", Arg: &a, ConnID: c.id})
			continue
		}
		if msg := p.subscribe(s, c, a); msg != "" {
			s.SendJSON(wsEvent{ID: req.ID, Event: "error", Code: "60018", Msg: msg, ConnID: c.id})
			continue
		}
		s.SendJSON(wsEvent{ID: req.ID, Event: "subscribe", Arg: &a, ConnID: c.id})
	}
}

// subscribe starts a candle channel and returns OKX's 60018 message when
// the channel, the instrument or the socket is wrong.
func (p *wsProtocol) subscribe(s *plugins.Session, c *conn, a wsArg) string {
	wrong := "Wrong URL or channel:" + a.Channel + ",instId:" + a.InstID +
		" doesn't exist. Please use the correct URL, channel and parameters referring to API document."
	if handled, msg := p.publicChannel(s, c, a, wrong); handled {
		return msg
	}
	name, isCandle := strings.CutPrefix(a.Channel, "candle")
	b, ok := bars[name]
	if !isCandle || !ok || !p.business {
		return wrong
	}
	if _, ok := p.h.pairOf(a.InstID); !ok {
		return wrong
	}
	key := a.Channel + ":" + a.InstID
	arg := a
	exp, swap := p.h.contractExp(a.InstID)
	encode := func(u cc.Update) []byte {
		c.touch()
		return p.appendPush(nil, arg, u.Candle, exp, swap)
	}
	iv := b.iv
	if iv == "" {
		// Aggregated bars follow the minute feed: each push is the bar as
		// the market stands at the update's time.
		iv = cc.Interval1m
		tracker := &barTracker{bar: b, market: p.h.env.Market, sym: a.InstID}
		encode = func(u cc.Update) []byte {
			cand, ok, err := tracker.at(s.Context(), u.EventTime)
			if err != nil || !ok {
				return nil
			}
			c.touch()
			return p.appendPush(nil, arg, cand, exp, swap)
		}
	}
	if err := s.Subscribe(key, a.InstID, iv, pushEvery, encode); err != nil {
		return wrong
	}
	return ""
}

// appendPush writes {"arg":{...},"data":[[ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]]}.
func (p *wsProtocol) appendPush(b []byte, a wsArg, c cc.Candle, exp int, swap bool) []byte {
	b = append(b, `{"arg":{"channel":"`...)
	b = append(b, a.Channel...)
	b = append(b, `","instId":"`...)
	b = append(b, a.InstID...)
	b = append(b, `"},"data":[`...)
	b = p.h.appendRow(b, c, exp, swap)
	return append(b, "]}"...)
}
