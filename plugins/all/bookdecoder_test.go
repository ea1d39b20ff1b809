package all_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
)

// TestEveryPluginDecodesBooks: every exchange id can read back its own
// order books for the cassette's books index, and no payload — junk,
// truncated, or a book message with its fields of the wrong kind —
// makes a decoder panic or claim a book it does not hold.
func TestEveryPluginDecodesBooks(t *testing.T) {
	junk := []string{
		``, `{`, `[]`, `null`, `{}`, `{"data":null}`, `{"code":"200000","data":{}}`,
		`{"topic":"/market/level2:BTC-USDT","type":"message","data":{"changes":{"asks":[["1"]],"bids":[]}}}`,
		`{"topic":"/contractMarket/level2:XBTUSDTM","type":"message","data":{"sequence":5,"change":"1,buy"}}`,
		`{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","u":1,"b":[["1"]]}}`,
		`{"channel":"futures.order_book","event":"all","result":{"contract":"NOPE_USDT","asks":[{"p":"1","s":1}]}}`,
		`{"channel":"push.depth","data":{"asks":[[1]],"version":3},"symbol":"BTC_USDT","ts":1}`,
		`{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[]]}}`,
		`{"m":"depth","symbol":"BTC/USDT","data":{"ts":1,"asks":[["1","2"]]}}`,
		`{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":"x","qty":1}],"asks":[],"checksum":1}]}`,
		`{"channel":"l2_data","timestamp":"2024-01-01T00:00:00Z","events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"hold","price_level":"1","new_quantity":"1"}]}]}`,
		"\x9a\x02\x05\x0a\x03\x0a\x01", // a protobuf depth push cut short
	}
	paths := []string{"/api/v3/depth?symbol=BTCUSDT", "/0/public/Depth?pair=XBTUSD", "/api/v1/market/orderbook/level2_20?symbol=BTC-USDT",
		"/api/v4/spot/order_book?currency_pair=BTC_USDT", "/api/v4/futures/usdt/order_book?contract=BTC_USDT", "/api/v1/contract/depth/BTC_USDT",
		"/info", "/api/pro/v1/depth?symbol=BTC/USDT", "/api/v3/brokerage/market/product_book?product_id=BTC-USD", "/v5/market/orderbook?category=spot&symbol=BTCUSDT"}
	for _, name := range plugins.Names() {
		p, _ := plugins.Lookup(name)
		d, ok := p.(plugins.BookDecoder)
		if !ok {
			t.Errorf("%s implements no plugins.BookDecoder", name)
			continue
		}
		for _, j := range junk {
			if sets, err := d.DecodeBookFrame("/ws", []byte(j)); err == nil {
				t.Errorf("%s: frame %q decoded as %+v", name, j, sets)
			}
			for _, path := range paths {
				req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(`{"type":"l2Book","coin":"BTC"}`))
				if sets, err := d.DecodeBook(req, []byte(j)); err == nil {
					t.Errorf("%s: %s body %q decoded as %+v", name, path, j, sets)
				}
			}
		}
	}
}
