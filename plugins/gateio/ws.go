package gateio

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// pushEvery is how often (virtual time) an in-progress candle is pushed.
const pushEvery = 2 * time.Second

// wsOptions: Gate documents no server pings; clients ping (protocol
// frames or spot.ping) and idle connections are dropped after a while.
var wsOptions = plugins.WSOptions{ReadTimeout: 5 * time.Minute}

func (s *server) spotWS(w http.ResponseWriter, r *http.Request) {
	plugins.ServeWS(s.env, w, r, &proto{s: s, prefix: "spot"}, wsOptions)
}

func (s *server) futuresWS(w http.ResponseWriter, r *http.Request) {
	settle := r.PathValue("settle")
	if settle != "usdt" && settle != "btc" {
		apiError(w, http.StatusNotFound, "NOT_FOUND", "Not Found")
		return
	}
	plugins.ServeWS(s.env, w, r, &proto{s: s, prefix: "futures", settle: settle}, wsOptions)
}

// proto is Gate's v4 WS protocol for one connection.
type proto struct {
	s      *server
	prefix string // "spot" or "futures"
	settle string
	connID string
}

// request is a client message.
type request struct {
	Time    int64           `json:"time"`
	ID      *int64          `json:"id,omitempty"`
	Channel string          `json:"channel"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

// reply is every non-push server message.
type reply struct {
	Time      int64           `json:"time"`
	TimeMs    int64           `json:"time_ms"`
	ID        *int64          `json:"id,omitempty"`
	ConnID    string          `json:"conn_id"`
	TraceID   string          `json:"trace_id"`
	Channel   string          `json:"channel"`
	Event     string          `json:"event"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	Error     *replyError     `json:"error"`
	Result    any             `json:"result"`
	RequestID string          `json:"requestId,omitempty"`
}

type replyError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (p *proto) Open(sess *plugins.Session) error {
	p.connID = randHex(8)
	return nil
}

func (p *proto) reply(sess *plugins.Session, req *request, event string, result any, e *replyError) {
	now := p.s.now()
	trace := randHex(16)
	rp := reply{
		Time: now / 1000, TimeMs: now, ID: req.ID, ConnID: p.connID, TraceID: trace,
		Channel: req.Channel, Event: event, Error: e, Result: result,
	}
	if event == "subscribe" || event == "unsubscribe" {
		rp.Payload = req.Payload
		rp.RequestID = trace
	}
	sess.SendJSON(rp)
}

func (p *proto) fail(sess *plugins.Session, req *request, code int, msg string) {
	p.reply(sess, req, req.Event, map[string]string{"status": "fail"}, &replyError{Code: code, Message: msg})
}

func (p *proto) Message(sess *plugins.Session, typ int, data []byte) {
	var req request
	if err := json.Unmarshal(data, &req); err != nil || req.Channel == "" {
		p.fail(sess, &req, 1, "invalid request body format")
		return
	}
	switch req.Channel {
	case p.prefix + ".ping":
		req.Channel = p.prefix + ".pong"
		p.reply(sess, &req, "", nil, nil)
		return
	case p.prefix + ".candlesticks":
	case p.prefix + ".trades", p.prefix + ".tickers":
		p.marketChannel(sess, &req)
		return
	case p.prefix + ".order_book_update", p.prefix + ".order_book":
		p.bookChannel(sess, &req)
		return
	case "spot.obu":
		if p.prefix == "spot" {
			p.obuChannel(sess, &req)
			return
		}
		p.fail(sess, &req, 2, "unknown channel "+req.Channel)
		return
	default:
		p.fail(sess, &req, 2, "unknown channel "+req.Channel)
		return
	}
	var payload []string
	if err := json.Unmarshal(req.Payload, &payload); err != nil || len(payload) != 2 {
		p.fail(sess, &req, 2, "invalid argument: payload must be [interval, "+p.market()+"]")
		return
	}
	ivName, sym := payload[0], payload[1]
	g, ok := spotGrid(ivName)
	if p.prefix == "futures" {
		g, ok = futuresGrid(ivName)
	}
	if !ok {
		p.fail(sess, &req, 2, "invalid argument: unknown interval "+ivName)
		return
	}
	pair, ok := p.s.env.PairBySymbol(sym)
	if ok && p.prefix == "futures" && !strings.EqualFold(pair.Quote, p.settle) {
		ok = false
	}
	if !ok {
		p.fail(sess, &req, 2, "unknown "+p.market()+" "+sym)
		return
	}
	key := ivName + "_" + sym
	switch req.Event {
	case "subscribe":
		p.reply(sess, &req, "subscribe", map[string]string{"status": "success"}, nil)
		enc := p.encoder(key, pair)
		iv, every := g.iv, pushEvery
		if g.ms > 0 {
			// Sub-minute candles are folded from the 1s stream: each 1s
			// update is turned into the bucket it falls in, final with
			// the bucket's last second.
			iv, every = cc.Interval1s, time.Second
			ms, inner := g.ms, enc
			enc = func(u cc.Update) []byte {
				c, ok := p.s.bucket(sess.Context(), sym, ms, u.EventTime)
				if !ok {
					return nil
				}
				c.Closed = u.Candle.Closed && (u.Candle.OpenTime+1000)%ms == 0
				u.Candle = c
				return inner(u)
			}
		}
		if err := sess.Subscribe(key, sym, iv, every, enc); err != nil {
			p.fail(sess, &req, 3, "server error: "+err.Error())
		}
	case "unsubscribe":
		sess.Unsubscribe(key)
		p.reply(sess, &req, "unsubscribe", map[string]string{"status": "success"}, nil)
	default:
		p.fail(sess, &req, 1, fmt.Sprintf("invalid event %q", req.Event))
	}
}

