package binance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func synthServer(t *testing.T, kind binance.Kind) (string, func() *testEnv) {
	t.Helper()
	env := synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot")
	srv := serve(t, binance.New(kind, binance.Options{}), env)
	return srv.URL, func() *testEnv { return &testEnv{env.Market, env.Tape} }
}

type testEnv struct {
	m    cc.Market
	tape cc.Tape
}

// keys lists a JSON object's keys in order.
func keys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", b)
	}
	var out []string
	for dec.More() {
		tok, _ := dec.Token()
		out = append(out, tok.(string))
		var v json.RawMessage
		dec.Decode(&v)
	}
	return out
}

func firstRow(t *testing.T, b []byte) []byte {
	t.Helper()
	var rows []json.RawMessage
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) == 0 {
		t.Fatalf("no rows: %.300s", b)
	}
	return rows[0]
}

func getWith(t *testing.T, u string, h http.Header) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header = h
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf strings.Builder
	b := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(b)
		buf.Write(b[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, []byte(buf.String())
}

type tradeRow struct {
	ID           int64  `json:"id"`
	Price        string `json:"price"`
	Qty          string `json:"qty"`
	QuoteQty     string `json:"quoteQty"`
	Time         int64  `json:"time"`
	IsBuyerMaker bool   `json:"isBuyerMaker"`
}

func TestRecentTradesShapeLimitsAndOrder(t *testing.T) {
	now := fixedNow.UnixMilli()
	for _, tc := range []struct {
		kind   binance.Kind
		path   string
		fields string
	}{
		{binance.Spot, "/api/v3/trades", "id price qty quoteQty time isBuyerMaker isBestMatch"},
		{binance.Perpetual, "/fapi/v1/trades", "id price qty quoteQty time isBuyerMaker isRPITrade"},
		{binance.Spot, "/api/v1/trades", "id price qty quoteQty time isBuyerMaker isBestMatch"},
	} {
		base, _ := synthServer(t, tc.kind)
		status, body := get(t, base+tc.path+"?symbol=BTCUSDT")
		var rows []tradeRow
		if status != 200 || json.Unmarshal(body, &rows) != nil || len(rows) != 500 {
			t.Fatalf("%s: %d, %d rows: %.200s", tc.path, status, len(rows), body)
		}
		if got := strings.Join(keys(t, firstRow(t, body)), " "); got != tc.fields {
			t.Errorf("%s fields %q, want %q", tc.path, got, tc.fields)
		}
		for i, r := range rows {
			if i > 0 && (r.ID <= rows[i-1].ID || r.Time < rows[i-1].Time) {
				t.Fatalf("%s: rows out of order at %d: %+v after %+v", tc.path, i, r, rows[i-1])
			}
			p, _ := cc.ParseDecimal(r.Price)
			q, _ := cc.ParseDecimal(r.Qty)
			qq, _ := cc.ParseDecimal(r.QuoteQty)
			if p.Mul(q).Cmp(qq) != 0 {
				t.Fatalf("%s: quoteQty %s != %s×%s", tc.path, r.QuoteQty, r.Price, r.Qty)
			}
		}
		if last := rows[len(rows)-1].Time; last > now || last < now-2000 {
			t.Errorf("%s: last trade at %d, now %d", tc.path, last, now)
		}
		if tc.kind == binance.Spot && !strings.Contains(string(body), `"price":"`) {
			t.Errorf("spot prices are strings")
		}
		// limit: 1..1000; spot clamps a larger one, futures refuse it.
		_, body = get(t, base+tc.path+"?symbol=BTCUSDT&limit=3")
		if json.Unmarshal(body, &rows) != nil || len(rows) != 3 {
			t.Errorf("limit=3: %s", body)
		}
		status, body = get(t, base+tc.path+"?symbol=BTCUSDT&limit=1001")
		if tc.kind == binance.Spot {
			if json.Unmarshal(body, &rows) != nil || len(rows) != 1000 {
				t.Errorf("spot limit=1001: %d rows", len(rows))
			}
		} else if status != 400 || string(body) != `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}` {
			t.Errorf("futures limit=1001: %d %s", status, body)
		}
		for q, want := range map[string]string{
			"":                        `{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}`,
			"?symbol=NOPE":            `{"code":-1121,"msg":"Invalid symbol."}`,
			"?symbol=BTCUSDT&limit=x": `{"code":-1100,"msg":"Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."}`,
		} {
			if status, body := get(t, base+tc.path+q); status != 400 || string(body) != want {
				t.Errorf("%s%s: %d %s, want %s", tc.path, q, status, body, want)
			}
		}
	}
}

func TestHistoricalTradesFromID(t *testing.T) {
	base, _ := synthServer(t, binance.Spot)
	var recent []tradeRow
	_, body := get(t, base+"/api/v3/trades?symbol=ETHUSDT&limit=50")
	json.Unmarshal(body, &recent)
	from := recent[10].ID
	_, body = get(t, base+"/api/v3/historicalTrades?symbol=ETHUSDT&limit=5&fromId="+strconv.FormatInt(from, 10))
	var rows []tradeRow
	if json.Unmarshal(body, &rows) != nil || len(rows) != 5 {
		t.Fatalf("historicalTrades: %s", body)
	}
	for i, r := range rows {
		if r != recent[10+i] {
			t.Errorf("row %d %+v, recent trades have %+v", i, r, recent[10+i])
		}
	}
	_, body = get(t, base+"/api/v3/historicalTrades?symbol=ETHUSDT&limit=50")
	var latest []tradeRow
	if json.Unmarshal(body, &latest) != nil || len(latest) != 50 || latest[49] != recent[49] {
		t.Errorf("historicalTrades without fromId is not the recent trades: %.200s", body)
	}
}

type aggRow struct {
	A int64  `json:"a"`
	P string `json:"p"`
	Q string `json:"q"`
	F int64  `json:"f"`
	L int64  `json:"l"`
	T int64  `json:"T"`
	M bool   `json:"m"`
	// BestMatch catches spot's "M", which would otherwise land in M:
	// encoding/json matches keys case-insensitively.
	BestMatch bool `json:"M"`
}

func TestAggTradesAggregateTheTape(t *testing.T) {
	now := fixedNow.UnixMilli()
	for _, tc := range []struct {
		kind   binance.Kind
		prefix string
		fields string
	}{
		{binance.Spot, "/api/v3", "a p q f l T m M"},
		{binance.Perpetual, "/fapi/v1", "a p q f l T m"},
	} {
		base, _ := synthServer(t, tc.kind)
		start := now - 90_000
		q := "?symbol=BTCUSDT&startTime=" + strconv.FormatInt(start, 10) + "&endTime=" + strconv.FormatInt(start+30_000, 10) + "&limit=1000"
		status, body := get(t, base+tc.prefix+"/aggTrades"+q)
		var aggs []aggRow
		if status != 200 || json.Unmarshal(body, &aggs) != nil || len(aggs) == 0 {
			t.Fatalf("%d %.300s", status, body)
		}
		if got := strings.Join(keys(t, firstRow(t, body)), " "); got != tc.fields {
			t.Errorf("fields %q, want %q", got, tc.fields)
		}
		for i, a := range aggs {
			if a.T < start || a.T > start+30_000 || a.BestMatch != (tc.kind == binance.Spot) || a.A != a.F || a.L < a.F || (i > 0 && a.F != aggs[i-1].L+1 && a.F <= aggs[i-1].L) {
				t.Fatalf("aggregate %d %+v (previous %+v) outside the window or the ids", i, a, aggs[max(i-1, 0)])
			}
		}
		// Each aggregate is its prints: same price, sizes summed.
		first, last := aggs[0].F, aggs[len(aggs)-1].L
		_, body = get(t, base+tc.prefix+"/historicalTrades?symbol=BTCUSDT&limit=1000&fromId="+strconv.FormatInt(first, 10))
		var prints []tradeRow
		json.Unmarshal(body, &prints)
		byID := map[int64]tradeRow{}
		for _, p := range prints {
			byID[p.ID] = p
		}
		for _, a := range aggs {
			if a.L > last || len(byID) == 0 || a.L > prints[len(prints)-1].ID {
				break
			}
			sum := cc.Decimal{}
			for id := a.F; id <= a.L; id++ {
				p, ok := byID[id]
				if !ok {
					t.Fatalf("print %d of aggregate %+v missing", id, a)
				}
				if p.Price != a.P || p.Time != a.T || p.IsBuyerMaker != a.M {
					t.Fatalf("print %+v differs from its aggregate %+v", p, a)
				}
				sum = sum.Add(cc.MustDecimal(p.Qty))
			}
			if sum.Cmp(cc.MustDecimal(a.Q)) != 0 {
				t.Fatalf("aggregate %+v: prints sum to %s", a, sum)
			}
		}
		// fromId pages join: the next page starts right after the last one.
		_, body = get(t, base+tc.prefix+"/aggTrades?symbol=BTCUSDT&limit=7&fromId="+strconv.FormatInt(aggs[3].A, 10))
		var page []aggRow
		if json.Unmarshal(body, &page) != nil || len(page) != 7 || page[0] != aggs[3] || page[6] != aggs[9] {
			t.Errorf("fromId page %.300s, want from %+v", body, aggs[3])
		}
		// fromId inside an aggregate: the next whole aggregate.
		if aggs[3].L > aggs[3].F {
			_, body = get(t, base+tc.prefix+"/aggTrades?symbol=BTCUSDT&limit=1&fromId="+strconv.FormatInt(aggs[3].F+1, 10))
			if json.Unmarshal(body, &page) != nil || len(page) != 1 || page[0] != aggs[4] {
				t.Errorf("fromId inside an aggregate: %s, want %+v", body, aggs[4])
			}
		}
		// Most recent: the newest aggregates, oldest first.
		_, body = get(t, base+tc.prefix+"/aggTrades?symbol=BTCUSDT&limit=3")
		if json.Unmarshal(body, &page) != nil || len(page) != 3 || page[2].T > now || page[0].A >= page[1].A {
			t.Errorf("recent aggTrades: %s", body)
		}
	}
	// USD-M refuses windows of an hour or more.
	base, _ := synthServer(t, binance.Perpetual)
	status, body := get(t, base+"/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=1773838000000&endTime=1773841600001")
	if status != 400 || string(body) != `{"code":-1127,"msg":"More than 1 hours between startTime and endTime."}` {
		t.Errorf("futures >1h: %d %s", status, body)
	}
	if status, body := get(t, base+"/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=1773838000000&endTime=1773841600000"); status != 200 {
		t.Errorf("futures <1h: %d %.100s", status, body)
	}
}

// TestTradesWithoutTape: a mode without trades answers Binance's error.
func TestTradesWithoutTape(t *testing.T) {
	srv := spotServer(t) // testMarket, no tape
	for _, p := range []string{"/api/v3/trades", "/api/v3/aggTrades", "/api/v3/historicalTrades"} {
		if status, body := get(t, srv.URL+p+"?symbol=BTCUSDT"); status != 400 || string(body) != `{"code":-1121,"msg":"Invalid symbol."}` {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
}

func TestBookTickerStraddlesTheLastPrice(t *testing.T) {
	for _, tc := range []struct {
		kind   binance.Kind
		path   string
		fields string
	}{
		{binance.Spot, "/api/v3/ticker/bookTicker", "symbol bidPrice bidQty askPrice askQty"},
		{binance.Perpetual, "/fapi/v1/ticker/bookTicker", "lastUpdateId symbol bidPrice bidQty askPrice askQty time"},
	} {
		base, _ := synthServer(t, tc.kind)
		status, body := get(t, base+tc.path+"?symbol=BTCUSDT")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if got := strings.Join(keys(t, body), " "); got != tc.fields {
			t.Errorf("%s fields %q, want %q", tc.path, got, tc.fields)
		}
		var bt struct{ BidPrice, AskPrice, BidQty string }
		json.Unmarshal(body, &bt)
		_, pb := get(t, base+strings.Replace(tc.path, "bookTicker", "price", 1)+"?symbol=BTCUSDT")
		var pr struct{ Price string }
		json.Unmarshal(pb, &pr)
		bid, ask, last := cc.MustDecimal(bt.BidPrice), cc.MustDecimal(bt.AskPrice), cc.MustDecimal(pr.Price)
		mid := (bid.Float64() + ask.Float64()) / 2
		if bid.Cmp(ask) >= 0 || mid < last.Float64()*0.999 || mid > last.Float64()*1.001 || cc.MustDecimal(bt.BidQty).Units <= 0 {
			t.Errorf("%s: bid %v last %v ask %v (%s)", tc.path, bid, last, ask, body)
		}
		_, all := get(t, base+tc.path)
		var list []map[string]any
		if json.Unmarshal(all, &list) != nil || len(list) != 2 {
			t.Errorf("all book tickers: %s", all)
		}
	}
}

func TestRollingTicker(t *testing.T) {
	base, env := synthServer(t, binance.Spot)
	now := fixedNow.UnixMilli()
	status, body := get(t, base+"/api/v3/ticker?symbol=BTCUSDT&windowSize=15m")
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	want := "symbol priceChange priceChangePercent weightedAvgPrice openPrice highPrice lowPrice lastPrice volume quoteVolume openTime closeTime firstId lastId count"
	if got := strings.Join(keys(t, body), " "); got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	var tk struct {
		OpenPrice, Volume   string
		OpenTime, CloseTime int64
		Count               int64
	}
	json.Unmarshal(body, &tk)
	open := cc.Interval1m.Truncate(now - 15*60_000)
	if tk.OpenTime != open || tk.CloseTime != now {
		t.Errorf("window %d..%d, want %d..%d", tk.OpenTime, tk.CloseTime, open, now)
	}
	st, err := cc.WindowStats(context.Background(), env().m, nil, "BTCUSDT", open, now)
	if err != nil || tk.Count != st.Trades || cc.MustDecimal(tk.Volume).Cmp(st.Volume) != 0 {
		t.Errorf("ticker %s, stats %+v (%v)", body, st, err)
	}
	_, body = get(t, base+"/api/v3/ticker?symbols="+url.QueryEscape(`["BTCUSDT","ETHUSDT"]`)+"&type=MINI&windowSize=2h")
	var list []map[string]any
	if json.Unmarshal(body, &list) != nil || len(list) != 2 || len(list[0]) != 12 {
		t.Errorf("MINI list: %s", body)
	}
	for q, code := range map[string]string{
		"?symbol=BTCUSDT&windowSize=60m": "-1130", "?symbol=BTCUSDT&windowSize=8d": "-1130", "?symbol=BTCUSDT&windowSize=1d2h": "-1130",
		"?symbol=BTCUSDT&windowSize=0m": "-1130", "": "-1102", "?symbol=BTCUSDT&type=BIG": "-1139",
	} {
		if status, body := get(t, base+"/api/v3/ticker"+q); status != 400 || !strings.Contains(string(body), `"code":`+code) {
			t.Errorf("%s: %d %s, want %s", q, status, body, code)
		}
	}
}

// TestTimeUnitMicrosecond: X-MBX-TIME-UNIT (any case) turns every spot
// time into microseconds; futures ignore it.
func TestTimeUnitMicrosecond(t *testing.T) {
	base, _ := synthServer(t, binance.Spot)
	now := fixedNow.UnixMilli()
	micro := http.Header{"X-MBX-TIME-UNIT": {"microsecond"}}
	_, body := getWith(t, base+"/api/v3/time", micro)
	if string(body) != `{"serverTime":`+strconv.FormatInt(fixedNow.UnixMicro(), 10)+`}` {
		t.Errorf("time: %s", body)
	}
	_, ms := get(t, base+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2")
	_, us := getWith(t, base+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2", micro)
	var a, b [][]any
	json.Unmarshal(ms, &a)
	json.Unmarshal(us, &b)
	if len(a) != 2 || len(b) != 2 || b[0][0].(float64) != a[0][0].(float64)*1000 || b[0][6].(float64) != a[0][6].(float64)*1000+999 || b[0][1] != a[0][1] {
		t.Errorf("klines\nms %s\nus %s", ms, us)
	}
	_, ms = get(t, base+"/api/v3/trades?symbol=BTCUSDT&limit=5")
	_, us = getWith(t, base+"/api/v3/trades?symbol=BTCUSDT&limit=5", http.Header{"X-MBX-TIME-UNIT": {"MICROSECOND"}})
	var tm, tu []tradeRow
	json.Unmarshal(ms, &tm)
	json.Unmarshal(us, &tu)
	for i := range tm {
		if tu[i].Time/1000 != tm[i].Time || tu[i].ID != tm[i].ID || tu[i].Time < 1e15 {
			t.Errorf("trade %d: ms %+v us %+v", i, tm[i], tu[i])
		}
	}
	_, body = getWith(t, base+"/api/v3/ticker/24hr?symbol=BTCUSDT", micro)
	var tk struct{ OpenTime, CloseTime int64 }
	json.Unmarshal(body, &tk)
	if tk.CloseTime != now*1000 || tk.OpenTime != (now-86_400_000)*1000 {
		t.Errorf("24hr ticker times %+v", tk)
	}
	// Microsecond startTime selects like its millisecond.
	_, a1 := get(t, base+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2&startTime=1773840000000")
	_, a2 := get(t, base+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2&startTime=1773840000000000")
	if string(a1) != string(a2) {
		t.Errorf("µs startTime:\n%s\n%s", a1, a2)
	}
	if status, body := getWith(t, base+"/api/v3/time", http.Header{"X-MBX-TIME-UNIT": {"NANOSECOND"}}); status != 400 {
		t.Errorf("bad unit: %d %s", status, body)
	}
	fut, _ := synthServer(t, binance.Perpetual)
	_, body = getWith(t, fut+"/fapi/v1/time", micro)
	if string(body) != `{"serverTime":`+strconv.FormatInt(now, 10)+`}` {
		t.Errorf("futures time with the header: %s", body)
	}
}

func TestFundingOpenInterestAndPremiumIndex(t *testing.T) {
	base, _ := synthServer(t, binance.Perpetual)
	now := fixedNow.UnixMilli()
	status, body := get(t, base+"/fapi/v1/fundingRate?symbol=BTCUSDT&limit=5")
	var rows []struct {
		Symbol, FundingRate, MarkPrice string
		FundingTime                    int64
	}
	if status != 200 || json.Unmarshal(body, &rows) != nil || len(rows) != 5 {
		t.Fatalf("%d %s", status, body)
	}
	if got := strings.Join(keys(t, firstRow(t, body)), " "); got != "symbol fundingRate fundingTime markPrice" {
		t.Errorf("fields %q", got)
	}
	for i, r := range rows {
		if r.FundingTime%(8*3_600_000) != 0 || r.FundingTime > now || len(r.FundingRate) != len("0.00010000")+strings.Count(r.FundingRate, "-") || (i > 0 && r.FundingTime != rows[i-1].FundingTime+8*3_600_000) {
			t.Errorf("row %d %+v", i, r)
		}
	}
	if rows[4].FundingTime+8*3_600_000 <= now {
		t.Errorf("not the latest: %+v", rows[4])
	}
	_, body = get(t, base+"/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=1773792000000&limit=2")
	if json.Unmarshal(body, &rows) != nil || len(rows) != 2 || rows[0].FundingTime != 1773792000000 {
		t.Errorf("from startTime: %s", body)
	}
	_, body = get(t, base+"/fapi/v1/fundingRate?limit=4")
	if json.Unmarshal(body, &rows) != nil || len(rows) != 4 || rows[0].Symbol == rows[1].Symbol && rows[0].FundingTime == rows[1].FundingTime {
		t.Errorf("every symbol: %s", body)
	}
	_, body = get(t, base+"/fapi/v1/premiumIndex?symbol=BTCUSDT")
	want := "symbol markPrice indexPrice estimatedSettlePrice lastFundingRate interestRate nextFundingTime time"
	if got := strings.Join(keys(t, body), " "); got != want {
		t.Errorf("premiumIndex fields %q", got)
	}
	var pi struct{ MarkPrice, IndexPrice string }
	json.Unmarshal(body, &pi)
	mk, ix := cc.MustDecimal(pi.MarkPrice).Float64(), cc.MustDecimal(pi.IndexPrice).Float64()
	if mk == ix || mk <= 0 || (mk-ix)/ix > 0.01 || (mk-ix)/ix < -0.01 {
		t.Errorf("mark and index: %s", body)
	}
	_, body = get(t, base+"/fapi/v1/openInterest?symbol=BTCUSDT")
	if got := strings.Join(keys(t, body), " "); got != "openInterest symbol time" || !strings.HasSuffix(string(body), `"symbol":"BTCUSDT","time":`+strconv.FormatInt(now, 10)+`}`) {
		t.Errorf("openInterest %s", body)
	}
	var oiNow struct{ OpenInterest string }
	json.Unmarshal(body, &oiNow)
	if cc.MustDecimal(oiNow.OpenInterest).Float64() <= 0 {
		t.Errorf("openInterest %s", body)
	}
	_, body = get(t, base+"/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&limit=3")
	var oi []struct {
		Timestamp       int64
		SumOpenInterest string
	}
	if json.Unmarshal(body, &oi) != nil || len(oi) != 3 || oi[2].Timestamp != cc.Interval5m.Truncate(now) || oi[1].Timestamp != oi[2].Timestamp-300_000 || cc.MustDecimal(oi[0].SumOpenInterest).Float64() <= 0 {
		t.Errorf("openInterestHist %s", body)
	}
	if status, body := get(t, base+"/futures/data/openInterestHist?symbol=BTCUSDT&period=7m"); status != 400 {
		t.Errorf("bad period %d %s", status, body)
	}
	_, body = get(t, base+"/fapi/v1/fundingInfo")
	if !strings.HasPrefix(string(body), `[{"symbol":"BTCUSDT","adjustedFundingRateCap":"0.02500000","adjustedFundingRateFloor":"-0.02500000","fundingIntervalHours":8,"disclaimer":false}`) {
		t.Errorf("fundingInfo %s", body)
	}
	// Mark and index klines come from their own series, not the trades'.
	_, last := get(t, base+"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=1")
	_, mark := get(t, base+"/fapi/v1/markPriceKlines?symbol=BTCUSDT&interval=1h&limit=1")
	_, index := get(t, base+"/fapi/v1/indexPriceKlines?pair=BTCUSDT&interval=1h&limit=1")
	var l, m, x [][]any
	json.Unmarshal(last, &l)
	json.Unmarshal(mark, &m)
	json.Unmarshal(index, &x)
	if len(l) != 1 || len(m) != 1 || len(x) != 1 || l[0][4] == m[0][4] || m[0][4] == x[0][4] {
		t.Errorf("last %s\nmark %s\nindex %s", last, mark, index)
	}
}

func TestSystemStatus(t *testing.T) {
	for _, kind := range []binance.Kind{binance.Spot, binance.Perpetual} {
		base, _ := synthServer(t, kind)
		if status, body := get(t, base+"/sapi/v1/system/status"); status != 200 || string(body) != `{"status":0,"msg":"normal"}` {
			t.Errorf("%d %s", status, body)
		}
	}
}

// TestAggTradesBounds: endTime alone gives the newest up to it; a start
// after the end is empty on spot and -1023 on USD-M; a microsecond
// startTime (spot) selects as its millisecond.
func TestAggTradesBounds(t *testing.T) {
	base, _ := synthServer(t, binance.Spot)
	end := fixedNow.UnixMilli() - 600_000
	_, body := get(t, base+"/api/v3/aggTrades?symbol=ETHUSDT&limit=4&endTime="+strconv.FormatInt(end, 10))
	var aggs []aggRow
	if json.Unmarshal(body, &aggs) != nil || len(aggs) != 4 || aggs[3].T > end {
		t.Fatalf("endTime alone: %s", body)
	}
	_, next := get(t, base+"/api/v3/aggTrades?symbol=ETHUSDT&limit=1&fromId="+strconv.FormatInt(aggs[3].L+1, 10))
	var after []aggRow
	if json.Unmarshal(next, &after) != nil || len(after) != 1 || after[0].T <= end {
		t.Errorf("the aggregate after the newest up to endTime is not after it: %s", next)
	}
	if status, body := get(t, base+"/api/v3/aggTrades?symbol=ETHUSDT&startTime=1773844000000&endTime=1773843000000"); status != 200 || string(body) != "[]" {
		t.Errorf("spot start after end: %d %s", status, body)
	}
	_, ms := get(t, base+"/api/v3/aggTrades?symbol=ETHUSDT&limit=3&startTime=1773844000000")
	_, us := get(t, base+"/api/v3/aggTrades?symbol=ETHUSDT&limit=3&startTime=1773844000000000")
	if string(ms) != string(us) || len(ms) < 50 {
		t.Errorf("µs startTime:\n%s\n%s", ms, us)
	}
	fut, _ := synthServer(t, binance.Perpetual)
	if status, body := get(t, fut+"/fapi/v1/aggTrades?symbol=ETHUSDT&startTime=1773844000000&endTime=1773843000000"); status != 400 || !strings.Contains(string(body), "-1023") {
		t.Errorf("futures start after end: %d %s", status, body)
	}
}

// TestTradeStreamUnsubscribe: after UNSUBSCRIBE a trade stream says no
// more.
func TestTradeStreamUnsubscribe(t *testing.T) {
	clock := replaytest.Clock(fixedNow, 20)
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), synthEnv(clock, "binance_spot"))
	c := dial(t, srv.URL, "/ws/0")
	send(t, c, `{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}`)
	if b := read(t, c); string(b) != `{"result":null,"id":1}` {
		t.Fatalf("ack %s", b)
	}
	if b := read(t, c); !strings.Contains(string(b), `"e":"trade"`) {
		t.Fatalf("no trade: %s", b)
	}
	send(t, c, `{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":2}`)
	for {
		b := read(t, c)
		if string(b) == `{"result":null,"id":2}` {
			break
		}
	}
	c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
	if _, b, err := c.ReadMessage(); err == nil {
		t.Errorf("a push after UNSUBSCRIBE: %s", b)
	}
}

// TestTradingDayTicker: since midnight in timeZone, the day's aggregate
// (cc.DayStats for UTC).
func TestTradingDayTicker(t *testing.T) {
	base, env := synthServer(t, binance.Spot)
	now := fixedNow.UnixMilli()
	_, body := get(t, base+"/api/v3/ticker/tradingDay?symbol=BTCUSDT")
	want := "symbol priceChange priceChangePercent weightedAvgPrice openPrice highPrice lowPrice lastPrice volume quoteVolume openTime closeTime firstId lastId count"
	if got := strings.Join(keys(t, body), " "); got != want {
		t.Fatalf("fields %q: %s", got, body)
	}
	var tk struct {
		OpenPrice, LastPrice string
		OpenTime, CloseTime  int64
		Count                int64
	}
	json.Unmarshal(body, &tk)
	st, err := cc.DayStats(context.Background(), env().m, nil, "BTCUSDT", now)
	if err != nil || tk.OpenTime != cc.Interval1d.Truncate(now) || tk.CloseTime != now || tk.Count != st.Trades ||
		cc.MustDecimal(tk.OpenPrice).Cmp(st.Open) != 0 || cc.MustDecimal(tk.LastPrice).Cmp(st.Last) != 0 {
		t.Errorf("tradingDay %s, DayStats %+v (%v)", body, st, err)
	}
	_, body = get(t, base+"/api/v3/ticker/tradingDay?symbol=BTCUSDT&timeZone=-5")
	json.Unmarshal(body, &tk)
	if tk.OpenTime != cc.Interval1d.Truncate(now-5*3_600_000)+5*3_600_000 {
		t.Errorf("timeZone -5: open %d", tk.OpenTime)
	}
	if status, body := get(t, base+"/api/v3/ticker/tradingDay?symbol=BTCUSDT&timeZone=99"); status != 400 {
		t.Errorf("bad timeZone: %d %s", status, body)
	}
}
