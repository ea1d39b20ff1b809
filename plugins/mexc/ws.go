package mexc

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// pushEvery is the virtual cadence of in-progress kline pushes.
const pushEvery = 2 * time.Second

// MEXC drops a connection that sent nothing (not even a ping) for a
// minute.
var wsOptions = plugins.WSOptions{ReadTimeout: time.Minute}

func (s *server) spotWS(w http.ResponseWriter, r *http.Request) {
	plugins.ServeWS(s.env, w, r, &spotProto{s: s}, wsOptions)
}

func (s *server) contractWS(w http.ResponseWriter, r *http.Request) {
	plugins.ServeWS(s.env, w, r, &contractProto{s: s}, wsOptions)
}

// spotProto is the spot WS protocol: JSON requests and acks, protobuf
// pushes.
type spotProto struct{ s *server }

func (p *spotProto) Open(*plugins.Session) error { return nil }

type spotReq struct {
	Method string   `json:"method"`
	Params []string `json:"params"`
	ID     int64    `json:"id"`
}

func spotAck(s *plugins.Session, id int64, msg string) {
	s.SendJSON(map[string]any{"id": id, "code": 0, "msg": msg})
}

const klinePrefix = "spot@public.kline.v3.api.pb@"

func (p *spotProto) Message(sess *plugins.Session, typ int, data []byte) {
	var req spotReq
	if err := json.Unmarshal(data, &req); err != nil {
		spotAck(sess, 0, "wrong param")
		return
	}
	switch strings.ToUpper(req.Method) {
	case "PING":
		spotAck(sess, req.ID, "PONG")
	case "SUBSCRIPTION":
		var ok, bad []string
		for _, ch := range req.Params {
			if p.subscribe(sess, ch) {
				ok = append(ok, ch)
			} else {
				bad = append(bad, ch)
			}
		}
		if len(ok) > 0 {
			spotAck(sess, req.ID, strings.Join(ok, ","))
		}
		if len(bad) > 0 {
			spotAck(sess, req.ID, "Not Subscribed successfully! ["+strings.Join(bad, ",")+"].  Reason： Blocked! ")
		}
	case "UNSUBSCRIPTION":
		for _, ch := range req.Params {
			sess.Unsubscribe(ch)
		}
		spotAck(sess, req.ID, strings.Join(req.Params, ","))
	default:
		spotAck(sess, req.ID, "wrong param")
	}
}

func (p *spotProto) subscribe(sess *plugins.Session, ch string) bool {
	if ok, handled := p.subscribeMarket(sess, ch); handled {
		return ok
	}
	if ok, handled := p.subscribeDepth(sess, ch); handled {
		return ok
	}
	rest, ok := strings.CutPrefix(ch, klinePrefix)
	if !ok {
		return false
	}
	sym, ivName, ok := strings.Cut(rest, "@")
	if !ok {
		return false
	}
	iv, ok := wsIntervals.Parse(ivName)
	if !ok {
		return false
	}
	pair, ok := p.s.pairBySpot(sym)
	if !ok {
		return false
	}
	id := symbolID(sym)
	enc := func(u cc.Update) []byte {
		c := u.Candle
		return encodeKline(&klinePush{
			Channel: ch, Symbol: sym, SymbolID: id, CreateTime: u.EventTime, SendTime: u.EventTime,
			Interval: ivName, WindowStart: c.OpenTime / 1000, WindowEnd: iv.Next(c.OpenTime) / 1000,
			Open: c.Open, Close: c.Close, High: c.High, Low: c.Low, Volume: c.Volume, Amount: c.QuoteVolume,
		})
	}
	err := sess.Subscribe(ch, pair.Symbol, iv, pushEvery, func(u cc.Update) []byte {
		b := enc(u)
		if sess.SendMessage(websocket.BinaryMessage, b) != nil {
			return nil
		}
		return nil
	})
	return err == nil
}

// symbolID is a stable 32-hex id per symbol, like MEXC's symbolId.
func symbolID(sym string) string {
	h := fnv.New128a()
	h.Write([]byte(sym))
	return fmt.Sprintf("%x", h.Sum(nil))
}

// contractProto is the futures WS protocol at /edge.
type contractProto struct{ s *server }

func (p *contractProto) Open(*plugins.Session) error { return nil }

type contractReq struct {
	Method string `json:"method"`
	Param  struct {
		Symbol   string `json:"symbol"`
		Interval string `json:"interval"`
		Limit    int    `json:"limit"`
	} `json:"param"`
}

func (p *contractProto) send(sess *plugins.Session, channel string, data any) {
	sess.SendJSON(map[string]any{"channel": channel, "data": data, "ts": p.s.now()})
}