func (p *proto) market() string {
	if p.prefix == "futures" {
		return "contract"
	}
	return "currency pair"
}

// encoder builds the update frames of one subscription.
func (p *proto) encoder(n string, pair cc.Pair) func(cc.Update) []byte {
	channel := p.prefix + ".candlesticks"
	mult := multiplier(pair.Price)
	futures := p.prefix == "futures"
	return func(u cc.Update) []byte {
		b := make([]byte, 0, 320)
		b = append(b, `{"time":`...)
		b = strconv.AppendInt(b, u.EventTime/1000, 10)
		b = append(b, `,"time_ms":`...)
		b = strconv.AppendInt(b, u.EventTime, 10)
		b = append(b, `,"channel":"`...)
		b = append(b, channel...)
		b = append(b, `","event":"update","result":`...)
		c := u.Candle
		if futures {
			b = append(b, '[')
			b = appendFuturesRow(b, c, mult, n, true)
			b = append(b, ']')
		} else {
			b = append(b, `{"t":"`...)
			b = strconv.AppendInt(b, c.OpenTime/1000, 10)
			b = append(b, `","v":`...)
			b = appendStr(b, c.QuoteVolume)
			b = appendPrices(b, c)
			b = appendPushTail(b, c, n)
			b = append(b, '}')
		}
		return append(b, '}')
	}
}

// DecodeFrame implements plugins.Plugin for spot.candlesticks and
// futures.candlesticks updates.
func (a *api) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var msg struct {
		TimeMs  int64           `json:"time_ms"`
		Time    int64           `json:"time"`
		Channel string          `json:"channel"`
		Event   string          `json:"event"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(frame, &msg); err != nil {
		return nil, plugins.ErrNotCandles
	}
	if msg.Event != "update" || (msg.Channel != "spot.candlesticks" && msg.Channel != "futures.candlesticks") {
		return nil, plugins.ErrNotCandles
	}
	at := msg.TimeMs
	if at == 0 {
		at = msg.Time * 1000
	}
	var rows []futuresCandle
	if len(msg.Result) > 0 && msg.Result[0] == '[' {
		if err := json.Unmarshal(msg.Result, &rows); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
	} else {
		var one futuresCandle
		if err := json.Unmarshal(msg.Result, &one); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
		rows = []futuresCandle{one}
	}
	spot := msg.Channel == "spot.candlesticks"
	ivs := futuresIntervals
	if spot {
		ivs = spotIntervals
	}
	var out []cc.Update
	for _, r := range rows {
		ivName, sym, ok := strings.Cut(r.N, "_")
		iv, known := ivs.Parse(ivName)
		if !ok || !known {
			return nil, fmt.Errorf("%w: subscription %q", plugins.ErrNotCandles, r.N)
		}
		c := r.candle(iv, 0)
		if spot {
			// Spot pushes carry quote volume in v and base volume in a.
			c.QuoteVolume, _ = cc.ParseDecimal(r.V.String())
		}
		out = append(out, cc.Update{Symbol: sym, Interval: iv, EventTime: at, Candle: c})
	}
	return out, nil
}
