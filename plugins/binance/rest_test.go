package binance_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

func TestSpotErrors(t *testing.T) {
	srv := spotServer(t)
	for _, tc := range []struct {
		name, path string
		status     int
		want       string
	}{
		{"an unknown symbol is -1121", "/api/v3/klines?symbol=NOPEUSDT&interval=1m", 400, `{"code":-1121,"msg":"Invalid symbol."}`},
		{"a bad interval is -1120", "/api/v3/klines?symbol=BTCUSDT&interval=2m", 400, `{"code":-1120,"msg":"Invalid interval."}`},
		{"intervals are case sensitive", "/api/v3/klines?symbol=BTCUSDT&interval=1H", 400, `{"code":-1120,"msg":"Invalid interval."}`},
		{"a missing symbol is -1102", "/api/v3/klines?interval=1m", 400, `{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}`},
		{"a missing interval is -1102", "/api/v3/klines?symbol=BTCUSDT", 400, `{"code":-1102,"msg":"Mandatory parameter 'interval' was not sent, was empty/null, or malformed."}`},
		{"a lower-case symbol is -1100", "/api/v3/klines?symbol=btcusdt&interval=1m", 400, `{"code":-1100,"msg":"Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."}`},
		{"a non-numeric startTime is -1100", "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=abc", 400, `{"code":-1100,"msg":"Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."}`},
		{"a negative limit is -1100", "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=-5", 400, `{"code":-1100,"msg":"Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."}`},
		{"limit 0 is -1130", "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=0", 400, `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}`},
		{"a bad timeZone is -1130", "/api/v3/klines?symbol=BTCUSDT&interval=1m&timeZone=15", 400, `{"code":-1130,"msg":"Data sent for parameter 'timeZone' is not valid."}`},
		{"a duplicate parameter is -1101", "/api/v3/klines?symbol=BTCUSDT&symbol=ETHUSDT&interval=1m", 400, `{"code":-1101,"msg":"Duplicate values for a parameter detected."}`},
		{"an unread parameter is -1104", "/api/v3/klines?symbol=BTCUSDT&interval=1m&start_time=1", 400, `{"code":-1104,"msg":"Not all sent parameters were read; read '2' parameter(s) but was sent '3'."}`},
		{"exchangeInfo with an unknown symbol is -1121", "/api/v3/exchangeInfo?symbol=NOPE", 400, `{"code":-1121,"msg":"Invalid symbol."}`},
		{"exchangeInfo with malformed symbols is -1100", "/api/v3/exchangeInfo?symbols=BTCUSDT", 400, `{"code":-1100,"msg":"Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'."}`},
		{"symbols listed twice is -1151", "/api/v3/ticker/price?symbols=" + url.QueryEscape(`["BTCUSDT","BTCUSDT"]`), 400, `{"code":-1151,"msg":"Symbol is present multiple times in the list."}`},
		{"symbol and symbols together is -1128", "/api/v3/ticker/price?symbol=BTCUSDT&symbols=" + url.QueryEscape(`["BTCUSDT"]`), 400, `{"code":-1128,"msg":"Combination of optional parameters invalid."}`},
		{"avgPrice needs a symbol", "/api/v3/avgPrice", 400, `{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}`},
		{"a bad ticker type is -1139", "/api/v3/ticker/24hr?symbol=BTCUSDT&type=HUGE", 400, `{"code":-1139,"msg":"Invalid ticker type."}`},
		{"an unknown path is a bare 404", "/api/v3/nothing", 404, ``},
		{"futures klines are not served by spot", "/fapi/v1/klines?symbol=BTCUSDT&interval=1m", 404, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, srv.URL+tc.path)
			if status != tc.status || string(body) != tc.want {
				t.Errorf("got %d %s\nwant %d %s", status, body, tc.status, tc.want)
			}
		})
	}
}

