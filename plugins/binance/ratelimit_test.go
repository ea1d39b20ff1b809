package binance_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/replay"
	front "github.com/candlecassette/candlecassette/serve"
)

// limited serves exchange through the full stack (rate limits and netsim).
func limited(t *testing.T, exchange string, opts replay.Options) *replay.Server {
	t.Helper()
	opts.Exchange = exchange
	srv, err := replay.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv
}

// fetchLimited returns status, headers and body of GET url.
func fetchLimited(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestSpotWeightsCountUpInTheUsedWeightHeaders(t *testing.T) {
	srv := limited(t, "binance_spot", replay.Options{})
	used := 0
	for _, tc := range []struct {
		path   string
		weight int
	}{
		{"/api/v3/ping", 1},
		{"/api/v3/time", 1},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5", 2},
		{"/api/v3/exchangeInfo", 20},
		{"/api/v3/avgPrice?symbol=BTCUSDT", 2},
		{"/api/v3/ticker/24hr?symbol=BTCUSDT", 2},
		{"/api/v3/ticker/24hr", 80},
		{`/api/v3/ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]`, 2},
		{"/api/v3/ticker/price?symbol=BTCUSDT", 2},
		{"/api/v3/ticker/price", 4},
		{"/api/v3/depth?symbol=BTCUSDT&limit=500", 25},
	} {
		used += tc.weight
		_, h, _ := fetchLimited(t, srv.URL()+tc.path)
		if got := h.Get("X-MBX-USED-WEIGHT-1M"); got != strconv.Itoa(used) {
			t.Fatalf("%s: X-MBX-USED-WEIGHT-1M %s, want %d (weight %d)", tc.path, got, used, tc.weight)
		}
		if got := h.Get("X-MBX-USED-WEIGHT"); got != strconv.Itoa(used) {
			t.Fatalf("%s: X-MBX-USED-WEIGHT %s, want %d", tc.path, got, used)
		}
	}
}

func TestFuturesKlineWeightFollowsLimit(t *testing.T) {
	srv := limited(t, "binance_perpetual", replay.Options{})
	used := 0
	for _, tc := range []struct {
		limit  string
		weight int
	}{{"1", 1}, {"99", 1}, {"100", 2}, {"499", 2}, {"500", 5}, {"1000", 5}, {"1500", 10}, {"", 5}} {
		used += tc.weight
		url := srv.URL() + "/fapi/v1/klines?symbol=BTCUSDT&interval=1m"
		if tc.limit != "" {
			url += "&limit=" + tc.limit
		}
		_, h, _ := fetchLimited(t, url)
		if got := h.Get("X-MBX-USED-WEIGHT-1M"); got != strconv.Itoa(used) {
			t.Fatalf("limit %q: used %s, want %d", tc.limit, got, used)
		}
		if h.Get("X-MBX-USED-WEIGHT") != "" {
			t.Fatal("futures send no legacy X-MBX-USED-WEIGHT header")
		}
	}
	if l := srv.Limits(); l.RESTLimit != 2400 || l.WSLimit != 10 {
		t.Errorf("futures limits %+v, want 2400/min and 10 WS messages/s", l)
	}
}

func TestSpotRefusesWithBinances1003AndThenBans(t *testing.T) {
	srv := limited(t, "binance_spot", replay.Options{
		Serve: front.Options{AdjustLimits: func(l *ratelimit.Limits) {
			l.RESTLimit, l.RESTWeighted = 10, false
		}},
	})
	for i := 1; i <= 10; i++ {
		if st, h, _ := fetchLimited(t, srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1"); st != 200 || h.Get("X-MBX-USED-WEIGHT-1M") != strconv.Itoa(i) {
			t.Fatalf("request %d: %d used %s", i, st, h.Get("X-MBX-USED-WEIGHT-1M"))
		}
	}
	st, h, body := fetchLimited(t, srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1")
	want := `{"code":-1003,"msg":"Too many requests; current limit of IP(127.0.0.1) request weight per minute is 10. Please use WebSocket Streams for live updates to avoid bans."}`
	if st != 429 || body != want || h.Get("Retry-After") == "" {
		t.Fatalf("eleventh: %d Retry-After %q %s", st, h.Get("Retry-After"), body)
	}
	for range 10 {
		st, h, body = fetchLimited(t, srv.URL()+"/api/v3/ping")
	}
	if st != 418 || h.Get("Retry-After") != "120" {
		t.Fatalf("after ten more refusals: %d Retry-After %q %s, want a 2-minute 418", st, h.Get("Retry-After"), body)
	}
}

func TestInjectedErrorsAreBinances1001(t *testing.T) {
	srv := limited(t, "binance_spot", replay.Options{Serve: front.Options{Conditions: netsim.Config{Conditions: netsim.Conditions{ErrorRate: 1}}}})
	st, h, body := fetchLimited(t, srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m")
	if st != 500 || body != `{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}` || h.Get("X-MBX-USED-WEIGHT-1M") != "2" {
		t.Fatalf("%d %s used %s", st, body, h.Get("X-MBX-USED-WEIGHT-1M"))
	}
}

func TestSpotWSClientOverFiveMessagesPerSecondIsDisconnected(t *testing.T) {
	srv := limited(t, "binance_spot", replay.Options{})
	c, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 8 {
		c.WriteJSON(map[string]any{"method": "LIST_SUBSCRIPTIONS", "id": i})
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	replies := 0
	for {
		if _, _, err = c.ReadMessage(); err != nil {
			break
		}
		replies++
	}
	if !websocket.IsCloseError(err, 1008) || replies < 5 || replies > 7 { // a burst of 5; a slow reader may see a token refill
		t.Fatalf("%d replies then %v, want about 5 then close 1008", replies, err)
	}
}
