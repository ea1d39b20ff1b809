package replay_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
	"github.com/candlecassette/candlecassette/serve/ca"
	"github.com/candlecassette/candlecassette/synth"
)

// sharedIDs are the ids of every family whose siblings share a host, and
// Binance's two.
var sharedIDs = []string{
	"binance_spot", "binance_perpetual", "okx_spot", "okx_perpetual", "bybit_spot", "bybit_perpetual",
	"gate_io_spot", "gate_io_perpetual", "hyperliquid_spot", "hyperliquid_perpetual", "kucoin_spot", "kucoin_perpetual",
}

// multi is a server of several exchanges reached through its proxy port
// with TLS from a CA in a temp dir, as a client with HTTPS_PROXY set and
// the CA trusted reaches it.
type multi struct {
	srv    *replay.Server
	client *http.Client
	dialer *websocket.Dialer
}

func startMulti(t *testing.T, ids ...string) *multi {
	t.Helper()
	var hosts []string
	for h := range plugins.Hosts() {
		hosts = append(hosts, h)
	}
	authority, err := ca.Load(t.TempDir(), &ca.Options{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	srv := startReplay(t, replay.Options{Exchanges: ids, Seed: 3, Serve: serve.Options{TLS: authority.GetCertificate}})
	proxy, _ := url.Parse(srv.URL())
	tlsConf := &tls.Config{RootCAs: authority.Pool()}
	tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: tlsConf}
	t.Cleanup(tr.CloseIdleConnections)
	return &multi{
		srv:    srv,
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		dialer: &websocket.Dialer{Proxy: http.ProxyURL(proxy), TLSClientConfig: tlsConf, HandshakeTimeout: 10 * time.Second},
	}
}

// do sends method u (with body, if any, as JSON) and returns the status
// and body.
func (m *multi) do(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := m.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// Each request goes to a real exchange hostname through CONNECT and TLS;
// on a host siblings share, the answer is the sibling's the request is
// for, as the real host answers both markets.
func TestSharedHostsAnswerEverySiblingsMarket(t *testing.T) {
	m := startMulti(t, sharedIDs...)
	const since = "1704067200000" // 2024-01-01, closed candles
	// Gate and Hyperliquid keep only recent candles: an hour ago.
	hourAgo := time.Now().Add(-time.Hour).Truncate(time.Minute)
	sec, ms := strconv.FormatInt(hourAgo.Unix(), 10), strconv.FormatInt(hourAgo.UnixMilli(), 10)
	msNext := strconv.FormatInt(hourAgo.UnixMilli()+60000, 10)
	cases := []struct {
		name, method, url, body string
		want, not               []string
	}{
		{name: "okx SPOT instruments are okx_spot's", url: "https://www.okx.com/api/v5/public/instruments?instType=SPOT",
			want: []string{`"code":"0"`, `"instId":"BTC-USDT"`, `"instType":"SPOT"`}, not: []string{"-SWAP"}},
		{name: "okx SWAP instruments are okx_perpetual's", url: "https://www.okx.com/api/v5/public/instruments?instType=SWAP",
			want: []string{`"code":"0"`, `"instId":"BTC-USDT-SWAP"`, `"instType":"SWAP"`}},
		{name: "okx FUTURES instruments are an empty success", url: "https://www.okx.com/api/v5/public/instruments?instType=FUTURES",
			want: []string{`"code":"0"`, `"data":[]`}},
		{name: "okx OPTION instruments by uly are an empty success", url: "https://www.okx.com/api/v5/public/instruments?instType=OPTION&uly=BTC-USD",
			want: []string{`"code":"0"`, `"data":[]`}},
		{name: "okx spot candles", url: "https://www.okx.com/api/v5/market/history-candles?instId=BTC-USDT&bar=1m&after=1704067500000&limit=3",
			want: []string{`"code":"0"`, `[["1704067440000"`}},
		{name: "okx swap candles", url: "https://www.okx.com/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1m&after=1704067500000&limit=3",
			want: []string{`"code":"0"`, `[["1704067440000"`}},
		{name: "bybit spot instruments", url: "https://api.bybit.com/v5/market/instruments-info?category=spot",
			want: []string{`"retCode":0`, `"category":"spot"`, `"symbol":"BTCUSDT"`}},
		{name: "bybit linear instruments", url: "https://api.bybit.com/v5/market/instruments-info?category=linear&limit=1000",
			want: []string{`"retCode":0`, `"category":"linear"`, `"symbol":"BTCUSDT"`, `"contractType":"LinearPerpetual"`}},
		{name: "bybit inverse instruments are an empty success", url: "https://api.bybit.com/v5/market/instruments-info?category=inverse&limit=1000",
			want: []string{`"retCode":0`, `"category":"inverse"`, `"list":[]`}},
		{name: "bybit spot klines", url: "https://api.bybit.com/v5/market/kline?category=spot&symbol=BTCUSDT&interval=1&start=" + since + "&limit=2",
			want: []string{`"retCode":0`, `"category":"spot"`, `["1704067260000"`}},
		{name: "bybit linear klines", url: "https://api.bybit.com/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=" + since + "&limit=2",
			want: []string{`"retCode":0`, `"category":"linear"`, `["1704067260000"`}},
		{name: "gate spot candlesticks", url: "https://api.gateio.ws/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=1m&from=" + sec + "&to=" + sec,
			want: []string{`[["` + sec + `"`}},
		{name: "gate futures candlesticks", url: "https://api.gateio.ws/api/v4/futures/usdt/candlesticks?contract=BTC_USDT&interval=1m&from=" + sec + "&to=" + sec,
			want: []string{`"t":` + sec}},
		{name: "gate futures contracts", url: "https://api.gateio.ws/api/v4/futures/usdt/contracts",
			want: []string{`"name":"BTC_USDT"`}},
		{name: "gate spot pairs", url: "https://api.gateio.ws/api/v4/spot/currency_pairs",
			want: []string{`"id":"BTC_USDT"`}},
		{name: "hyperliquid spotMeta", method: "POST", url: "https://api.hyperliquid.xyz/info", body: `{"type":"spotMeta"}`,
			want: []string{`"universe"`, `"tokens"`, `"name":"UBTC"`}},
		{name: "hyperliquid meta", method: "POST", url: "https://api.hyperliquid.xyz/info", body: `{"type":"meta"}`,
			want: []string{`"universe"`, `"name":"BTC"`, `"maxLeverage"`}},
		{name: "hyperliquid spot candleSnapshot", method: "POST", url: "https://api.hyperliquid.xyz/info",
			body: `{"type":"candleSnapshot","req":{"coin":"@142","interval":"1m","startTime":` + ms + `,"endTime":` + msNext + `}}`,
			want: []string{`"s":"@142"`, `"t":` + ms}},
		{name: "hyperliquid perp candleSnapshot", method: "POST", url: "https://api.hyperliquid.xyz/info",
			body: `{"type":"candleSnapshot","req":{"coin":"BTC","interval":"1m","startTime":` + ms + `,"endTime":` + msNext + `}}`,
			want: []string{`"s":"BTC"`, `"t":` + ms}},
		{name: "kucoin spot candles on the spot host", url: "https://api.kucoin.com/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=1704067200&endAt=1704067320",
			want: []string{`"code":"200000"`, `["1704067260"`}},
		{name: "kucoin currencies on the spot host", url: "https://api.kucoin.com/api/v3/currencies",
			want: []string{`"code":"200000"`, `"currency":"BTC"`}},
		{name: "binance COIN-M exchangeInfo on dapi is empty but valid", url: "https://dapi.binance.com/dapi/v1/exchangeInfo",
			want: []string{`"symbols":[]`, `"rateLimits"`, `"serverTime"`}},
		{name: "binance COIN-M ping on dapi", url: "https://dapi.binance.com/dapi/v1/ping", want: []string{`{}`}},
		{name: "binance spot klines", url: "https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=" + since + "&limit=1",
			want: []string{`[[1704067200000,`}},
		{name: "binance USD-M klines", url: "https://fapi.binance.com/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=" + since + "&limit=1",
			want: []string{`[[1704067200000,`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := m.do(t, cmpOr(tc.method, "GET"), tc.url, tc.body)
			if status != http.StatusOK {
				t.Fatalf("%d %s", status, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer lacks %s:\n%.600s", w, body)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("answer has %s:\n%.600s", n, body)
				}
			}
		})
	}
	// Each sibling's own stack counted its requests: the routing is real,
	// not one id answering for both.
	for _, id := range []string{"okx_spot", "okx_perpetual", "bybit_spot", "bybit_perpetual", "gate_io_spot", "gate_io_perpetual", "hyperliquid_spot", "hyperliquid_perpetual"} {
		if n := m.srv.Exchange(id).Status().Requests; n < 2 {
			t.Errorf("%s's stack counted %d requests, want its own", id, n)
		}
	}
	// A direct request names no exchange: 421 with the ids and hosts.
	res, err := http.Get(m.srv.URL() + "/api/v3/ping")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(string(b), "okx_perpetual: www.okx.com") {
		t.Errorf("direct request: %d %s", res.StatusCode, b)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Bybit keeps its categories on separate sockets of one host: each path
// is its category's id's.
func TestBybitSocketsGoToTheirCategorysID(t *testing.T) {
	m := startMulti(t, "bybit_spot", "bybit_perpetual")
	for _, tc := range []struct{ path, id string }{{"/v5/public/spot", "bybit_spot"}, {"/v5/public/linear", "bybit_perpetual"}} {
		conn, _, err := m.dialer.Dial("wss://stream.bybit.com"+tc.path, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"op":"subscribe","req_id":"1","args":["kline.1.BTCUSDT"]}`)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			if strings.Contains(string(msg), `"topic":"kline.1.BTCUSDT"`) {
				break
			}
		}
		if st := m.srv.Exchange(tc.id).Status(); st.WS.Connections != 1 {
			t.Errorf("%s: %s's hub holds %d connections, want this one", tc.path, tc.id, st.WS.Connections)
		}
		conn.Close()
		for deadline := time.Now().Add(5 * time.Second); m.srv.Exchange(tc.id).Status().WS.Connections != 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// ccxt subscribes okx spot and swap candles on one business socket, and
// Hyperliquid's spot and perpetual candles on one /ws: each connection
// gets both markets' pushes, each encoded its market's way.
func TestOneSocketCarriesBothSiblingsCandles(t *testing.T) {
	m := startMulti(t, "okx_perpetual", "okx_spot", "hyperliquid_perpetual", "hyperliquid_spot")
	t.Run("okx business socket", func(t *testing.T) {
		conn, _, err := m.dialer.Dial("wss://ws.okx.com:8443/ws/v5/business", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		sub := `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"},{"channel":"candle1m","instId":"BTC-USDT-SWAP"}]}`
		if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
			t.Fatal(err)
		}
		rows := map[string][]string{}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for len(rows) < 2 {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v (pushes so far %v)", err, rows)
			}
			var push struct {
				Event string            `json:"event"`
				Msg   string            `json:"msg"`
				Arg   map[string]string `json:"arg"`
				Data  [][]string        `json:"data"`
			}
			if err := json.Unmarshal(msg, &push); err != nil {
				t.Fatalf("%s: %v", msg, err)
			}
			if push.Event == "error" {
				t.Fatalf("subscribe refused: %s", msg)
			}
			if len(push.Data) == 1 {
				rows[push.Arg["instId"]] = push.Data[0]
			}
		}
		// [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]: the swap's vol is in
		// contracts of 0.01 BTC and volCcy in BTC; the spot's vol in BTC
		// and volCcy in USDT, which is volCcyQuote.
		swap, spot := rows["BTC-USDT-SWAP"], rows["BTC-USDT"]
		if v, ccy := num(t, swap[5]), num(t, swap[6]); math.Abs(v-ccy*100) > 1e-9*max(v, 1) {
			t.Errorf("swap row %v: vol is not volCcy in contracts of 0.01 BTC", swap)
		}
		if spot[6] != spot[7] {
			t.Errorf("spot row %v: volCcy is not the quote volume", spot)
		}
		if v := num(t, spot[5]); v > 0 {
			if p := num(t, spot[6]) / v; p < num(t, spot[3])*0.999 || p > num(t, spot[2])*1.001 {
				t.Errorf("spot row %v: volCcy/vol %.2f is no price in the candle's range", spot, p)
			}
		}
	})
	t.Run("hyperliquid socket", func(t *testing.T) {
		conn, _, err := m.dialer.Dial("wss://api.hyperliquid.xyz/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, coin := range []string{"@142", "BTC"} {
			sub := `{"method":"subscribe","subscription":{"type":"candle","coin":"` + coin + `","interval":"1m"}}`
			if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
				t.Fatal(err)
			}
		}
		closes := map[string]float64{}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for len(closes) < 2 {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v (pushes so far %v)", err, closes)
			}
			var push struct {
				Channel string          `json:"channel"`
				Data    json.RawMessage `json:"data"`
			}
			json.Unmarshal(msg, &push)
			switch push.Channel {
			case "error":
				t.Fatalf("refused: %s", msg)
			case "candle":
				var c struct{ S, C string }
				if err := json.Unmarshal(push.Data, &c); err != nil {
					t.Fatal(err)
				}
				closes[c.S] = num(t, c.C)
			}
		}
		// Two markets, one underlying path: spot and perp a basis apart.
		if d := math.Abs(closes["@142"]/closes["BTC"] - 1); d > 0.005 {
			t.Errorf("spot %v and perp %v differ by %.2f%%", closes["@142"], closes["BTC"], d*100)
		}
	})
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

