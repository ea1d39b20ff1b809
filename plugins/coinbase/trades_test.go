package coinbase_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/coinbase"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type marketTrade struct {
	TradeID   string `json:"trade_id"`
	ProductID string `json:"product_id"`
	Price     string `json:"price"`
	Size      string `json:"size"`
	Time      string `json:"time"`
	Side      string `json:"side"`
	Bid       string `json:"bid"`
	Ask       string `json:"ask"`
	Exchange  string `json:"exchange"`
}

func getMarketTrades(t *testing.T, url, path string) (ts []marketTrade, bid, ask float64) {
	t.Helper()
	var r struct {
		Trades  []marketTrade `json:"trades"`
		BestBid string        `json:"best_bid"`
		BestAsk string        `json:"best_ask"`
	}
	replaytest.GetJSON(t, url, path, &r)
	bid, _ = strconv.ParseFloat(r.BestBid, 64)
	ask, _ = strconv.ParseFloat(r.BestAsk, 64)
	return r.Trades, bid, ask
}

func tradeID(t *testing.T, tr marketTrade) int64 {
	id, err := strconv.ParseInt(tr.TradeID, 10, 64)
	if err != nil {
		t.Fatalf("trade_id %q", tr.TradeID)
	}
	return id
}

func TestMarketTradesNewestFirstWithTouch(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	ts, bid, ask := getMarketTrades(t, srv.URL, "/api/v3/brokerage/market/products/BTC-USD/ticker?limit=30")
	if len(ts) != 30 {
		t.Fatalf("%d trades", len(ts))
	}
	for i, tr := range ts {
		if tr.ProductID != "BTC-USD" || (tr.Side != "BUY" && tr.Side != "SELL") || tr.Exchange != "coinbase" {
			t.Fatalf("trade %+v", tr)
		}
		if _, err := time.Parse(time.RFC3339Nano, tr.Time); err != nil {
			t.Fatal(err)
		}
		if i > 0 && tradeID(t, tr) != tradeID(t, ts[i-1])-1 {
			t.Fatalf("not newest first without gaps: %s after %s", tr.TradeID, ts[i-1].TradeID)
		}
	}
	last, _ := strconv.ParseFloat(ts[0].Price, 64)
	if !(bid < ask) || bid > last*1.001 || ask < last*0.999 {
		t.Fatalf("best bid %f ask %f around last %f", bid, ask, last)
	}
	want, err := srv.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTC-USD", Limit: 1, Newest: true, Now: base.UnixMicro()})
	if err != nil || want[0].ID != tradeID(t, ts[0]) || want[0].Price.String() != ts[0].Price {
		t.Fatalf("newest %+v, tape %+v (%v)", ts[0], want, err)
	}
	st, body := replaytest.Get(t, srv.URL, "/api/v3/brokerage/market/products/NOPE-USD/ticker?limit=5")
	if st != 404 || !strings.Contains(string(body), `"error":"NOT_FOUND"`) {
		t.Fatalf("unknown product: %d %s", st, body)
	}
	st, body = replaytest.Get(t, srv.URL, "/api/v3/brokerage/market/products/BTC-USD/ticker?limit=x")
	if st != 400 || !strings.Contains(string(body), `"error":"INVALID_ARGUMENT"`) {
		t.Fatalf("bad limit: %d %s", st, body)
	}
}

// windowTrades is the trades of [start, end) (Unix seconds), newest
// first: a window that fills a page (1000) is asked for in halves.
func windowTrades(t *testing.T, url string, start, end int64) []marketTrade {
	t.Helper()
	ts, _, _ := getMarketTrades(t, url, "/api/v3/brokerage/market/products/BTC-USD/ticker?limit=1000&start="+strconv.FormatInt(start, 10)+"&end="+strconv.FormatInt(end, 10))
	if len(ts) < 1000 || end-start < 2 {
		return ts
	}
	mid := (start + end) / 2
	return append(windowTrades(t, url, mid, end), windowTrades(t, url, start, mid)...)
}

