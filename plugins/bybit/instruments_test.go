package bybit_test

import (
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type instrumentsResp struct {
	RetCode int    `json:"retCode"`
	RetMsg  string `json:"retMsg"`
	Result  struct {
		Category       string  `json:"category"`
		NextPageCursor *string `json:"nextPageCursor"`
		List           []struct {
			Symbol        string `json:"symbol"`
			BaseCoin      string `json:"baseCoin"`
			QuoteCoin     string `json:"quoteCoin"`
			SettleCoin    string `json:"settleCoin"`
			ContractType  string `json:"contractType"`
			Status        string `json:"status"`
			PriceScale    string `json:"priceScale"`
			PriceFilter   struct{ TickSize string }
			LotSizeFilter struct{ BasePrecision, QtyStep string }
		} `json:"list"`
	} `json:"result"`
}

func TestInstrumentsListTheConfiguredPairs(t *testing.T) {
	spot := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
	var r instrumentsResp
	spot.GetJSON(t, "/v5/market/instruments-info?category=spot", &r)
	if r.RetCode != 0 || len(r.Result.List) != 3 || r.Result.NextPageCursor != nil {
		t.Fatalf("spot instruments: %+v", r)
	}
	got := r.Result.List[0]
	if got.Symbol != "BTCUSDT" || got.BaseCoin != "BTC" || got.QuoteCoin != "USDT" || got.Status != "Trading" {
		t.Errorf("spot instrument: %+v", got)
	}
	// The filters follow the precision of the prices served.
	var k klineResp
	spot.GetJSON(t, "/v5/market/kline?category=spot&symbol=XRPUSDT&interval=1&limit=1", &k)
	if tick := r.Result.List[2].PriceFilter.TickSize; len(tick) < 3 || replaytest.Decimals(tick) < replaytest.Decimals(k.Result.List[0][4]) {
		t.Errorf("XRP tick size %s coarser than the close price %s", tick, k.Result.List[0][4])
	}

	linear := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 0))
	var l instrumentsResp
	linear.GetJSON(t, "/v5/market/instruments-info?category=linear&limit=1000", &l)
	if l.RetCode != 0 || len(l.Result.List) != 3 || l.Result.NextPageCursor == nil || *l.Result.NextPageCursor != "" {
		t.Fatalf("linear instruments: %+v", l)
	}
	for _, in := range l.Result.List {
		if in.ContractType != "LinearPerpetual" || in.SettleCoin != "USDT" || in.PriceScale != itoa(replaytest.Decimals(in.PriceFilter.TickSize)) {
			t.Errorf("linear instrument: %+v", in)
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestInstrumentsCursorVisitsEveryInstrumentOnce(t *testing.T) {
	f := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 0))
	var seen []string
	cursor := ""
	for page := 0; page < 10; page++ {
		var r instrumentsResp
		f.GetJSON(t, "/v5/market/instruments-info?category=linear&limit=2&cursor="+url.QueryEscape(cursor), &r)
		if r.RetCode != 0 {
			t.Fatalf("page %d: %+v", page, r)
		}
		for _, in := range r.Result.List {
			seen = append(seen, in.Symbol)
		}
		cursor = *r.Result.NextPageCursor
		if cursor == "" {
			break
		}
	}
	sort.Strings(seen)
	if len(seen) != 3 || seen[0] != "BTCUSDT" || seen[1] != "ETHUSDT" || seen[2] != "XRPUSDT" {
		t.Errorf("pages held %v", seen)
	}
}

func TestInstrumentsOtherCategoriesAreValidAndEmpty(t *testing.T) {
	// What ccxt's default loadMarkets asks a bybit server for.
	queries := map[*bybit.Exchange][]string{
		bybit.Spot: {
			"category=linear&limit=1000", "category=linear&limit=1000&status=PreLaunch",
			"category=inverse&limit=1000", "category=inverse&limit=1000&status=PreLaunch",
			"category=option&baseCoin=BTC", "category=option&baseCoin=MNT",
		},
		bybit.Perpetual: {
			"category=spot", "category=linear&limit=1000&status=PreLaunch",
			"category=inverse&limit=1000", "category=option&baseCoin=ETH",
		},
	}
	for ex, qs := range queries {
		f := newFixture(t, ex, replaytest.Clock(t0, 0))
		for _, q := range qs {
			var r instrumentsResp
			f.GetJSON(t, "/v5/market/instruments-info?"+q, &r)
			if r.RetCode != 0 || r.Result.List == nil || len(r.Result.List) != 0 {
				t.Errorf("%s %s: %+v", ex.Name(), q, r)
			}
			if r.Result.Category != url.Values(mustQuery(q)).Get("category") {
				t.Errorf("%s %s: category %q", ex.Name(), q, r.Result.Category)
			}
		}
	}
}