// One market underneath: BTC-USDT on two exchanges served together is the
// same path a small basis apart, two years from the reference time where
// unrelated paths would be far apart; a different seed is.
func TestOneProcessServesOneMarketAcrossExchanges(t *testing.T) {
	m := startMulti(t, "binance_spot", "okx_spot")
	const start = 1704067200000 // 2024-01-01
	binance := closes(t, m, "https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=60&startTime="+strconv.Itoa(start), func(b []byte) []string {
		var rows [][]any
		if err := json.Unmarshal(b, &rows); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r[4].(string))
		}
		return out
	})
	okx := closes(t, m, "https://www.okx.com/api/v5/market/history-candles?instId=BTC-USDT&bar=1m&limit=60&after="+strconv.Itoa(start+60*60000), func(b []byte) []string {
		var res struct{ Data [][]string }
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var out []string
		for _, r := range slices.Backward(res.Data) {
			out = append(out, r[4])
		}
		return out
	})
	if len(binance) != 60 || len(okx) != 60 {
		t.Fatalf("got %d and %d candles, want 60 each", len(binance), len(okx))
	}
	same, worst := 0, 0.0
	for i := range binance {
		a, b := num(t, binance[i]), num(t, okx[i])
		worst = max(worst, math.Abs(a/b-1))
		if binance[i] == okx[i] {
			same++
		}
	}
	if worst > 0.003 {
		t.Errorf("binance_spot and okx_spot BTC-USDT closes differ by up to %.3f%%, want a basis under 0.3%%", worst*100)
	}
	if same == len(binance) {
		t.Error("binance_spot and okx_spot closes are identical: no basis of their own")
	}
	// The control: another seed's path is elsewhere by then.
	other := synth.New(synth.Options{Seed: 4, Exchange: "okx_spot", Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: "BTC-USDT"}}})
	cs, err := other.Candles(context.Background(), "BTC-USDT", cc.Interval1m, start, start+60000, start+120000)
	if err != nil || len(cs) != 1 {
		t.Fatal(cs, err)
	}
	if d := math.Abs(num(t, cs[0].Close.String())/num(t, binance[0]) - 1); d < 0.01 {
		t.Errorf("seed 4's close %s is within %.2f%% of seed 3's: the test cannot tell one market from two", cs[0].Close, d*100)
	}
}

