package kraken

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// wsV1 is a connection of Kraken's WS API v1 (ws.kraken.com, here the
// root path): event objects for control, arrays for data, XBT/USD pairs.
type wsV1 struct {
	heartbeats
}

var _ plugins.Protocol = (*wsV1)(nil)

var channelIDs atomic.Int64

type v1Request struct {
	Event        string   `json:"event"`
	Pair         []string `json:"pair"`
	ReqID        *int64   `json:"reqid,omitempty"`
	Subscription struct {
		Name     string `json:"name"`
		Interval *int   `json:"interval"`
	} `json:"subscription"`
}

func (p *wsV1) Open(s *plugins.Session) error {
	return s.SendJSON(map[string]any{
		"connectionID": 8_628_615_390_848_610_000 + uint64(connectionIDs.Add(1)),
		"event":        "systemStatus", "status": "online", "version": "1.9.5",
	})
}

// status is a subscriptionStatus reply; fields Kraken leaves out are
// omitted.
type status struct {
	ChannelID    int64          `json:"channelID,omitempty"`
	ChannelName  string         `json:"channelName,omitempty"`
	ErrorMessage string         `json:"errorMessage,omitempty"`
	Event        string         `json:"event"`
	Pair         string         `json:"pair,omitempty"`
	ReqID        *int64         `json:"reqid,omitempty"`
	Status       string         `json:"status"`
	Subscription map[string]any `json:"subscription"`
}

func (p *wsV1) Message(s *plugins.Session, typ int, data []byte) {
	var req v1Request
	if err := json.Unmarshal(data, &req); err != nil {
		s.SendJSON(map[string]any{"errorMessage": "Malformed request", "event": "error"})
		return
	}
	switch req.Event {
	case "ping":
		s.SendJSON(struct {
			Event string `json:"event"`
			ReqID *int64 `json:"reqid,omitempty"`
		}{"pong", req.ReqID})
		return
	case "subscribe", "unsubscribe":
	default:
		s.SendJSON(map[string]any{"errorMessage": "Unsupported event", "event": "error"})
		return
	}
	m := 1
	if req.Subscription.Interval != nil {
		m = *req.Subscription.Interval
	}
	sub := map[string]any{"name": req.Subscription.Name, "interval": m}
	fail := func(pair, msg string) {
		s.SendJSON(status{ErrorMessage: msg, Event: "subscriptionStatus", Pair: pair, ReqID: req.ReqID, Status: "error", Subscription: sub})
	}
	if req.Subscription.Name != "ohlc" {
		delete(sub, "interval")
		fail("", "Subscription name invalid")
		return
	}
	f, ok := frameOf(m)
	if !ok {
		fail("", "Subscription ohlc interval not supported")
		return
	}
	if len(req.Pair) == 0 {
		fail("", "Pair(s) not found")
		return
	}
	env := s.Env()
	name := "ohlc-" + strconv.Itoa(m)
	for _, wsname := range req.Pair {
		native, _ := symbolOfKey(strings.ToUpper(wsname))
		pair, found := env.PairBySymbol(native)
		if !found {
			fail(wsname, "Currency pair not supported")
			continue
		}
		key := "v1:" + name + ":" + pair.Symbol
		if req.Event == "unsubscribe" {
			if !s.Unsubscribe(key) {
				fail(wsname, "Subscription Not Found")
				continue
			}
			s.SendJSON(status{Event: "subscriptionStatus", Pair: wsname, ReqID: req.ReqID, Status: "unsubscribed", ChannelName: name, Subscription: sub})
			continue
		}
		if s.Subscribed(key) {
			fail(wsname, "Already subscribed")
			continue
		}
		id := channelIDs.Add(1)
		s.SendJSON(status{ChannelID: id, ChannelName: name, Event: "subscriptionStatus", Pair: wsname, ReqID: req.ReqID, Status: "subscribed", Subscription: sub})
		places := int(-1)
		err := s.Subscribe(key, pair.Symbol, f.iv, time.Second, func(u cc.Update) []byte {
			u = f.update(s.Context(), env.Market, pair.Symbol, u)
			if places < 0 {
				places = int(u.Candle.Close.Scale)
			}
			return encodeV1(id, name, wsname, u, places)
		})
		if err != nil {
			fail(wsname, "Subscription failed")
			continue
		}
		p.startHeartbeat(s)
	}
}

// encodeV1 writes [channelID,["time","etime","open","high","low","close",
// "vwap","volume",count],"ohlc-N","XBT/USD"]: times are seconds with
// microseconds, etime the end of the interval.
func encodeV1(id int64, name, pair string, u cc.Update, places int) []byte {
	c := u.Candle
	b := strconv.AppendInt([]byte{'['}, id, 10)
	b = append(b, `,["`...)
	b = appendSeconds(b, u.EventTime)
	b = append(b, `","`...)
	b = appendSeconds(b, c.CloseTime+1)
	for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close, vwap(c, places)} {
		b = append(b, `","`...)
		b = d.Append(b, places)
	}
	b = append(b, `","`...)
	b = c.Volume.Append(b, 8)
	b = append(b, `",`...)
	b = strconv.AppendInt(b, c.Trades, 10)
	b = append(b, `],"`...)
	b = append(b, name...)
	b = append(b, `","`...)
	b = append(b, pair...)
	return append(b, `"]`...)
}

// appendSeconds writes Unix ms as seconds with six decimals.
func appendSeconds(b []byte, ms int64) []byte {
	return cc.NewDecimal(ms*1000, 6).Append(b, 6)
}

// startHeartbeat begins v1's once-a-second heartbeat events.
func (p *wsV1) startHeartbeat(s *plugins.Session) {
	p.start(s, `{"event":"heartbeat"}`)
}