func (p *contractProto) Message(sess *plugins.Session, typ int, data []byte) {
	var req contractReq
	if err := json.Unmarshal(data, &req); err != nil {
		p.send(sess, "rs.error", "request format error")
		return
	}
	switch req.Method {
	case "ping":
		sess.SendJSON(map[string]any{"channel": "pong", "data": p.s.now()})
	case "sub.deal", "unsub.deal", "sub.ticker", "unsub.ticker":
		p.market(sess, req.Method, req.Param.Symbol)
	case "sub.depth", "unsub.depth", "sub.depth.full", "unsub.depth.full":
		p.depth(sess, req.Method, req.Param.Symbol, req.Param.Limit)
	case "sub.kline", "unsub.kline":
		ivName := cmp.Or(req.Param.Interval, "Min1")
		iv, ok := wsIntervals.Parse(ivName)
		if !ok {
			p.send(sess, "rs.error", "interval not support")
			return
		}
		pair, ok := p.s.pairByContract(req.Param.Symbol)
		if !ok {
			p.send(sess, "rs.error", "Contract does not exist!")
			return
		}
		key := req.Param.Symbol + "@" + ivName
		if req.Method == "unsub.kline" {
			sess.Unsubscribe(key)
			p.send(sess, "rs.unsub.kline", "success")
			return
		}
		p.send(sess, "rs.sub.kline", "success")
		size := kit.ContractSize(pair.Price)
		sym := req.Param.Symbol
		err := sess.Subscribe(key, pair.Symbol, iv, pushEvery, func(u cc.Update) []byte {
			return encodeContractPush(sym, ivName, size, u)
		})
		if err != nil {
			p.send(sess, "rs.error", "system error")
		}
	default:
		p.send(sess, "rs.error", "method not support")
	}
}

func encodeContractPush(sym, ivName string, size cc.Decimal, u cc.Update) []byte {
	c := u.Candle
	b := make([]byte, 0, 320)
	b = append(b, `{"channel":"push.kline","data":{"a":`...)
	b = appendNum(b, c.QuoteVolume)
	b = append(b, `,"c":`...)
	b = appendNum(b, c.Close)
	b = append(b, `,"h":`...)
	b = appendNum(b, c.High)
	b = append(b, `,"interval":"`...)
	b = append(b, ivName...)
	b = append(b, `","l":`...)
	b = appendNum(b, c.Low)
	b = append(b, `,"o":`...)
	b = appendNum(b, c.Open)
	b = append(b, `,"q":`...)
	b = strconv.AppendInt(b, contractsOf(c.Volume, size), 10)
	b = append(b, `,"rc":`...)
	b = appendNum(b, c.Close)
	b = append(b, `,"rh":`...)
	b = appendNum(b, c.High)
	b = append(b, `,"rl":`...)
	b = appendNum(b, c.Low)
	b = append(b, `,"ro":`...)
	b = appendNum(b, c.Open)
	b = append(b, `,"symbol":"`...)
	b = append(b, sym...)
	b = append(b, `","t":`...)
	b = strconv.AppendInt(b, c.OpenTime/1000, 10)
	b = append(b, `},"symbol":"`...)
	b = append(b, sym...)
	b = append(b, `","ts":`...)
	b = strconv.AppendInt(b, u.EventTime, 10)
	return append(b, '}')
}

// DecodeFrame implements plugins.Plugin: protobuf spot kline pushes and
// JSON push.kline contract frames.
func (a *api) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	if len(frame) > 0 && frame[0] == '{' {
		var msg struct {
			Channel string `json:"channel"`
			Data    struct {
				A        json.Number `json:"a"`
				C        cc.Decimal  `json:"c"`
				H        cc.Decimal  `json:"h"`
				L        cc.Decimal  `json:"l"`
				O        cc.Decimal  `json:"o"`
				Q        float64     `json:"q"`
				Interval string      `json:"interval"`
				Symbol   string      `json:"symbol"`
				T        int64       `json:"t"`
			} `json:"data"`
			Symbol string `json:"symbol"`
			Ts     int64  `json:"ts"`
		}
		if err := json.Unmarshal(frame, &msg); err != nil || msg.Channel != "push.kline" {
			return nil, plugins.ErrNotCandles
		}
		d := msg.Data
		amount, err := kit.LenientDecimal(d.A.String())
		if err != nil {
			return nil, fmt.Errorf("%w: amount %q", plugins.ErrNotCandles, d.A)
		}
		iv, ok := wsIntervals.Parse(d.Interval)
		if !ok {
			return nil, fmt.Errorf("%w: interval %q", plugins.ErrNotCandles, d.Interval)
		}
		open := d.T * 1000
		c := cc.Candle{
			OpenTime: open, CloseTime: iv.CloseTime(open),
			Open: d.O, High: d.H, Low: d.L, Close: d.C, QuoteVolume: amount,
			Closed: msg.Ts >= iv.CloseTime(open),
		}
		if mid := (d.O.Float64() + d.C.Float64()) / 2; d.Q > 0 && mid > 0 {
			size := math.Pow10(int(math.Round(math.Log10(amount.Float64() / (d.Q * mid)))))
			c.Volume = cc.DecimalFromFloat(d.Q*size, max(0, int(math.Ceil(-math.Log10(size)))))
		}
		sym := d.Symbol
		if sym == "" {
			sym = msg.Symbol
		}
		return []cc.Update{{Symbol: sym, Interval: iv, EventTime: msg.Ts, Candle: c}}, nil
	}
	k, ok, err := decodeKline(frame)
	if err != nil || !ok {
		return nil, plugins.ErrNotCandles
	}
	u, err := k.update()
	if err != nil {
		return nil, err
	}
	return []cc.Update{u}, nil
}
