package kraken_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/kraken"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type tradesResp struct {
	Error  []string
	Result map[string]json.RawMessage
}

// tradeRow is one decoded [price, volume, time, side, type, misc, id].
type tradeRow struct {
	price, volume cc.Decimal
	time          float64
	side, typ     string
	id            int64
}

func getTrades(t *testing.T, url, path string) (rows []tradeRow, last string, errs []string) {
	t.Helper()
	var r tradesResp
	replaytest.GetJSON(t, url, path, &r)
	for k, v := range r.Result {
		if k == "last" {
			if err := json.Unmarshal(v, &last); err != nil {
				t.Fatalf("last is not a string: %s", v)
			}
			continue
		}
		var raw [][]any
		if err := json.Unmarshal(v, &raw); err != nil {
			t.Fatal(err)
		}
		for _, x := range raw {
			if len(x) != 7 {
				t.Fatalf("row %v has %d fields, want 7", x, len(x))
			}
			var row tradeRow
			var err error
			if row.price, err = cc.ParseDecimal(x[0].(string)); err != nil {
				t.Fatal(err)
			}
			if row.volume, err = cc.ParseDecimal(x[1].(string)); err != nil {
				t.Fatal(err)
			}
			row.time = x[2].(float64)
			row.side, row.typ = x[3].(string), x[4].(string)
			if x[5].(string) != "" {
				t.Fatalf("misc = %q", x[5])
			}
			row.id = int64(x[6].(float64))
			rows = append(rows, row)
		}
	}
	return rows, last, r.Error
}

func TestTradesShapeRecentAndUnknownPair(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	rows, last, errs := getTrades(t, srv.URL, "/0/public/Trades?pair=XBTUSD&count=50")
	if len(errs) != 0 || len(rows) != 50 {
		t.Fatalf("%d rows, errors %v", len(rows), errs)
	}
	for i, r := range rows {
		if i > 0 && r.id != rows[i-1].id+1 {
			t.Fatalf("ids not consecutive: %d after %d", r.id, rows[i-1].id)
		}
		if (r.side != "b" && r.side != "s") || (r.typ != "m" && r.typ != "l") {
			t.Fatalf("side/type %q/%q", r.side, r.typ)
		}
		if r.time > float64(base.Unix())+1 || r.time < float64(base.Unix())-3600 {
			t.Fatalf("time %f far from now %d", r.time, base.Unix())
		}
	}
	ns, err := strconv.ParseInt(last, 10, 64)
	if err != nil || ns/1000 != int64(rows[49].time*1e6+0.5) && ns/1000 != int64(rows[49].time*1e6) {
		t.Fatalf("last %q is not the newest trade's ns time %f", last, rows[49].time)
	}
	_, body := replaytest.Get(t, srv.URL, "/0/public/Trades?pair=FOOBAR")
	if string(body) != `{"error":["EQuery:Unknown asset pair"]}` {
		t.Fatalf("unknown pair: %s", body)
	}
	_, body = replaytest.Get(t, srv.URL, "/0/public/Trades")
	if !strings.Contains(string(body), `"EGeneral:Invalid arguments:pair"`) {
		t.Fatalf("no pair: %s", body)
	}
	for _, since := range []string{"0", "1"} {
		rows, _, errs := getTrades(t, srv.URL, "/0/public/Trades?pair=XBTUSD&count=3&since="+since)
		if len(errs) != 0 || len(rows) != 3 || rows[0].time < float64(kraken.Launch/1000) {
			t.Fatalf("since=%s: %d rows from %v (%v), want the first after launch", since, len(rows), rows, errs)
		}
	}
	_, body = replaytest.Get(t, srv.URL, "/0/public/Trades?pair=XBTUSD&since=abc")
	if !strings.Contains(string(body), `"EGeneral:Invalid arguments`) {
		t.Fatalf("bad since: %s", body)
	}
}

