package hyperliquid

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// pushEvery is the virtual cadence of candle pushes (Hyperliquid pushes on
// every trade).
const pushEvery = time.Second

// Hyperliquid closes a connection that sent nothing for 60 seconds.
var wsOptions = plugins.WSOptions{ReadTimeout: time.Minute}

func (s *server) ws(w http.ResponseWriter, r *http.Request) {
	plugins.ServeWS(s.env, w, r, &proto{s: s}, wsOptions)
}

type proto struct{ s *server }

func (p *proto) Open(*plugins.Session) error { return nil }

type wsReq struct {
	Method       string          `json:"method"`
	Subscription json.RawMessage `json:"subscription"`
}

type candleSub struct {
	Type     string `json:"type"`
	Coin     string `json:"coin"`
	Interval string `json:"interval,omitempty"`
	l2Opts
}

func wsError(sess *plugins.Session, msg string) {
	sess.SendJSON(map[string]any{"channel": "error", "data": msg})
}

func (p *proto) Message(sess *plugins.Session, typ int, data []byte) {
	var req wsReq
	if err := json.Unmarshal(data, &req); err != nil || req.Method == "" {
		wsError(sess, "Error parsing JSON into valid websocket request: "+strings.TrimSpace(string(data)))
		return
	}
	switch req.Method {
	case "ping":
		sess.SendJSON(map[string]string{"channel": "pong"})
	case "subscribe", "unsubscribe":
		var sub candleSub
		if err := json.Unmarshal(req.Subscription, &sub); err != nil || sub.Type == "" {
			wsError(sess, "Error parsing JSON into valid websocket request: "+strings.TrimSpace(string(data)))
			return
		}
		key, _ := json.Marshal(sub)
		if sub.Type == "l2Book" {
			p.l2BookSub(sess, req.Method, sub, string(key))
			return
		}
		if marketSubs[sub.Type] {
			p.marketSub(sess, req.Method, sub, string(key))
			return
		}
		if sub.Type != "candle" {
			wsError(sess, "Invalid subscription "+string(key))
			return
		}
		iv, ok := intervals.Parse(sub.Interval)
		pair, found := p.s.pairByCoin(sub.Coin)
		if !ok || !found {
			wsError(sess, "Invalid subscription "+string(key))
			return
		}
		if req.Method == "unsubscribe" {
			if !sess.Unsubscribe(string(key)) {
				wsError(sess, "Already unsubscribed: "+string(key))
				return
			}
			sess.SendJSON(map[string]any{"channel": "subscriptionResponse", "data": map[string]any{"method": "unsubscribe", "subscription": sub}})
			return
		}
		if sess.Subscribed(string(key)) {
			wsError(sess, "Already subscribed: "+string(key))
			return
		}
		sess.SendJSON(map[string]any{"channel": "subscriptionResponse", "data": map[string]any{"method": "subscribe", "subscription": sub}})
		coin, ivName := sub.Coin, sub.Interval
		err := sess.Subscribe(string(key), pair.Symbol, iv, pushEvery, func(u cc.Update) []byte {
			b := append([]byte(`{"channel":"candle","data":`), appendCandle(nil, coin, ivName, iv, u.Candle)...)
			return append(b, '}')
		})
		if err != nil {
			wsError(sess, fmt.Sprintf("Internal error: %v", err))
		}
	default:
		wsError(sess, "Error parsing JSON into valid websocket request: "+strings.TrimSpace(string(data)))
	}
}

// DecodeFrame implements plugins.Plugin for candle pushes. They carry no
// event time nor closed flag; see the package doc.
func (a *api) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var msg struct {
		Channel string `json:"channel"`
		Data    candle `json:"data"`
	}
	if err := json.Unmarshal(frame, &msg); err != nil || msg.Channel != "candle" {
		return nil, plugins.ErrNotCandles
	}
	iv, ok := intervals.Parse(msg.Data.I)
	if !ok {
		return nil, fmt.Errorf("%w: interval %q", plugins.ErrNotCandles, msg.Data.I)
	}
	return []cc.Update{{Symbol: msg.Data.S, Interval: iv, Candle: msg.Data.candle(iv, false)}}, nil
}