func TestFuturesErrors(t *testing.T) {
	srv := futuresServer(t)
	for _, tc := range []struct {
		name, path string
		status     int
		want       string
	}{
		{"an unknown symbol is -1121", "/fapi/v1/klines?symbol=NOPEUSDT&interval=1m", 400, `{"code":-1121,"msg":"Invalid symbol."}`},
		{"1s is not a futures interval", "/fapi/v1/klines?symbol=BTCUSDT&interval=1s", 400, `{"code":-1120,"msg":"Invalid interval."}`},
		{"limit above 1500 is -1130", "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1501", 400, `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}`},
		{"startTime after endTime is -1023", "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=2000&endTime=1000", 400, `{"code":-1023,"msg":"Start time is greater than end time."}`},
		{"continuousKlines needs a contractType", "/fapi/v1/continuousKlines?pair=BTCUSDT&interval=1m", 400, `{"code":-1102,"msg":"Mandatory parameter 'contractType' was not sent, was empty/null, or malformed."}`},
		{"premiumIndex of an unknown symbol is -1121", "/fapi/v1/premiumIndex?symbol=NOPE", 400, `{"code":-1121,"msg":"Invalid symbol."}`},
		{"unread parameters are ignored", "/fapi/v1/ping?foo=bar", 200, `{}`},
		{"an unknown path is a bare 404", "/fapi/v1/nothing", 404, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, srv.URL+tc.path)
			if status != tc.status || string(body) != tc.want {
				t.Errorf("got %d %s\nwant %d %s", status, body, tc.status, tc.want)
			}
		})
	}
}

func TestSpotLimitAboveMaxIsClamped(t *testing.T) {
	srv := spotServer(t)
	status, body := get(t, srv.URL+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5000")
	var rows [][]any
	if status != 200 || json.Unmarshal(body, &rows) != nil || len(rows) != 1000 {
		t.Fatalf("status %d, %d rows", status, len(rows))
	}
}

func TestTimeAndExchangeInfoReadTheClock(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"spot time", "/api/v3/time"},
		{"spot exchangeInfo", "/api/v3/exchangeInfo"},
		{"futures exchangeInfo on the spot host", "/fapi/v1/exchangeInfo"},
		{"delivery exchangeInfo on the spot host", "/dapi/v1/exchangeInfo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, spotServer(t).URL+tc.path)
			var v struct {
				ServerTime int64 `json:"serverTime"`
			}
			if status != http.StatusOK || json.Unmarshal(body, &v) != nil || v.ServerTime != fixedNow.UnixMilli() {
				t.Errorf("%d %s", status, body)
			}
		})
	}
}

func TestExchangeInfoSelectsSymbols(t *testing.T) {
	srv := spotServer(t)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"BTCUSDT", "ETHUSDT"}},
		{"?symbol=ETHUSDT", []string{"ETHUSDT"}},
		{"?symbols=" + url.QueryEscape(`["ETHUSDT","BTCUSDT"]`), []string{"ETHUSDT", "BTCUSDT"}},
		{"?symbolStatus=HALT", nil},
		{"?permissions=SPOT", []string{"BTCUSDT", "ETHUSDT"}},
	} {
		status, body := get(t, srv.URL+"/api/v3/exchangeInfo"+tc.query)
		var info struct {
			Symbols []struct {
				Symbol  string           `json:"symbol"`
				Filters []map[string]any `json:"filters"`
			} `json:"symbols"`
		}
		if status != 200 || json.Unmarshal(body, &info) != nil {
			t.Fatalf("%s: %d %s", tc.query, status, body)
		}
		var got []string
		for _, s := range info.Symbols {
			got = append(got, s.Symbol)
			if len(s.Filters) == 0 || s.Filters[0]["filterType"] != "PRICE_FILTER" {
				t.Errorf("%s filters %v", s.Symbol, s.Filters)
			}
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%q: symbols %v, want %v", tc.query, got, tc.want)
		}
	}
}
