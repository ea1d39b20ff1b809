package bybit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// pushEvery is the cadence of in-progress kline pushes, in virtual time
// (Bybit documents 1-60s; it pushes about every second when trading).
const pushEvery = time.Second

// maxSpotArgs is Bybit's cap on topics per spot subscribe request.
const maxSpotArgs = 10

// Bybit has no server pings: clients send {"op":"ping"} (ccxt every 18s,
// Bybit recommends 20s) and the server answers.
var wsOptions = plugins.WSOptions{}

type wsProtocol struct{ h *handler }

// wsRequest is a client message. Fields Bybit does not know (ccxt's
// callerMethodName) are ignored.
type wsRequest struct {
	Op    string          `json:"op"`
	ReqID json.RawMessage `json:"req_id"`
	Args  []string        `json:"args"`
}

type wsAck struct {
	Success bool    `json:"success"`
	RetMsg  string  `json:"ret_msg"`
	ConnID  string  `json:"conn_id"`
	ReqID   *string `json:"req_id,omitempty"`
	Op      string  `json:"op"`
}

func newConnID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Open implements plugins.Protocol.
func (p *wsProtocol) Open(s *plugins.Session) error {
	s.State = newConnID()
	return nil
}

// reqID renders the client's req_id as the string Bybit echoes; numbers
// are echoed in their decimal form.
func reqID(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	return strings.Trim(string(raw), `"`), true
}

// Message implements plugins.Protocol.
func (p *wsProtocol) Message(s *plugins.Session, _ int, data []byte) {
	connID, _ := s.State.(string)
	var req wsRequest
	if err := json.Unmarshal(data, &req); err != nil {
		s.SendJSON(wsAck{Success: false, RetMsg: "error:request not supported", ConnID: connID})
		return
	}
	ack := wsAck{Success: true, ConnID: connID, Op: req.Op}
	id, hasID := reqID(req.ReqID)
	// Linear acks always carry req_id (empty when none was sent); spot
	// acks only when the client sent one.
	if hasID || p.h.ex.category == "linear" {
		ack.ReqID = &id
	}
	switch req.Op {
	case "ping":
		ack.RetMsg = "pong"
		ack.Op = "ping"
	case "subscribe":
		if p.h.ex.category == "spot" {
			ack.RetMsg = "subscribe"
		}
		if p.h.ex.category == "spot" && len(req.Args) > maxSpotArgs {
			ack.Success, ack.RetMsg = false, "args size >"+strconv.Itoa(maxSpotArgs)
			break
		}
		if msg := p.subscribe(s, req.Args); msg != "" {
			ack.Success, ack.RetMsg = false, msg
		}
	case "unsubscribe":
		var bad []string
		for _, t := range req.Args {
			if !s.Unsubscribe(t) {
				bad = append(bad, t)
			}
		}
		if len(bad) > 0 {
			ack.Success, ack.RetMsg = false, "error:not subscribed,topic:"+strings.Join(bad, ",")
		}
	default:
		ack.Success, ack.RetMsg = false, "error:request not supported"
	}
	s.SendJSON(ack)
}

// subscribe starts every valid topic and returns Bybit's failure message
// for the rest ("" when all succeeded).
func (p *wsProtocol) subscribe(s *plugins.Session, topics []string) string {
	var invalid, dup []string
	for _, t := range topics {
		if s.Subscribed(t) {
			dup = append(dup, t)
			continue
		}
		if handled, ok := p.bookTopic(s, t); handled {
			if !ok {
				invalid = append(invalid, t)
			}
			continue
		}
		if handled, ok := p.surfaceTopic(s, t); handled {
			if !ok {
				invalid = append(invalid, t)
			}
			continue
		}
		sym, iv, ivName, ok := p.parseTopic(t)
		if !ok {
			invalid = append(invalid, t)
			continue
		}
		if s.Subscribed(t) {
			dup = append(dup, t)
			continue
		}
		topic := t
		err := s.Subscribe(t, sym, iv, pushEvery, func(u cc.Update) []byte {
			return appendPush(nil, topic, ivName, u)
		})
		if err != nil {
			invalid = append(invalid, t)
		}
	}
	switch {
	case len(invalid) > 0:
		return "Invalid symbol :[" + strings.Join(invalid, ",") + "]"
	case len(dup) > 0:
		return "error:already subscribed,topic:" + strings.Join(dup, ",")
	}
	return ""
}

// parseTopic splits kline.{interval}.{symbol}.
func (p *wsProtocol) parseTopic(t string) (sym string, iv cc.Interval, ivName string, ok bool) {
	parts := strings.Split(t, ".")
	if len(parts) != 3 || parts[0] != "kline" {
		return "", "", "", false
	}
	iv, ok = intervals.Parse(parts[1])
	if !ok || !p.h.served(p.h.ex.category, parts[2]) {
		return "", "", "", false
	}
	return parts[2], iv, parts[1], true
}

// appendPush writes one kline push for u.
func appendPush(b []byte, topic, ivName string, u cc.Update) []byte {
	c := u.Candle
	b = append(b, `{"topic":"`...)
	b = append(b, topic...)
	b = append(b, `","data":[{"start":`...)
	b = strconv.AppendInt(b, c.OpenTime, 10)
	b = append(b, `,"end":`...)
	b = strconv.AppendInt(b, c.CloseTime, 10)
	b = append(b, `,"interval":"`...)
	b = append(b, ivName...)
	for _, f := range []struct {
		name string
		d    cc.Decimal
	}{{"open", c.Open}, {"close", c.Close}, {"high", c.High}, {"low", c.Low}, {"volume", c.Volume}, {"turnover", c.QuoteVolume}} {
		b = append(b, `","`...)
		b = append(b, f.name...)
		b = append(b, `":"`...)
		b = num(b, f.d)
	}
	b = append(b, `","confirm":`...)
	b = strconv.AppendBool(b, c.Closed)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, u.EventTime, 10)
	b = append(b, `}],"ts":`...)
	b = strconv.AppendInt(b, u.EventTime, 10)
	return append(b, `,"type":"snapshot"}`...)
}