// TestMarketTradesWindowsJoinAndFoldIntoCandles: consecutive [start, end)
// minutes together are the tape, each minute's count its candle's.
func TestMarketTradesWindowsJoinAndFoldIntoCandles(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	from := base.Truncate(time.Minute).Add(-30 * time.Minute).Unix()
	var ids []int64
	traded := 0
	for m := from; m < from+30*60; m += 60 {
		ts := windowTrades(t, srv.URL, m, m+60)
		cs := getCandles(t, srv.URL, "/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start="+strconv.FormatInt(m, 10)+"&end="+strconv.FormatInt(m+59, 10))
		if len(cs) != 1 {
			t.Fatalf("%d candles for minute %d", len(cs), m)
		}
		candle, err := srv.Env.Market.Candles(context.Background(), "BTC-USD", cc.Interval1m, m*1000, m*1000+60_000, base.UnixMilli())
		if err != nil || len(candle) != 1 || int64(len(ts)) != candle[0].Trades {
			t.Fatalf("minute %d: %d trades, candle %+v (%v)", m, len(ts), candle, err)
		}
		if len(ts) > 0 {
			traded++
			hi, _ := strconv.ParseFloat(cs[0].High, 64)
			lo, _ := strconv.ParseFloat(cs[0].Low, 64)
			for _, tr := range ts {
				p, _ := strconv.ParseFloat(tr.Price, 64)
				at, _ := time.Parse(time.RFC3339Nano, tr.Time)
				if p > hi || p < lo || at.Unix() < m || at.Unix() >= m+60 {
					t.Fatalf("minute %d: trade %+v outside the candle %+v", m, tr, cs[0])
				}
			}
		}
		for i := len(ts) - 1; i >= 0; i-- {
			ids = append(ids, tradeID(t, ts[i]))
		}
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("windows do not join: %d after %d", ids[i], ids[i-1])
		}
	}
	if traded < 3 {
		t.Fatalf("only %d minutes traded", traded)
	}
	st, body := replaytest.Get(t, srv.URL, "/api/v3/brokerage/market/products/BTC-USD/ticker?limit=5&start=100&end=50")
	if st != 400 || !strings.Contains(string(body), "INVALID_ARGUMENT") {
		t.Fatalf("end before start: %d %s", st, body)
	}
}

func TestProductsFiguresAreTheMarkets(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	var pr map[string]any
	replaytest.GetJSON(t, srv.URL, "/api/v3/brokerage/market/products/BTC-USD", &pr)
	ctx := context.Background()
	now := base.UnixMilli()
	st, err := cc.RollingStats(ctx, srv.Env.Market, srv.Env.Tape, "BTC-USD", 86_400_000, now)
	if err != nil {
		t.Fatal(err)
	}
	dec := func(k string) cc.Decimal {
		d, err := cc.ParseDecimal(pr[k].(string))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return d
	}
	if dec("price").Cmp(st.Last) != 0 || dec("volume_24h").Cmp(st.Volume) != 0 {
		t.Fatalf("price %v volume %v, stats %s %s", pr["price"], pr["volume_24h"], st.Last, st.Volume)
	}
	if got, want := dec("price_percentage_change_24h").Float64(), st.ChangePercent(8).Float64(); got-want > 1e-6 || want-got > 1e-6 {
		t.Fatalf("change %f, want %f", got, want)
	}
	if got, want := dec("approximate_quote_24h_volume").Float64(), st.QuoteVolume.Float64(); got-want > 0.01 || want-got > 0.01 {
		t.Fatalf("quote volume %f, want %f", got, want)
	}
	touch, err := srv.Env.Quotes.Touch(ctx, "BTC-USD", now*1000+999)
	if err != nil {
		t.Fatal(err)
	}
	if m := dec("mid_market_price").Float64(); !(touch.Bid.Float64() < m && m < touch.Ask.Float64()) {
		t.Fatalf("mid %f outside %s..%s", m, touch.Bid, touch.Ask)
	}
	var list struct {
		Products []map[string]any
	}
	replaytest.GetJSON(t, srv.URL, "/api/v3/brokerage/market/products?product_ids=BTC-USD", &list)
	if len(list.Products) != 1 || list.Products[0]["price"] != pr["price"] || list.Products[0]["volume_24h"] != pr["volume_24h"] {
		t.Fatalf("listing disagrees: %v vs %v", list.Products, pr)
	}
}