func mustQuery(q string) url.Values {
	v, err := url.ParseQuery(q)
	if err != nil {
		panic(err)
	}
	return v
}

func TestInstrumentsFilterAndErrors(t *testing.T) {
	f := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 0))
	var r instrumentsResp
	f.GetJSON(t, "/v5/market/instruments-info?category=linear&symbol=ETHUSDT", &r)
	if len(r.Result.List) != 1 || r.Result.List[0].Symbol != "ETHUSDT" {
		t.Errorf("symbol filter: %+v", r)
	}
	f.GetJSON(t, "/v5/market/instruments-info?category=linear&baseCoin=XRP", &r)
	if len(r.Result.List) != 1 || r.Result.List[0].Symbol != "XRPUSDT" {
		t.Errorf("baseCoin filter: %+v", r)
	}
	for q, msg := range map[string]string{
		"":                          "params error: category is required",
		"category=margin":           "Illegal category",
		"category=linear&cursor=zz": "params error: cursor invalid",
		"category=linear&limit=0":   "params error: limit invalid",
	} {
		var e instrumentsResp
		f.GetJSON(t, "/v5/market/instruments-info?"+q, &e)
		if e.RetCode != 10001 || e.RetMsg != msg {
			t.Errorf("%q: got %d %q, want 10001 %q", q, e.RetCode, e.RetMsg, msg)
		}
	}
}

func TestTickersReportTheLast24Hours(t *testing.T) {
	for _, ex := range []*bybit.Exchange{bybit.Spot, bybit.Perpetual} {
		f := newFixture(t, ex, replaytest.Clock(t0, 0))
		var r struct {
			RetCode int `json:"retCode"`
			Result  struct {
				List []map[string]string `json:"list"`
			} `json:"result"`
		}
		f.GetJSON(t, "/v5/market/tickers?category="+ex.Category()+"&symbol=BTCUSDT", &r)
		if r.RetCode != 0 || len(r.Result.List) != 1 {
			t.Fatalf("%s: %+v", ex.Name(), r)
		}
		tk := r.Result.List[0]
		var k klineResp
		f.GetJSON(t, "/v5/market/kline?category="+ex.Category()+"&symbol=BTCUSDT&interval=1&limit=1", &k)
		if tk["lastPrice"] != k.Result.List[0][4] {
			t.Errorf("%s: lastPrice %s, latest close %s", ex.Name(), tk["lastPrice"], k.Result.List[0][4])
		}
		if tk["bid1Price"] >= tk["ask1Price"] && len(tk["bid1Price"]) == len(tk["ask1Price"]) {
			t.Errorf("%s: bid %s not below ask %s", ex.Name(), tk["bid1Price"], tk["ask1Price"])
		}
		if _, ok := tk["fundingRate"]; ok != (ex == bybit.Perpetual) {
			t.Errorf("%s: fundingRate present = %v", ex.Name(), ok)
		}
	}
}

// The ticker is one instant's: lastPrice is the last trade of the seconds
// closed by then, and bid1Price and ask1Price the touch right after that
// trade, so they straddle it (a touch taken at the clock's now could be
// up to a second newer than lastPrice, and miss it).
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	for _, ex := range []*bybit.Exchange{bybit.Spot, bybit.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			for _, at := range replaytest.TickerInstants() {
				f := newFixture(t, ex, replaytest.Clock(at, 0))
				var r struct {
					RetCode int `json:"retCode"`
					Result  struct {
						List []map[string]string `json:"list"`
					} `json:"result"`
				}
				if _, body := f.GetJSON(t, "/v5/market/tickers?category="+ex.Category()+"&symbol=BTCUSDT", &r); r.RetCode != 0 || len(r.Result.List) != 1 {
					t.Fatalf("at %s: %s", at.Format(time.RFC3339Nano), body)
				}
				tk := r.Result.List[0]
				replaytest.Straddles(t, "market/tickers", at, tk["lastPrice"], tk["bid1Price"], tk["ask1Price"])
			}
		})
	}
}
