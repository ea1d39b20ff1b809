package ascendex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// pushEvery is the virtual cadence of in-progress bar pushes.
const pushEvery = 2 * time.Second

// pingEvery is how often the server sends {"m":"ping"}.
const pingEvery = 15 * time.Second

// AscendEX drops a session that has answered no ping for a while.
var wsOptions = plugins.WSOptions{ReadTimeout: 2 * time.Minute}

func (s *server) ws(w http.ResponseWriter, r *http.Request) {
	plugins.ServeWS(s.env, w, r, &proto{s: s}, wsOptions)
}

type proto struct {
	s  *server
	hp atomic.Int64
}

// Open greets the client and starts the server's application pings.
func (p *proto) Open(sess *plugins.Session) error {
	if err := sess.SendJSON(map[string]string{"m": "connected", "type": "unauth"}); err != nil {
		return err
	}
	sess.Go(func() {
		t := time.NewTicker(pingEvery)
		defer t.Stop()
		for {
			select {
			case <-sess.Context().Done():
				return
			case <-t.C:
				hp := p.hp.Add(1)
				if sess.SendJSON(map[string]any{"m": "ping", "hp": hp}) != nil {
					return
				}
			}
		}
	})

	return nil
}

type wsReq struct {
	Op     string          `json:"op"`
	ID     json.RawMessage `json:"id"`
	Ch     string          `json:"ch"`
	Hp     *int64          `json:"hp"`
	Action string          `json:"action"`
	Args   struct {
		Symbol string `json:"symbol"`
	} `json:"args"`
}

func idOf(raw json.RawMessage) any {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n
	}
	return nil
}

func (p *proto) fail(sess *plugins.Session, req *wsReq, code int, reason, msg string) {
	m := map[string]any{"m": "error", "code": code, "reason": reason, "info": msg}
	if id := idOf(req.ID); id != nil {
		m["id"] = id
	}
	sess.SendJSON(m)
}

func (p *proto) Message(sess *plugins.Session, typ int, data []byte) {
	var req wsReq
	if err := json.Unmarshal(data, &req); err != nil {
		p.fail(sess, &req, 150001, "INVALID_JSON_FORMAT", "Invalid JSON format: "+strings.TrimSpace(string(data)))
		return
	}
	switch req.Op {
	case "ping":
		sess.SendJSON(map[string]any{"m": "pong", "code": 0, "ts": p.s.now()})
	case "pong":
		// An answer to our ping; receiving it already kept the session alive.
	case "sub", "unsub":
		p.sub(sess, &req)
	case "req":
		if req.Action != "depth-snapshot" {
			p.fail(sess, &req, 100005, "INVALID_WS_REQUEST_DATA", fmt.Sprintf("Invalid request action %q", req.Action))
			return
		}
		p.depthSnapshot(sess, &req)
	default:
		p.fail(sess, &req, 100005, "INVALID_WS_REQUEST_DATA", fmt.Sprintf("Invalid request op %q", req.Op))
	}
}

func (p *proto) sub(sess *plugins.Session, req *wsReq) {
	if name, sym, ok := strings.Cut(req.Ch, ":"); ok && (name == "trades" || name == "bbo") {
		p.marketSub(sess, req, name, sym)
		return
	}
	if name, sym, ok := strings.Cut(req.Ch, ":"); ok && name == "depth" {
		p.depthSub(sess, req, sym)
		return
	}
	parts := strings.SplitN(req.Ch, ":", 3)
	if len(parts) != 3 || parts[0] != "bar" {
		p.fail(sess, req, 100005, "INVALID_WS_REQUEST_DATA", "Invalid channel "+req.Ch)
		return
	}
	ivName, sym := parts[1], parts[2]
	iv, known := intervals.Parse(ivName)
	if !known {
		p.fail(sess, req, 100006, "INVALID_ARGUMENT", "Invalid interval "+ivName)
		return
	}
	if _, found := p.s.env.PairBySymbol(sym); !found {
		p.fail(sess, req, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
		return
	}
	ack := map[string]any{"m": req.Op, "ch": req.Ch, "code": 0}
	if id := idOf(req.ID); id != nil {
		ack["id"] = id
	}
	if req.Op == "unsub" {
		sess.Unsubscribe(req.Ch)
		sess.SendJSON(ack)
		return
	}
	sess.SendJSON(ack)
	err := sess.Subscribe(req.Ch, sym, iv, pushEvery, func(u cc.Update) []byte {
		return appendBar(nil, sym, ivName, u.Candle)
	})
	if err != nil {
		p.fail(sess, req, 100101, "UNKNOWN_ERROR", err.Error())
	}
}

// DecodeFrame implements plugins.Plugin for {"m":"bar"} pushes, which
// carry neither an event time nor a closed flag.
func (*Spot) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var b bar
	if err := json.Unmarshal(frame, &b); err != nil || b.M != "bar" {
		return nil, plugins.ErrNotCandles
	}
	iv, ok := intervals.Parse(b.Data.I)
	if !ok {
		return nil, fmt.Errorf("%w: interval %q", plugins.ErrNotCandles, b.Data.I)
	}
	return []cc.Update{{Symbol: b.S, Interval: iv, Candle: b.candle(iv, false)}}, nil
}