// TestTradesPagesJoinAndFoldIntoCandles pages through ten minutes with
// since=last and checks every minute's trades against its OHLC row.
func TestTradesPagesJoinAndFoldIntoCandles(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	from := base.Truncate(time.Minute).Add(-10 * time.Minute)
	since := strconv.FormatInt(from.Unix(), 10)
	var all []tradeRow
	pages := 0
	for {
		rows, last, errs := getTrades(t, srv.URL, "/0/public/Trades?pair=XXBTZUSD&count=97&since="+since)
		if len(errs) != 0 {
			t.Fatal(errs)
		}
		pages++
		if len(rows) == 0 {
			if last != since && pages > 1 {
				t.Fatalf("empty page moved the cursor: %s -> %s", since, last)
			}
			break
		}
		all = append(all, rows...)
		since = last
		if rows[len(rows)-1].time >= float64(from.Add(10*time.Minute).Unix()) {
			break
		}
	}
	if pages < 3 {
		t.Fatalf("only %d pages", pages)
	}
	for i := 1; i < len(all); i++ {
		if all[i].id != all[i-1].id+1 {
			t.Fatalf("page join: id %d after %d", all[i].id, all[i-1].id)
		}
	}
	if all[0].time < float64(from.Unix()) {
		t.Fatalf("first trade %f before since %d", all[0].time, from.Unix())
	}
	// The rows fold into the 1m candles.
	ohlc, _, _ := getOHLC(t, srv.URL, "/0/public/OHLC?pair=XBTUSD&interval=1&since="+strconv.FormatInt(from.Unix()-60, 10))
	checked, traded, exact := 0, 0, 0
	for _, c := range ohlc {
		open := int64(c[0].(float64))
		if open >= from.Add(10*time.Minute).Unix() {
			break
		}
		var in []tradeRow
		for _, r := range all {
			if r.time >= float64(open) && r.time < float64(open+60) {
				in = append(in, r)
			}
		}
		count := int64(c[7].(float64))
		if int64(len(in)) != count {
			t.Fatalf("minute %d: %d trades, candle says %d", open, len(in), count)
		}
		checked++
		if count == 0 {
			continue
		}
		traded++
		vol := cc.NewDecimal(0, 8)
		hi, lo := in[0].price, in[0].price
		for _, r := range in {
			vol = vol.Add(r.volume)
			if r.price.Cmp(hi) > 0 {
				hi = r.price
			}
			if r.price.Cmp(lo) < 0 {
				lo = r.price
			}
		}
		want := func(i int) cc.Decimal { d, _ := cc.ParseDecimal(c[i].(string)); return d }
		// What every minute guarantees (synth/doc.go): its count (above)
		// and prices inside its range; where the tape is exact for the
		// minute, its open, high, low, close and volume too.
		if hi.Cmp(want(2)) > 0 || lo.Cmp(want(3)) < 0 {
			t.Fatalf("minute %d: trades in [%s, %s], candle %v", open, lo, hi, c)
		}
		if in[0].price.Cmp(want(1)) == 0 && hi.Cmp(want(2)) == 0 && lo.Cmp(want(3)) == 0 && in[len(in)-1].price.Cmp(want(4)) == 0 && vol.Cmp(want(6)) == 0 {
			exact++
		}
	}
	if checked < 9 || traded < 3 {
		t.Fatalf("only %d minutes checked, %d with trades", checked, traded)
	}
	t.Logf("%d of %d minutes with trades aggregate exactly", exact, traded)
}

// TestTradesSinceNanosecondsAndSeconds: since in seconds and in ns name
// the same instant.
func TestTradesSinceNanosecondsAndSeconds(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	at := base.Add(-2 * time.Hour)
	a, _, _ := getTrades(t, srv.URL, "/0/public/Trades?pair=XBTUSD&count=20&since="+strconv.FormatInt(at.Unix(), 10))
	b, _, _ := getTrades(t, srv.URL, "/0/public/Trades?pair=XBTUSD&count=20&since="+strconv.FormatInt(at.UnixNano(), 10))
	if len(a) != 20 || len(b) != 20 || a[0].id != b[0].id {
		t.Fatalf("seconds and ns disagree: %d/%d rows", len(a), len(b))
	}
	want, err := srv.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "XBT/USD", Start: at.UnixMicro(), Limit: 1, Now: base.UnixMicro()})
	if err != nil || len(want) != 1 || want[0].ID != a[0].id {
		t.Fatalf("first trade %d, tape says %v (%v)", a[0].id, want, err)
	}
}

