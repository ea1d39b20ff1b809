package kraken

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// wsOptions: Kraken sends no protocol pings; clients ping at the
// application level ({"method":"ping"}).
var wsOptions = plugins.WSOptions{}

// snapshotRows is how many recent candles a subscription's snapshot holds.
const snapshotRows = 10

var connectionIDs atomic.Int64

// wsRequest is a client's v2 request.
type wsRequest struct {
	Method string `json:"method"`
	Params struct {
		Channel  string   `json:"channel"`
		Symbol   []string `json:"symbol"`
		Interval *int     `json:"interval"`
		Snapshot *bool    `json:"snapshot"`
		Depth    *int     `json:"depth"` // book
		// EventTrigger is the ticker's: "trades" (default) or "bbo".
		EventTrigger string `json:"event_trigger"`
	} `json:"params"`
	ReqID *int64 `json:"req_id,omitempty"`
}

// wsProto is one v2 connection.
type wsProto struct {
	heartbeats
}

var _ plugins.Protocol = (*wsProto)(nil)

func rfc3339(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// wsNow is a reply's time_in/time_out: the server's clock (skewed, when
// the network simulation skews it), never the host's.
func wsNow(s *plugins.Session) string { return rfc3339(s.Env().Clock.Now()) }

func (p *wsProto) Open(s *plugins.Session) error {
	return s.SendJSON(map[string]any{
		"channel": "status",
		"type":    "update",
		"data": []any{map[string]any{
			"version": "2.0.10", "system": "online", "api_version": "v2",
			"connection_id": 1_000_000 + connectionIDs.Add(1),
		}},
	})
}

// reply is an ack or error; fields Kraken leaves out are omitted.
type reply struct {
	Error   string         `json:"error,omitempty"`
	Method  string         `json:"method"`
	ReqID   *int64         `json:"req_id,omitempty"`
	Result  map[string]any `json:"result,omitempty"`
	Success *bool          `json:"success,omitempty"`
	Symbol  string         `json:"symbol,omitempty"`
	TimeIn  string         `json:"time_in"`
	TimeOut string         `json:"time_out"`
}

func (p *wsProto) Message(s *plugins.Session, typ int, data []byte) {
	timeIn := wsNow(s)
	yes, no := true, false
	var req wsRequest
	if err := json.Unmarshal(data, &req); err != nil {
		s.SendJSON(reply{Error: "Malformed request", Method: "", Success: &no, TimeIn: timeIn, TimeOut: wsNow(s)})
		return
	}
	switch req.Method {
	case "ping":
		s.SendJSON(reply{Method: "pong", ReqID: req.ReqID, TimeIn: timeIn, TimeOut: wsNow(s)})
		return
	case "subscribe", "unsubscribe":
	default:
		s.SendJSON(reply{Error: "Method not found", Method: req.Method, ReqID: req.ReqID, Success: &no, TimeIn: timeIn, TimeOut: wsNow(s)})
		return
	}
	fail := func(msg, sym string) {
		s.SendJSON(reply{Error: msg, Method: req.Method, ReqID: req.ReqID, Success: &no, Symbol: sym, TimeIn: timeIn, TimeOut: wsNow(s)})
	}
	switch req.Params.Channel {
	case "heartbeat":
		if req.Method == "subscribe" {
			s.SendJSON(reply{Method: "subscribe", ReqID: req.ReqID, Result: map[string]any{"channel": "heartbeat"}, Success: &yes, TimeIn: timeIn, TimeOut: wsNow(s)})
			p.startHeartbeat(s)
			return
		}
		fail("Subscription Not Found", "")
		return
	case "ohlc":
	case "trade", "ticker", "book":
		if len(req.Params.Symbol) == 0 {
			fail("Missing symbol", "")
			return
		}
		env := s.Env()
		for _, sym := range req.Params.Symbol {
			native, _ := symbolOfKey(strings.ToUpper(sym))
			pair, found := env.PairBySymbol(native)
			if !found {
				fail("Currency pair not supported "+sym, sym)
				continue
			}
			if req.Params.Channel == "book" {
				p.subscribeBook(s, req, sym, pair, timeIn, fail)
				continue
			}
			p.subscribeMarket(s, req, sym, pair, timeIn, fail)
		}
		return
	case "":
		fail("Missing channel", "")
		return
	default:
		fail("Channel "+req.Params.Channel+" not supported", "")
		return
	}
	if req.Params.Interval == nil {
		fail("Subscription ohlc requires interval", "")
		return
	}
	f, good := frameOf(*req.Params.Interval)
	if !good {
		fail("Subscription ohlc interval not supported", "")
		return
	}
	if len(req.Params.Symbol) == 0 {
		fail("Missing symbol", "")
		return
	}
	env := s.Env()
	for _, sym := range req.Params.Symbol {
		native, _ := symbolOfKey(strings.ToUpper(sym))
		pair, found := env.PairBySymbol(native)
		if !found {
			fail("Currency pair not supported "+sym, sym)
			continue
		}
		key := "ohlc:" + sym + ":" + strconv.Itoa(*req.Params.Interval)
		result := map[string]any{"channel": "ohlc", "interval": *req.Params.Interval, "symbol": sym}
		if !subscribing(s, req, key, sym, result, timeIn, fail) {
			continue
		}
		snapshot := req.Params.Snapshot == nil || *req.Params.Snapshot
		result["snapshot"] = snapshot
		s.SendJSON(reply{Method: "subscribe", ReqID: req.ReqID, Result: result, Success: &yes, TimeIn: timeIn, TimeOut: wsNow(s)})
		first := true
		sym := sym
		m := *req.Params.Interval
		err := s.Subscribe(key, pair.Symbol, f.iv, time.Second, func(u cc.Update) []byte {
			u = f.update(s.Context(), env.Market, pair.Symbol, u)
			if first {
				first = false
				if snapshot {
					return p.snapshot(s, pair.Symbol, sym, f, u)
				}
			}
			return encodeOHLC("update", sym, m, u.EventTime, []cc.Candle{u.Candle})
		})
		if err != nil {
			fail("Subscription failed", sym)
			continue
		}
		p.startHeartbeat(s)
	}
}

// snapshot encodes the market as it stands at the first update's event
// time: the candle in progress there and the ones before it. The first
// update is usually that candle in progress; a feed catching up on an
// older candle (replay) still gets a snapshot of the present.
func (p *wsProto) snapshot(s *plugins.Session, native, sym string, f frame, u cc.Update) []byte {
	cur := f.truncate(u.EventTime)
	from := cur
	for i := 1; i < snapshotRows; i++ {
		from = f.prev(from)
	}
	cs, err := f.candles(s.Context(), s.Env().Market, native, from, f.next(cur), u.EventTime)
	if err != nil {
		cs = nil
	}
	if n := len(cs); n > 0 && cs[n-1].OpenTime == u.Candle.OpenTime {
		cs[n-1] = u.Candle
	} else if n == 0 || u.Candle.OpenTime > cs[n-1].OpenTime {
		cs = append(cs, u.Candle)
	}
	return encodeOHLC("snapshot", sym, f.minutes, u.EventTime, cs)
}

// encodeOHLC writes an ohlc channel message.
func encodeOHLC(kind, sym string, m int, at int64, cs []cc.Candle) []byte {
	b := append([]byte(`{"channel":"ohlc","type":"`), kind...)
	b = append(b, `","timestamp":"`...)
	b = append(b, rfc3339(time.UnixMilli(at))...)
	b = append(b, `","data":[`...)
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		places := int(c.Close.Scale)
		b = append(b, `{"symbol":"`...)
		b = append(b, sym...)
		b = append(b, `","open":`...)
		b = c.Open.AppendTrim(b, places)
		b = append(b, `,"high":`...)
		b = c.High.AppendTrim(b, places)
		b = append(b, `,"low":`...)
		b = c.Low.AppendTrim(b, places)
		b = append(b, `,"close":`...)
		b = c.Close.AppendTrim(b, places)
		b = append(b, `,"trades":`...)
		b = strconv.AppendInt(b, c.Trades, 10)
		b = append(b, `,"volume":`...)
		b = c.Volume.AppendTrim(b, 8)
		b = append(b, `,"vwap":`...)
		b = vwap(c, places).AppendTrim(b, places)
		b = append(b, `,"interval_begin":"`...)
		b = append(b, time.UnixMilli(c.OpenTime).UTC().Format("2006-01-02T15:04:05.000000000Z")...)
		b = append(b, `","interval":`...)
		b = strconv.AppendInt(b, int64(m), 10)
		b = append(b, `,"timestamp":"`...)
		b = append(b, rfc3339(time.UnixMilli(c.CloseTime+1))...)
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// startHeartbeat begins the once-a-second heartbeat channel Kraken sends
// to every subscribed connection.
func (p *wsProto) startHeartbeat(s *plugins.Session) {
	p.start(s, `{"channel":"heartbeat"}`)
}

// heartbeats sends a connection's heartbeat frames (v1 and v2 alike).
type heartbeats struct{ once sync.Once }

// start sends frame on s once a second, from the first call on (later
// calls do nothing) until the session ends or a send fails.
func (h *heartbeats) start(s *plugins.Session, frame string) {
	h.once.Do(func() {
		s.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-s.Context().Done():
					return
				case <-t.C:
					if s.Send([]byte(frame)) != nil { // a fresh copy each time, as the stack may keep it
						return
					}
				}
			}
		})

	})
}