func TestWSMarketTradesSnapshotThenUpdatesJoin(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 300))
	c := replaytest.Dial(t, srv.URL+"/")
	if err := c.WriteJSON(map[string]any{"type": "subscribe", "product_ids": []string{"BTC-USD"}, "channel": "market_trades"}); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var ids []int64
	var kinds []string
	for len(kinds) < 3 {
		m := readJSON(t, c)
		switch m["channel"] {
		case "subscriptions":
			if !strings.Contains(m["_raw"].(string), `"market_trades":["BTC-USD"]`) {
				t.Fatalf("ack %s", m["_raw"])
			}
			continue
		case "market_trades":
		default:
			t.Fatalf("unexpected %s", m["_raw"])
		}
		var ev struct {
			Events []struct {
				Type   string
				Trades []marketTrade
			}
		}
		json.Unmarshal([]byte(m["_raw"].(string)), &ev)
		kinds = append(kinds, ev.Events[0].Type)
		trs := ev.Events[0].Trades
		for i := len(trs) - 1; i >= 0; i-- {
			ids = append(ids, tradeID(t, trs[i]))
		}
	}
	if kinds[0] != "snapshot" || kinds[1] != "update" || kinds[2] != "update" {
		t.Fatalf("events %v", kinds)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("stream skips or repeats: %d after %d", ids[i], ids[i-1])
		}
	}
}

func TestWSTickerAndBatch(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 60))
	c := replaytest.Dial(t, srv.URL+"/")
	for _, ch := range []string{"ticker", "ticker_batch"} {
		if err := c.WriteJSON(map[string]any{"type": "subscribe", "product_ids": []string{"BTC-USD"}, "channel": ch}); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	seen := map[string]bool{}
	for !seen["ticker"] || !seen["ticker_batch"] {
		m := readJSON(t, c)
		ch := m["channel"].(string)
		if ch == "subscriptions" {
			continue
		}
		var ev struct {
			Timestamp string
			Events    []struct {
				Type    string
				Tickers []map[string]string
			}
		}
		json.Unmarshal([]byte(m["_raw"].(string)), &ev)
		tk := ev.Events[0].Tickers[0]
		for _, k := range []string{"price", "volume_24_h", "low_24_h", "high_24_h", "low_52_w", "high_52_w", "price_percent_chg_24_h", "best_bid", "best_bid_quantity", "best_ask", "best_ask_quantity"} {
			if _, ok := tk[k]; !ok {
				t.Fatalf("%s lacks %s: %s", ch, k, m["_raw"])
			}
		}
		at, _ := time.Parse(time.RFC3339Nano, ev.Timestamp)
		st, err := cc.RollingStats(context.Background(), srv.Env.Market, srv.Env.Tape, "BTC-USD", 86_400_000, at.UnixMilli())
		// As numbers: the ticker drops trailing zeros (a 24h volume
		// ending in a zero lot digit failed the string comparison).
		if err != nil || !sameNumber(tk["price"], st.Last.String()) || !sameNumber(tk["volume_24_h"], st.Volume.String()) {
			t.Fatalf("%s at %s: %v, stats %s %s", ch, ev.Timestamp, tk, st.Last, st.Volume)
		}
		bid, _ := strconv.ParseFloat(tk["best_bid"], 64)
		ask, _ := strconv.ParseFloat(tk["best_ask"], 64)
		if !(bid < ask) || tk["type"] != "ticker" || ev.Events[0].Type != "snapshot" && !seen[ch] {
			t.Fatalf("%s: %s", ch, m["_raw"])
		}
		seen[ch] = true
	}
}

// sameNumber reports whether two decimal strings are the same number.
func sameNumber(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && x == y
}

// The market trades' best_bid and best_ask, which ccxt's fetchTicker
// shows with the newest trade's price as last, are the touch right after
// that trade, the tape's last, so they straddle it (a touch taken at the
// clock's now could be up to a second newer, and miss it). Coinbase is
// spot only.
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	for _, at := range replaytest.TickerInstants() {
		srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(at, 0))
		var r struct {
			Trades  []marketTrade `json:"trades"`
			BestBid string        `json:"best_bid"`
			BestAsk string        `json:"best_ask"`
		}
		replaytest.GetJSON(t, srv.URL, "/api/v3/brokerage/market/products/BTC-USD/ticker?limit=1", &r)
		if len(r.Trades) != 1 {
			t.Fatalf("at %s: %d trades", at.Format(time.RFC3339Nano), len(r.Trades))
		}
		replaytest.Straddles(t, "market/products/BTC-USD/ticker", at, r.Trades[0].Price, r.BestBid, r.BestAsk)
	}
}
