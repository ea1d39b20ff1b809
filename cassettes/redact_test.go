package cassettes_test

import (
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
)

const listenKey = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"

// WS URLs keep every path word and stream name replay needs, and lose
// tokens wherever they are.
func TestWSURLsLoseTokensAndKeepStreams(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a raw stream is kept", "/ws/btcusdt@kline_1m", "/ws/btcusdt@kline_1m"},
		{"an all-market stream is kept", "/ws/!miniTicker@arr", "/ws/!miniTicker@arr"},
		{"combined streams are kept", "/stream?streams=btcusdt@kline_1m/ethusdt@trade", "/stream?streams=btcusdt@kline_1m/ethusdt@trade"},
		{"versioned paths are kept", "/ws/v4/", "/ws/v4/"},
		{"category paths are kept", "/v5/public/linear", "/v5/public/linear"},
		{"an account group is kept", "/1/api/pro/v1/stream", "/1/api/pro/v1/stream"},
		{"a listen key path segment goes", "/ws/" + listenKey, "/ws/REDACTED"},
		{"a listen key among streams goes", "/stream?streams=" + listenKey + "/btcusdt@kline_1m", "/stream?streams=REDACTED/btcusdt@kline_1m"},
		{"a token param goes, a connect id stays", "/endpoint?token=2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh&connectId=1545910660739", "/endpoint?token=REDACTED&connectId=1545910660739"},
		{"a key param goes", "/ws?key=abcdefgh&symbol=BTCUSDT", "/ws?key=REDACTED&symbol=BTCUSDT"},
	}
	c, path := mustCreate(t, nil)
	ids := map[uint64]string{}
	for _, tc := range cases {
		id, err := c.BeginConn(tc.in, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = tc.name
		c.EndConn(id, time.Now(), 1000)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	conns, err := openRO(t, path).Conns()
	if err != nil || len(conns) != len(cases) {
		t.Fatalf("%d conns, %v", len(conns), err)
	}
	for i, conn := range conns {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			if conn.URL != tc.want {
				t.Errorf("%s stored as %s, want %s", tc.in, conn.URL, tc.want)
			}
		})
	}
}

// Client frames lose every credential of every exchange's login and keep
// what says what the message is; everything else is stored as sent.
func TestClientFramesLoseLoginsAndKeepTheRest(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a subscribe is kept", `{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}`, `{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}`},
		{"an OKX subscribe is kept", `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}`, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}`},
		{"a text ping is kept", "ping", "ping"},
		{"text that is not a login is kept", "hello world", "hello world"},
		{"AscendEX auth keeps op, id and t", `{"op":"auth","id":"abc","t":1621234567890,"key":"myapikey123","sig":"c2lnbmF0dXJl"}`,
			`{"id":"abc","key":"REDACTED","op":"auth","sig":"REDACTED","t":1621234567890}`},
		{"Bybit auth keeps the expiry number", `{"req_id":"a","op":"auth","args":["myapikey123",1700000000000,"signature1"]}`,
			`{"args":["REDACTED",1700000000000,"REDACTED"],"op":"auth","req_id":"a"}`},
		{"Gate's WS API login loses its payload", `{"time":1,"channel":"spot.login","event":"api","payload":{"api_key":"myapikey123","req_id":"r1"}}`,
			`{"channel":"spot.login","event":"api","payload":{"api_key":"REDACTED","req_id":"REDACTED"},"time":1}`},
		{"Kraken's token goes", `{"method":"subscribe","params":{"channel":"executions","token":"kr4kenT0ken"}}`,
			`{"method":"subscribe","params":{"channel":"executions","token":"REDACTED"}}`},
		{"a login in words keeps its verb", "login myapikey123 signature1", "login REDACTED"},
		{"a form-like frame loses its secrets", "apiKey=myapikey123&symbol=BTCUSDT", "apiKey=REDACTED&symbol=BTCUSDT"},
	}
	c, path := mustCreate(t, nil)
	id, err := c.BeginConn("/ws", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromClient, Opcode: 1, Payload: []byte(tc.in)})
	}
	c.EndConn(id, time.Now(), 1000)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	openRO(t, path).Frames(id, func(f cassettes.Frame) error { got = append(got, string(f.Payload)); return nil })
	if len(got) != len(cases) {
		t.Fatalf("%d frames stored, want %d", len(got), len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got[i] != tc.want {
				t.Errorf("%s\nstored as %s\n     want %s", tc.in, got[i], tc.want)
			}
		})
	}
}

// A response body keeps numbers under secret-looking names and the
// client-only "key"; a token handed out goes, and is then scrubbed from a
// later header.
func TestResponseBodiesKeepDataUnderSecretLookingNames(t *testing.T) {
	c, path := mustCreate(t, nil)
	c.AddInteraction(&cassettes.Interaction{Method: "POST", Path: "/info", Status: 200,
		Body: []byte(`{"balances":[{"coin":"USDC","token":0,"total":"14.6"}],"key":"BTC-USDT-candles"}`)})
	c.AddInteraction(&cassettes.Interaction{Method: "POST", Path: "/api/v1/bullet-private", Status: 200,
		Body: []byte(`{"data":{"token":"kuc0inT0kenValue"}}`)})
	c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/x", Status: 200,
		RequestHeader: map[string][]string{"X-Session": {"kuc0inT0kenValue"}}})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var got []*cassettes.Interaction
	openRO(t, path).Interactions(func(ix *cassettes.Interaction) error { got = append(got, ix); return nil })
	if len(got) != 3 {
		t.Fatalf("%d interactions", len(got))
	}
	if want := `{"balances":[{"coin":"USDC","token":0,"total":"14.6"}],"key":"BTC-USDT-candles"}`; string(got[0].Body) != want {
		t.Errorf("data changed:\n got %s\nwant %s", got[0].Body, want)
	}
	if want := `{"data":{"token":"REDACTED"}}`; string(got[1].Body) != want {
		t.Errorf("token kept: %s", got[1].Body)
	}
	if v := got[2].RequestHeader.Get("X-Session"); v != cassettes.Redacted {
		t.Errorf("a learned token in a header stored as %q", v)
	}
}