func TestTickerAgreesWithTheMarket(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	var r struct {
		Error  []string
		Result map[string]struct {
			A, B [3]string
			C    [2]string
			V, P [2]string
			T    [2]int64
			L, H [2]string
			O    string
		}
	}
	replaytest.GetJSON(t, srv.URL, "/0/public/Ticker?pair=XBTUSD,ETHUSDT", &r)
	if len(r.Error) != 0 || len(r.Result) != 2 {
		t.Fatalf("%+v", r)
	}
	now := srv.Env.Clock.NowMillis()
	ctx := context.Background()
	for key, sym := range map[string]string{"XXBTZUSD": "XBT/USD", "ETHUSDT": "ETH/USDT"} {
		tk, found := r.Result[key]
		if !found {
			t.Fatalf("no %s in %v", key, r.Result)
		}
		day, err := cc.RollingStats(ctx, srv.Env.Market, srv.Env.Tape, sym, 86_400_000, now)
		if err != nil {
			t.Fatal(err)
		}
		today, err := cc.DayStats(ctx, srv.Env.Market, srv.Env.Tape, sym, now)
		if err != nil {
			t.Fatal(err)
		}
		dec := func(s string) cc.Decimal {
			d, err := cc.ParseDecimal(s)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if dec(tk.C[0]).Cmp(day.Last) != 0 || dec(tk.C[1]).Cmp(day.LastQty) != 0 {
			t.Errorf("%s: c %v, last trade %s × %s", key, tk.C, day.Last, day.LastQty)
		}
		if tk.T != [2]int64{today.Trades, day.Trades} || dec(tk.V[1]).Cmp(day.Volume) != 0 || dec(tk.V[0]).Cmp(today.Volume) != 0 {
			t.Errorf("%s: t %v v %v, want %d/%d %s/%s", key, tk.T, tk.V, today.Trades, day.Trades, today.Volume, day.Volume)
		}
		if dec(tk.H[1]).Cmp(day.High) != 0 || dec(tk.L[1]).Cmp(day.Low) != 0 || dec(tk.O).Cmp(today.Open) != 0 || dec(tk.H[0]).Cmp(today.High) != 0 {
			t.Errorf("%s: h %v l %v o %s, want %s %s %s", key, tk.H, tk.L, tk.O, day.High, day.Low, today.Open)
		}
		bid, ask, last := dec(tk.B[0]).Float64(), dec(tk.A[0]).Float64(), day.Last.Float64()
		if !(bid < ask) || bid > last*1.001 || ask < last*0.999 {
			t.Errorf("%s: bid %f ask %f around last %f", key, bid, ask, last)
		}
		if tk.A[2] == "" || !strings.Contains(tk.A[2], ".") {
			t.Errorf("%s: lot volume %q", key, tk.A[2])
		}
	}
	_, body := replaytest.Get(t, srv.URL, "/0/public/Ticker?pair=NOPE")
	if string(body) != `{"error":["EQuery:Unknown asset pair"]}` {
		t.Fatalf("unknown pair: %s", body)
	}
}

func TestSpreadStraddles(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	var r struct {
		Error  []string
		Result map[string]json.RawMessage
	}
	replaytest.GetJSON(t, srv.URL, "/0/public/Spread?pair=XBTUSD&since="+strconv.FormatInt(base.Unix()-10, 10), &r)
	var rows [][3]any
	if err := json.Unmarshal(r.Result["XXBTZUSD"], &rows); err != nil || len(rows) != 10 {
		t.Fatalf("%d rows (%v): %s", len(rows), err, r.Result["XXBTZUSD"])
	}
	for _, row := range rows {
		b, _ := strconv.ParseFloat(row[1].(string), 64)
		a, _ := strconv.ParseFloat(row[2].(string), 64)
		if !(b < a) {
			t.Fatalf("row %v: bid not below ask", row)
		}
	}
	if string(r.Result["last"]) != strconv.FormatInt(base.Unix(), 10) {
		t.Fatalf("last = %s", r.Result["last"])
	}
}

// The ticker is one instant's: c is the last trade of the seconds closed
// by then, and b and a the touch right after that trade, so they straddle
// it (a touch taken at the clock's now could be up to a second newer than
// c, and miss it). Kraken is spot only.
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	for _, at := range replaytest.TickerInstants() {
		srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(at, 0))
		var r struct {
			Error  []string
			Result map[string]struct {
				A, B [3]string
				C    [2]string
			}
		}
		replaytest.GetJSON(t, srv.URL, "/0/public/Ticker?pair=XBTUSD", &r)
		tk, found := r.Result["XXBTZUSD"]
		if len(r.Error) != 0 || !found {
			t.Fatalf("at %s: %+v", at.Format(time.RFC3339Nano), r)
		}
		replaytest.Straddles(t, "Ticker (c, b, a)", at, tk.C[0], tk.B[0], tk.A[0])
	}
}
