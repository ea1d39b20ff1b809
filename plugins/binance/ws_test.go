package binance_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func dial(t *testing.T, base, path string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + path
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, c *websocket.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

type klineEvent struct {
	E  string `json:"e"`
	ET int64  `json:"E"`
	S  string `json:"s"`
	K  struct {
		T0 int64  `json:"t"`
		T1 int64  `json:"T"`
		S  string `json:"s"`
		I  string `json:"i"`
		F  int64  `json:"f"`
		L  int64  `json:"L"`
		O  string `json:"o"`
		C  string `json:"c"`
		H  string `json:"h"`
		Lo string `json:"l"`
		V  string `json:"v"`
		N  int64  `json:"n"`
		X  bool   `json:"x"`
		Q  string `json:"q"`
		VB string `json:"V"`
		QB string `json:"Q"`
		B  string `json:"B"`
	} `json:"k"`
}

func decodeEvent(t *testing.T, b []byte) klineEvent {
	t.Helper()
	var ev klineEvent
	if err := json.Unmarshal(b, &ev); err != nil || ev.E != "kline" {
		t.Fatalf("not a kline event: %s (%v)", b, err)
	}
	return ev
}

// marketCandle is what testMarket says about the candle of iv containing
// at, as of now.
func marketCandle(t *testing.T, sym string, iv cc.Interval, at, now int64) cc.Candle {
	t.Helper()
	open := iv.Truncate(at)
	cs, err := testMarket{}.Candles(context.Background(), sym, iv, open, iv.Next(open), now)
	if err != nil || len(cs) != 1 {
		t.Fatalf("market: %v %v", cs, err)
	}
	return cs[0]
}

func TestRawStreamInURLPushesTheCandleInProgress(t *testing.T) {
	srv := spotServer(t)
	c := dial(t, srv.URL, "/ws/btcusdt@kline_1m")
	ev := decodeEvent(t, read(t, c))
	now := fixedNow.UnixMilli()
	want := marketCandle(t, "BTCUSDT", cc.Interval1m, now, now)
	if ev.S != "BTCUSDT" || ev.K.S != "BTCUSDT" || ev.K.I != "1m" || ev.K.X {
		t.Errorf("header: %+v", ev)
	}
	if ev.ET != now || ev.K.T0 != want.OpenTime || ev.K.T1 != want.CloseTime {
		t.Errorf("times: E=%d t=%d T=%d, want %d %d %d", ev.ET, ev.K.T0, ev.K.T1, now, want.OpenTime, want.CloseTime)
	}
	if ev.K.O != want.Open.Fixed(8) || ev.K.C != want.Close.Fixed(8) || ev.K.V != want.Volume.Fixed(8) || ev.K.N != want.Trades {
		t.Errorf("values: %+v, want %+v", ev.K, want)
	}
	if ev.K.F != want.OpenTime || ev.K.L != want.OpenTime+want.Trades-1 || ev.K.B != "0" {
		t.Errorf("trade ids f=%d L=%d B=%q", ev.K.F, ev.K.L, ev.K.B)
	}
}

func TestSubscribeListUnsubscribe(t *testing.T) {
	srv := spotServer(t)
	c := dial(t, srv.URL, "/ws/0") // what ccxt dials
	send(t, c, `{"method":"SUBSCRIBE","params":["btcusdt@kline_1m","btcusdt@aggTrade"],"id":1}`)
	if got := string(read(t, c)); got != `{"result":null,"id":1}` {
		t.Fatalf("ack = %s", got)
	}
	ev := decodeEvent(t, read(t, c))
	if ev.K.I != "1m" {
		t.Errorf("event interval %q", ev.K.I)
	}
	send(t, c, `{"method":"LIST_SUBSCRIPTIONS","id":"abc"}`)
	if got := string(read(t, c)); got != `{"result":["btcusdt@kline_1m","btcusdt@aggTrade"],"id":"abc"}` {
		t.Errorf("list = %s", got)
	}
	send(t, c, `{"method":"UNSUBSCRIBE","params":["btcusdt@kline_1m"],"id":312}`)
	// Updates queued before the unsubscribe may still arrive first.
	for {
		b := read(t, c)
		if string(b) == `{"result":null,"id":312}` {
			break
		}
		decodeEvent(t, b)
	}
	send(t, c, `{"method":"LIST_SUBSCRIPTIONS","id":null}`)
	if got := string(read(t, c)); got != `{"result":["btcusdt@aggTrade"],"id":null}` {
		t.Errorf("list after unsubscribe = %s", got)
	}
}

func TestCombinedStreamsAreWrapped(t *testing.T) {
	srv := spotServer(t)
	c := dial(t, srv.URL, "/stream?streams=btcusdt@kline_1m/ethusdt@kline_1h")
	seen := map[string]bool{}
	for len(seen) < 2 {
		var w struct {
			Stream string          `json:"stream"`
			Data   json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(read(t, c), &w); err != nil {
			t.Fatal(err)
		}
		ev := decodeEvent(t, w.Data)
		if w.Stream != strings.ToLower(ev.S)+"@kline_"+ev.K.I {
			t.Errorf("stream %q carries %s %s", w.Stream, ev.S, ev.K.I)
		}
		seen[w.Stream] = true
	}
	send(t, c, `{"method":"GET_PROPERTY","params":["combined"],"id":2}`)
	for {
		b := read(t, c)
		if !strings.Contains(string(b), `"stream"`) {
			if string(b) != `{"result":true,"id":2}` {
				t.Errorf("get property = %s", b)
			}
			break
		}
	}
}

func TestFuturesMarketPathsServeStreams(t *testing.T) {
	srv := futuresServer(t)
	for _, path := range []string{"/market/ws/0", "/ws", "/public/ws"} {
		c := dial(t, srv.URL, path)
		send(t, c, `{"method":"SUBSCRIBE","params":["btcusdt@kline_5m"],"id":7}`)
		if got := string(read(t, c)); got != `{"result":null,"id":7}` {
			t.Fatalf("%s ack = %s", path, got)
		}
		if ev := decodeEvent(t, read(t, c)); ev.K.I != "5m" || ev.K.O == "" {
			t.Errorf("%s event %+v", path, ev)
		}
	}
	c := dial(t, srv.URL, "/market/stream?streams=btcusdt_perpetual@continuousKline_1m")
	var w struct {
		Stream string `json:"stream"`
		Data   struct {
			E  string `json:"e"`
			ET int64  `json:"E"`
			PS string `json:"ps"`
			CT string `json:"ct"`
		} `json:"data"`
	}
	if err := json.Unmarshal(read(t, c), &w); err != nil {
		t.Fatal(err)
	}
	if w.Data.E != "continuous_kline" || w.Data.PS != "BTCUSDT" || w.Data.CT != "PERPETUAL" {
		t.Errorf("continuous kline = %+v", w)
	}
}

func TestRequestErrors(t *testing.T) {
	srv := spotServer(t)
	c := dial(t, srv.URL, "/ws")
	for _, tc := range []struct{ name, in, want string }{
		{"bad JSON is code 3", `{"method":`, `{"error":{"code":3,"msg":"Invalid JSON: EOF while parsing a value at line 1 column 10"},"id":null}`},
		{"garbage is code 3", `hello`, `{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}`},
		{"an unknown method names the known ones", `{"method":"SUBSCRIB","params":[],"id":4}`, "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown variant `SUBSCRIB`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 20\"},\"id\":4}"},
		{"a missing method", `{"params":[],"id":5}`, "{\"error\":{\"code\":2,\"msg\":\"Invalid request: missing field `method` at line 1 column 20\"},\"id\":5}"},
		{"a missing id", `{"method":"LIST_SUBSCRIPTIONS"}`, `{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}`},
		{"an id with symbols", `{"method":"LIST_SUBSCRIPTIONS","id":"a-b"}`, `{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}`},
		{"a non-string stream", `{"method":"SUBSCRIBE","params":[5],"id":6}`, "{\"error\":{\"code\":2,\"msg\":\"Invalid request: invalid type: integer `5`, expected a string\"},\"id\":6}"},
		{"an unknown property", `{"method":"SET_PROPERTY","params":["speed",true],"id":8}`, `{"error":{"code":0,"msg":"Unknown property"},"id":8}`},
		{"a non-boolean value", `{"method":"SET_PROPERTY","params":["combined","yes"],"id":9}`, `{"error":{"code":1,"msg":"Invalid value type: expected Boolean"},"id":9}`},
		{"a non-string property", `{"method":"GET_PROPERTY","params":[1],"id":10}`, `{"error":{"code":2,"msg":"Invalid request: property name must be a string"},"id":10}`},
		{"too many parameters", `{"method":"SET_PROPERTY","params":["combined",true,1],"id":11}`, `{"error":{"code":2,"msg":"Invalid request: too many parameters"},"id":11}`},
		{"a valid SET_PROPERTY", `{"method":"SET_PROPERTY","params":["combined",true],"id":12}`, `{"result":null,"id":12}`},
		{"GET_PROPERTY sees it", `{"method":"GET_PROPERTY","params":["combined"],"id":13}`, `{"result":true,"id":13}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send(t, c, tc.in)
			if got := string(read(t, c)); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestFinalCandleArrivesAtClose runs the clock 60× fast from two seconds
// before a minute ends: the stream must deliver that candle with x:true,
// equal to the market's closed candle, then the next one in progress.
func TestFinalCandleArrivesAtClose(t *testing.T) {
	base := time.Date(2026, 3, 18, 14, 37, 58, 0, time.UTC)
	clock := replaytest.Clock(base, 60)
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), newEnv(clock))
	c := dial(t, srv.URL, "/ws/btcusdt@kline_1m")
	open := cc.Interval1m.Truncate(base.UnixMilli())
	var final *klineEvent
	for final == nil {
		ev := decodeEvent(t, read(t, c))
		if ev.K.T0 != open {
			t.Fatalf("candle %d arrived before the final of %d", ev.K.T0, open)
		}
		if ev.K.X {
			final = &ev
		}
	}
	want := marketCandle(t, "BTCUSDT", cc.Interval1m, open, open+60_000)
	if final.ET != want.CloseTime || final.K.C != want.Close.Fixed(8) || final.K.H != want.High.Fixed(8) ||
		final.K.V != want.Volume.Fixed(8) || final.K.N != want.Trades {
		t.Errorf("final %+v, want %+v", final, want)
	}
	if next := decodeEvent(t, read(t, c)); next.K.T0 != open+60_000 || next.K.X {
		t.Errorf("after the final: t=%d x=%v", next.K.T0, next.K.X)
	}
}

func TestClientThatNeverPongsIsClosed(t *testing.T) {
	p := binance.New(binance.Spot, binance.Options{PingEvery: 50 * time.Millisecond, PongTimeout: 300 * time.Millisecond})
	srv := serve(t, p, newEnv(replaytest.Clock(fixedNow, 0)))

	mute := dial(t, srv.URL, "/ws")
	var pings atomic.Int32
	mute.SetPingHandler(func(string) error { pings.Add(1); return nil }) // never pong
	start := time.Now()
	mute.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := mute.ReadMessage()
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("mute client: err=%v after %v", err, time.Since(start))
	}
	if pings.Load() == 0 {
		t.Error("server sent no ping before closing")
	}

	polite := dial(t, srv.URL, "/ws") // the default handler pongs
	polite.SetReadDeadline(time.Now().Add(time.Second))
	if _, _, err := polite.ReadMessage(); !isTimeout(err) {
		t.Errorf("polite client lost its connection: %v", err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(interface{ Timeout() bool })
	return ok && ne.Timeout()
}

func TestSeveralRawStreamsInOnePath(t *testing.T) {
	srv := spotServer(t)
	c := dial(t, srv.URL, "/ws/btcusdt@kline_1m/ethusdt@kline_3m")
	seen := map[string]bool{}
	for len(seen) < 2 {
		ev := decodeEvent(t, read(t, c))
		seen[ev.S+" "+ev.K.I] = true
	}
	if !seen["BTCUSDT 1m"] || !seen["ETHUSDT 3m"] {
		t.Errorf("streams seen: %v", seen)
	}
}

func TestSetPropertyCombinedFalseUnwraps(t *testing.T) {
	srv := spotServer(t)
	c := dial(t, srv.URL, "/stream")
	send(t, c, `{"method":"SET_PROPERTY","params":["combined",false],"id":1}`)
	if got := string(read(t, c)); got != `{"result":null,"id":1}` {
		t.Fatalf("ack = %s", got)
	}
	send(t, c, `{"method":"SUBSCRIBE","params":["ethusdt@kline_1d"],"id":2}`)
	if got := string(read(t, c)); got != `{"result":null,"id":2}` {
		t.Fatalf("ack = %s", got)
	}
	if ev := decodeEvent(t, read(t, c)); ev.S != "ETHUSDT" || ev.K.I != "1d" {
		t.Errorf("event %+v", ev)
	}
}

func TestUnknownSymbolStreamIsSilent(t *testing.T) {
	srv := spotServer(t)
	c := dial(t, srv.URL, "/ws")
	send(t, c, `{"method":"SUBSCRIBE","params":["nopeusdt@kline_1m","btcusdt@kline_5m"],"id":1}`)
	if got := string(read(t, c)); got != `{"result":null,"id":1}` {
		t.Fatalf("ack = %s", got)
	}
	if ev := decodeEvent(t, read(t, c)); ev.S != "BTCUSDT" {
		t.Fatalf("event for %s", ev.S)
	}
	send(t, c, `{"method":"LIST_SUBSCRIPTIONS","id":2}`)
	for {
		b := read(t, c)
		if !strings.Contains(string(b), `"e":"kline"`) {
			if string(b) != `{"result":["nopeusdt@kline_1m","btcusdt@kline_5m"],"id":2}` {
				t.Errorf("list = %s", b)
			}
			return
		}
		if ev := decodeEvent(t, b); ev.S != "BTCUSDT" {
			t.Fatalf("event for %s", ev.S)
		}
	}
}
