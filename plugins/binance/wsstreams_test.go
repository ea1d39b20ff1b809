package binance_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type tradeEvent struct {
	E  string `json:"e"`
	ET int64  `json:"E"`
	S  string `json:"s"`
	ID int64  `json:"t"`
	P  string `json:"p"`
	Q  string `json:"q"`
	T  int64  `json:"T"`
	Mk bool   `json:"m"`
	BM bool   `json:"M"`
}

// TestTradeStreamsPushTheTape: @trade sends every trade of the tape once,
// in order, as virtual time passes, with the event time the trade's;
// @aggTrade its aggregates.
func TestTradeStreamsPushTheTape(t *testing.T) {
	clock := replaytest.Clock(fixedNow, 20)
	env := synthEnv(clock, "binance_spot")
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), env)
	c := dial(t, srv.URL, "/stream?streams=btcusdt@trade/btcusdt@aggTrade")
	var trades []tradeEvent
	var aggs []aggRow
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) || len(trades) < 20 {
		var env struct {
			Stream string          `json:"stream"`
			Data   json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(read(t, c), &env); err != nil {
			t.Fatal(err)
		}
		switch env.Stream {
		case "btcusdt@trade":
			var ev tradeEvent
			json.Unmarshal(env.Data, &ev)
			if got := strings.Join(keys(t, env.Data), " "); got != "e E s t p q T m M" {
				t.Fatalf("trade fields %q", got)
			}
			trades = append(trades, ev)
		case "btcusdt@aggTrade":
			var a aggRow
			json.Unmarshal(env.Data, &a)
			if got := strings.Join(keys(t, env.Data), " "); got != "e E s a p q f l T m M" {
				t.Fatalf("aggTrade fields %q", got)
			}
			aggs = append(aggs, a)
		default:
			t.Fatalf("stream %q", env.Stream)
		}
	}
	first, last := trades[0], trades[len(trades)-1]
	want, err := env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTCUSDT", FromID: first.ID, ToID: last.ID + 1, Now: clock.Now().UnixMicro()})
	if err != nil || len(want) != len(trades) {
		t.Fatalf("%d trades pushed from %d to %d, the tape has %d (%v)", len(trades), first.ID, last.ID, len(want), err)
	}
	for i, ev := range trades {
		w := want[i]
		if ev.E != "trade" || ev.S != "BTCUSDT" || ev.ID != w.ID || ev.T != w.Millis() || ev.ET != ev.T ||
			ev.P != w.Price.Fixed(8) || ev.Q != w.Size.Fixed(8) || ev.Mk != w.BuyerMaker || !ev.BM {
			t.Fatalf("event %d %+v, tape %+v", i, ev, w)
		}
	}
	if first.T < fixedNow.UnixMilli() {
		t.Errorf("a trade from before the subscription: %+v", first)
	}
	for i, a := range aggs {
		if a.A != a.F || a.L < a.F || (i > 0 && a.F != aggs[i-1].L+1 && a.F <= aggs[i-1].L) {
			t.Fatalf("aggregate %d %+v after %+v", i, a, aggs[max(0, i-1)])
		}
	}
}

func TestBookTickerAndArrayStreams(t *testing.T) {
	clock := replaytest.Clock(fixedNow, 5)
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), synthEnv(clock, "binance_spot"))
	c := dial(t, srv.URL, "/ws/btcusdt@bookTicker")
	b := read(t, c)
	if got := strings.Join(keys(t, b), " "); got != "u s b B a A" {
		t.Errorf("bookTicker fields %q: %s", got, b)
	}
	var bt map[string]any // a map: encoding/json matches "b" and "B" alike
	json.Unmarshal(b, &bt)
	if cc.MustDecimal(bt["b"].(string)).Cmp(cc.MustDecimal(bt["a"].(string))) >= 0 {
		t.Errorf("bid >= ask: %s", b)
	}
	arr := dial(t, srv.URL, "/ws/!miniTicker@arr")
	var list []map[string]any
	if b := read(t, arr); json.Unmarshal(b, &list) != nil || len(list) != 2 || list[0]["e"] != "24hrMiniTicker" || list[1]["s"] != "ETHUSDT" {
		t.Errorf("!miniTicker@arr: %s", b)
	}
	full := dial(t, srv.URL, "/stream?streams=!ticker@arr")
	var wrapped struct {
		Stream string
		Data   []map[string]any
	}
	if b := read(t, full); json.Unmarshal(b, &wrapped) != nil || wrapped.Stream != "!ticker@arr" || len(wrapped.Data) != 2 || wrapped.Data[0]["e"] != "24hrTicker" {
		t.Errorf("!ticker@arr: %.300s", b)
	}

	fut := serve(t, binance.New(binance.Perpetual, binance.Options{}), synthEnv(clock, "binance_spot"))
	mp := dial(t, fut.URL, "/market/ws/!markPrice@arr@1s")
	if b := read(t, mp); json.Unmarshal(b, &list) != nil || len(list) != 2 || list[0]["e"] != "markPriceUpdate" || list[0]["p"] == list[0]["i"] {
		t.Errorf("!markPrice@arr@1s: %s", b)
	}
	fb := dial(t, fut.URL, "/market/ws/ethusdt@bookTicker")
	if b := read(t, fb); strings.Join(keys(t, b), " ") != "e u E T s b B a A" {
		t.Errorf("futures bookTicker: %s", b)
	}
	ft := dial(t, fut.URL, "/market/ws/ethusdt@aggTrade")
	if b := read(t, ft); strings.Join(keys(t, b), " ") != "e E s a p q f l T m" {
		t.Errorf("futures aggTrade: %s", b)
	}
}

// TestStreamTimeUnit: ?timeUnit=MICROSECOND on a spot stream URL.
func TestStreamTimeUnit(t *testing.T) {
	clock := replaytest.Clock(fixedNow, 20)
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), synthEnv(clock, "binance_spot"))
	c := dial(t, srv.URL, "/ws/btcusdt@kline_1m/btcusdt@trade?timeUnit=MICROSECOND")
	sawKline, sawTrade := false, false
	for !sawKline || !sawTrade {
		b := read(t, c)
		var ev struct {
			E  string `json:"e"`
			ET int64  `json:"E"`
			T  int64  `json:"T"`
			K  struct {
				T0 int64 `json:"t"`
				T1 int64 `json:"T"`
			} `json:"k"`
		}
		json.Unmarshal(b, &ev)
		switch ev.E {
		case "kline":
			sawKline = true
			if ev.ET < 1e15 || ev.K.T0%60_000_000 != 0 || ev.K.T1 != ev.K.T0+60_000_000-1 {
				t.Errorf("kline in µs: %s", b)
			}
		case "trade":
			sawTrade = true
			if ev.T < 1e15 || ev.ET != ev.T {
				t.Errorf("trade in µs: %s", b)
			}
		}
	}
}
