package mexc_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// pbFields splits a protobuf message into its fields: varints and
// length-delimited payloads by field number, in order.
func pbFields(t *testing.T, b []byte) map[int][]any {
	t.Helper()
	out := map[int][]any{}
	varint := func() uint64 {
		var v uint64
		for i := 0; ; i++ {
			if i >= len(b) {
				t.Fatalf("truncated varint")
			}
			v |= uint64(b[i]&0x7f) << (7 * i)
			if b[i] < 0x80 {
				b = b[i+1:]
				return v
			}
		}
	}
	for len(b) > 0 {
		tag := varint()
		switch tag & 7 {
		case 0:
			out[int(tag>>3)] = append(out[int(tag>>3)], varint())
		case 2:
			n := varint()
			out[int(tag>>3)] = append(out[int(tag>>3)], b[:n])
			b = b[n:]
		default:
			t.Fatalf("wire type %d", tag&7)
		}
	}
	return out
}

func TestSpotWSAggreDealsAndBookTicker(t *testing.T) {
	s := replaytest.Start(t, "mexc_spot", nil, replaytest.Clock(time.Now().Add(-time.Hour), 10))
	ws := s.Dial(t, "/ws")
	ch := "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"
	ws.Send(`{"method":"SUBSCRIPTION","params":["` + ch + `"],"id":1}`)
	ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return true })
	if ack["msg"] != ch {
		t.Fatalf("ack %v", ack)
	}
	var times []int64
	for len(times) < 5 {
		typ, b := ws.Read(10 * time.Second)
		if typ != websocket.BinaryMessage {
			continue
		}
		top := pbFields(t, b)
		if string(top[1][0].([]byte)) != ch || string(top[3][0].([]byte)) != "BTCUSDT" || len(top[314]) != 1 {
			t.Fatalf("wrapper %v", top)
		}
		body := pbFields(t, top[314][0].([]byte))
		for _, it := range body[1] {
			item := pbFields(t, it.([]byte))
			price, err := cc.ParseDecimal(string(item[1][0].([]byte)))
			if err != nil || price.IsZero() || (item[3][0] != uint64(1) && item[3][0] != uint64(2)) {
				t.Fatalf("deal %v", item)
			}
			at := int64(item[4][0].(uint64))
			if len(times) > 0 && at < times[len(times)-1] {
				t.Fatalf("deals out of order")
			}
			times = append(times, at)
		}
	}
	ws.Send(`{"method":"UNSUBSCRIPTION","params":["` + ch + `"],"id":2}`)
	book := "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"
	ws.Send(`{"method":"SUBSCRIPTION","params":["` + book + `"],"id":3}`)
	for {
		typ, b := ws.Read(10 * time.Second)
		if typ != websocket.BinaryMessage {
			continue
		}
		top := pbFields(t, b)
		if len(top[315]) == 0 {
			continue
		}
		bt := pbFields(t, top[315][0].([]byte))
		bid, _ := cc.ParseDecimal(string(bt[1][0].([]byte)))
		ask, _ := cc.ParseDecimal(string(bt[3][0].([]byte)))
		if bid.Cmp(ask) >= 0 || bid.IsZero() {
			t.Errorf("book ticker %v/%v", bid, ask)
		}
		break
	}
}

func TestContractWSDealAndTicker(t *testing.T) {
	s := replaytest.Start(t, "mexc_perpetual", nil, replaytest.Clock(time.Now().Add(-time.Hour), 10))
	ws := s.Dial(t, "/edge")
	ws.Send(`{"method":"sub.deal","param":{"symbol":"BTC_USDT"}}`)
	ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return true })
	if ack["channel"] != "rs.sub.deal" || ack["data"] != "success" {
		t.Fatalf("ack %v", ack)
	}
	var last int64
	for n := 0; n < 5; {
		m := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["channel"] == "push.deal" })
		for _, r := range m["data"].([]any) {
			d := r.(map[string]any)
			at, _ := strconv.ParseInt(string(d["t"].(json.Number)), 10, 64)
			if m["symbol"] != "BTC_USDT" || at < last || (d["T"] != json.Number("1") && d["T"] != json.Number("2")) {
				t.Fatalf("deal %v", m)
			}
			last = at
			n++
		}
	}
	ws.Send(`{"method":"unsub.deal","param":{"symbol":"BTC_USDT"}}`)
	ws.Send(`{"method":"sub.ticker","param":{"symbol":"BTC_USDT"}}`)
	m := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["channel"] == "push.ticker" })
	d := m["data"].(map[string]any)
	if d["fairPrice"] == nil || d["indexPrice"] == nil || d["fundingRate"] == nil || d["symbol"] != "BTC_USDT" {
		t.Errorf("ticker %v", d)
	}
	ws.Send(`{"method":"sub.deal","param":{"symbol":"NOPE_USDT"}}`)
	e := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["channel"] == "rs.error" })
	if e["data"] != "Contract does not exist!" {
		t.Errorf("unknown contract %v", e)
	}
}