func closes(t *testing.T, m *multi, u string, parse func([]byte) []string) []string {
	t.Helper()
	status, body := m.do(t, "GET", u, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, status, body)
	}
	return parse([]byte(body))
}

// On OKX's shared public socket the swap's trades and mark price come from
// okx_perpetual's own tape and perpetual model, beside the spot's trades
// (the socket's env once carried only its lead's, and refused the swap's
// channels with 60018).
func TestOneSocketCarriesBothSiblingsTradesAndMarks(t *testing.T) {
	m := startMulti(t, "okx_spot", "okx_perpetual")
	conn, _, err := m.dialer.Dial("wss://ws.okx.com:8443/ws/v5/public", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sub := `{"op":"subscribe","args":[{"channel":"trades","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT-SWAP"},{"channel":"mark-price","instId":"BTC-USDT-SWAP"}]}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for len(seen) < 3 {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (pushes so far %v)", err, seen)
		}
		var push struct {
			Event string            `json:"event"`
			Arg   map[string]string `json:"arg"`
			Data  []map[string]any  `json:"data"`
		}
		if err := json.Unmarshal(msg, &push); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		if push.Event == "error" {
			t.Fatalf("subscribe refused: %s", msg)
		}
		if len(push.Data) > 0 {
			seen[push.Arg["channel"]+" "+push.Arg["instId"]] = true
		}
	}
}
