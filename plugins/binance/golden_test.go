package binance_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got %s\nwant %s", name, got, want)
	}
}

// TestRESTGolden pins the exact bytes of every endpoint's answer on a fixed
// clock over the test market. Each is fetched twice: the answer must also
// be byte-for-byte deterministic.
func TestRESTGolden(t *testing.T) {
	spot, fut := spotServer(t), futuresServer(t)
	syms := url.QueryEscape(`["ETHUSDT","BTCUSDT"]`)
	for _, tc := range []struct{ file, base, path string }{
		{"spot_klines.json", spot.URL, "/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=3"},
		{"spot_uiklines.json", spot.URL, "/api/v3/uiKlines?symbol=ETHUSDT&interval=1m&startTime=1773844500000&limit=2"},
		{"spot_klines_timezone.json", spot.URL, "/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=2&timeZone=" + url.QueryEscape("-05:30")},
		{"spot_exchangeinfo.json", spot.URL, "/api/v3/exchangeInfo?symbol=BTCUSDT"},
		{"spot_ticker_price.json", spot.URL, "/api/v3/ticker/price?symbols=" + syms},
		{"spot_ticker_24hr.json", spot.URL, "/api/v3/ticker/24hr?symbol=BTCUSDT"},
		{"spot_ticker_24hr_mini.json", spot.URL, "/api/v3/ticker/24hr?type=MINI"},
		{"spot_avgprice.json", spot.URL, "/api/v3/avgPrice?symbol=BTCUSDT"},
		{"spot_time.json", spot.URL, "/api/v3/time"},
		{"spot_error_symbol.json", spot.URL, "/api/v3/klines?symbol=NOPE&interval=1m"},
		{"spot_error_interval.json", spot.URL, "/api/v3/klines?symbol=BTCUSDT&interval=7m"},
		{"spot_dapi_exchangeinfo.json", spot.URL, "/dapi/v1/exchangeInfo"},
		{"futures_klines.json", fut.URL, "/fapi/v1/klines?symbol=BTCUSDT&interval=15m&limit=3"},
		{"futures_continuous_klines.json", fut.URL, "/fapi/v1/continuousKlines?pair=BTCUSDT&contractType=PERPETUAL&interval=1h&limit=2"},
		{"futures_markprice_klines.json", fut.URL, "/fapi/v1/markPriceKlines?symbol=BTCUSDT&interval=1h&limit=2"},
		{"futures_premiumindex_klines.json", fut.URL, "/fapi/v1/premiumIndexKlines?symbol=BTCUSDT&interval=1h&limit=2"},
		{"futures_indexprice_klines.json", fut.URL, "/fapi/v1/indexPriceKlines?pair=BTCUSDT&interval=1d&limit=1"},
		{"futures_exchangeinfo.json", fut.URL, "/fapi/v1/exchangeInfo"},
		{"futures_premiumindex.json", fut.URL, "/fapi/v1/premiumIndex?symbol=ETHUSDT"},
		{"futures_ticker_price.json", fut.URL, "/fapi/v1/ticker/price?symbol=BTCUSDT"},
		{"futures_ticker_24hr.json", fut.URL, "/fapi/v1/ticker/24hr?symbol=BTCUSDT"},
		{"futures_error_limit.json", fut.URL, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=2000"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, first := get(t, tc.base+tc.path)
			_, second := get(t, tc.base+tc.path)
			if !bytes.Equal(first, second) {
				t.Errorf("two identical requests differ:\n%s\n%s", first, second)
			}
			if !json.Valid(first) {
				t.Errorf("not JSON: %s", first)
			}
			checkGolden(t, tc.file, first)
		})
	}
}

// TestWSGolden pins the kline event (raw and combined) and the replies.
func TestWSGolden(t *testing.T) {
	spot, fut := spotServer(t), futuresServer(t)

	raw := dial(t, spot.URL, "/ws/btcusdt@kline_1m")
	checkGolden(t, "ws_spot_kline.json", read(t, raw))

	comb := dial(t, spot.URL, "/stream?streams=ethusdt@kline_1s")
	checkGolden(t, "ws_spot_kline_combined.json", read(t, comb))

	c := dial(t, fut.URL, "/market/ws/0")
	send(t, c, `{"method":"SUBSCRIBE","params":["btcusdt@kline_1h"],"id":1}`)
	checkGolden(t, "ws_subscribe_ack.json", read(t, c))
	checkGolden(t, "ws_futures_kline.json", read(t, c))
	send(t, c, `{"method":"LIST_SUBSCRIPTIONS","id":3}`)
	checkGolden(t, "ws_list_subscriptions.json", read(t, c))
	send(t, c, `{"method":"PING","id":4}`)
	checkGolden(t, "ws_error_unknown_method.json", read(t, c))

	tick := dial(t, spot.URL, "/stream?streams=btcusdt@ticker/ethusdt@miniTicker")
	for range 2 {
		b := read(t, tick)
		if bytes.Contains(b, []byte(`"stream":"btcusdt@ticker"`)) {
			checkGolden(t, "ws_spot_ticker.json", b)
		} else {
			checkGolden(t, "ws_spot_miniticker.json", b)
		}
	}
	ftick := dial(t, fut.URL, "/market/ws/btcusdt@ticker")
	checkGolden(t, "ws_futures_ticker.json", read(t, ftick))

	mark := dial(t, fut.URL, "/market/ws/btcusdt@markPrice@1s")
	checkGolden(t, "ws_futures_markprice.json", read(t, mark))
}
