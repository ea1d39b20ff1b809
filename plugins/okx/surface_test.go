package okx_test

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// objResp is OKX's envelope around an array of objects.
type objResp struct {
	Code string              `json:"code"`
	Msg  string              `json:"msg"`
	Data []map[string]string `json:"data"`
}

// keysOf lists m's keys, sorted.
func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// wantKeys fails unless every object has exactly the documented fields
// (the examples of OKX's API reference).
func wantKeys(t *testing.T, what string, data []map[string]string, doc ...string) {
	t.Helper()
	sort.Strings(doc)
	for _, o := range data {
		if got := keysOf(o); !slices.Equal(got, doc) {
			t.Fatalf("%s: fields %v, documented %v", what, got, doc)
		}
	}
}

func getObj(t *testing.T, f *replaytest.Server, path string) objResp {
	t.Helper()
	var r objResp
	if status, body := f.GetJSON(t, path, &r); status != 200 || r.Code != "0" {
		t.Fatalf("%s: %d %.300s", path, status, body)
	}
	return r
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

var tradeFields = []string{"instId", "side", "sz", "px", "source", "tradeId", "ts"}

func TestTradesShapeAndLimits(t *testing.T) {
	for _, ex := range []*okx.Exchange{okx.Spot, okx.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			f := newFixture(t, ex, replaytest.Clock(t0, 0))
			inst := ex.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
			for _, tc := range []struct {
				q    string
				want int
			}{{"", 100}, {"&limit=7", 7}, {"&limit=500", 500}, {"&limit=900", 500}} {
				r := getObj(t, f, "/api/v5/market/trades?instId="+inst+tc.q)
				if len(r.Data) != tc.want {
					t.Fatalf("limit %q: %d trades, want %d", tc.q, len(r.Data), tc.want)
				}
				wantKeys(t, "trades", r.Data, tradeFields...)
				for i, tr := range r.Data {
					if tr["instId"] != inst || (tr["side"] != "buy" && tr["side"] != "sell") {
						t.Fatalf("trade %v", tr)
					}
					if i > 0 && atoi(t, tr["tradeId"]) != atoi(t, r.Data[i-1]["tradeId"])-1 {
						t.Fatalf("not newest first by one id: %v after %v", tr, r.Data[i-1])
					}
					if atoi(t, tr["ts"]) > t0.UnixMilli() {
						t.Fatalf("a trade after now: %v", tr)
					}
				}
			}
			// The newest trade is the tape's last at now.
			ts, err := f.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: inst, Limit: 1, Newest: true, Now: t0.UnixMilli()*1000 + 999})
			if err != nil || len(ts) != 1 {
				t.Fatal(err)
			}
			r := getObj(t, f, "/api/v5/market/trades?instId="+inst+"&limit=1")
			if atoi(t, r.Data[0]["tradeId"]) != ts[0].ID || cc.MustDecimal(r.Data[0]["px"]).Cmp(ts[0].Price) != 0 {
				t.Errorf("newest %v, tape %+v", r.Data[0], ts[0])
			}
			if ex == okx.Perpetual {
				// BTC-USDT-SWAP's contract is 0.01 BTC: sz is 100× the size.
				if cc.MustDecimal(r.Data[0]["sz"]).Cmp(ts[0].Size.Mul(cc.NewDecimal(100, 0))) != 0 {
					t.Errorf("swap sz %s for size %v", r.Data[0]["sz"], ts[0].Size)
				}
			}
		})
	}
}

func TestTradesErrors(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	for _, tc := range []struct{ path, code string }{
		{"/api/v5/market/trades?instId=NOPE-USDT", "51001"},
		{"/api/v5/market/trades", "50014"},
		{"/api/v5/market/trades?instId=BTC-USDT&limit=x", "51000"},
		{"/api/v5/market/history-trades?instId=NOPE-USDT", "51001"},
		{"/api/v5/market/history-trades?instId=BTC-USDT&type=3", "51000"},
		{"/api/v5/market/history-trades?instId=BTC-USDT&after=abc", "51000"},
		{"/api/v5/public/funding-rate?instId=BTC-USDT", "51001"},
		{"/api/v5/public/mark-price", "50014"},
		{"/api/v5/public/open-interest?instType=SPOT", "51000"},
	} {
		var r objResp
		_, body := f.GetJSON(t, tc.path, &r)
		if r.Code != tc.code || len(r.Data) != 0 {
			t.Errorf("%s: %s, want code %s", tc.path, body, tc.code)
		}
	}
}

// TestHistoryTradesPagesJoin: paging back by tradeId (after = the oldest
// id seen) and by time (type=2) join without gap or overlap, and before
// pages forward.
func TestHistoryTradesPagesJoin(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	const inst = "ETH-USDT-SWAP"
	first := getObj(t, f, "/api/v5/market/history-trades?instId="+inst)
	if len(first.Data) != 100 {
		t.Fatalf("%d trades, want the default 100", len(first.Data))
	}
	wantKeys(t, "history-trades", first.Data, tradeFields...)
	ids := []int64{}
	page := first
	for p := 0; p < 4; p++ {
		for _, tr := range page.Data {
			ids = append(ids, atoi(t, tr["tradeId"]))
		}
		page = getObj(t, f, "/api/v5/market/history-trades?instId="+inst+"&after="+strconv.FormatInt(ids[len(ids)-1], 10))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]-1 {
			t.Fatalf("tradeId pages: %d then %d", ids[i-1], ids[i])
		}
	}
	// Forward from the oldest: before gives the next ids up.
	fwd := getObj(t, f, "/api/v5/market/history-trades?instId="+inst+"&limit=10&before="+strconv.FormatInt(ids[len(ids)-1], 10))
	for i, tr := range fwd.Data {
		if atoi(t, tr["tradeId"]) != ids[len(ids)-1]+int64(10-i) {
			t.Fatalf("before page %d: %v", i, tr)
		}
	}
	// type=2: every trade older than a ms; the next page is older than
	// the oldest ms + 1 (OKX pages by ms, so the oldest ms comes again,
	// whole): the pages' trades, deduplicated, are consecutive ids.
	seen := map[int64]bool{}
	after := t0.UnixMilli() - 60_000
	for p := 0; p < 6; p++ {
		r := getObj(t, f, "/api/v5/market/history-trades?instId="+inst+"&type=2&after="+strconv.FormatInt(after, 10))
		if len(r.Data) == 0 {
			t.Fatal("empty page")
		}
		for _, tr := range r.Data {
			if atoi(t, tr["ts"]) >= after {
				t.Fatalf("type=2 after=%d gave %v", after, tr)
			}
			seen[atoi(t, tr["tradeId"])] = true
		}
		oldest := atoi(t, r.Data[len(r.Data)-1]["ts"])
		if oldest+1 < after {
			after = oldest + 1
		} else {
			after = oldest
		}
	}
	var all []int64
	for id := range seen {
		all = append(all, id)
	}
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if all[i] != all[i-1]+1 {
			t.Fatalf("type=2 pages: a gap between %d and %d", all[i-1], all[i])
		}
	}
	if len(all) < 400 {
		t.Errorf("type=2: %d trades in 6 pages", len(all))
	}
}

// TestTradesAggregateToTheirCandles: the trades history-trades serves for
// a closed 1m candle are the tape's prints of the minute, ids consecutive,
// prices inside the candle's range; where they match its open, high, low,
// close and volume exactly (the tape is not yet exact for every minute)
// is counted and logged.
func TestTradesAggregateToTheirCandles(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	const inst = "BTC-USDT"
	ctx := context.Background()
	now := t0.UnixMilli()
	exact, minutes := 0, 0
	for open := cc.Interval1m.Truncate(now) - 10*minute; open < cc.Interval1m.Truncate(now); open += minute {
		minutes++
		var cr candlesResp
		f.GetJSON(t, "/api/v5/market/candles?instId="+inst+"&bar=1m&limit=1&after="+strconv.FormatInt(open+1, 10), &cr)
		if len(cr.Data) != 1 || atoi(t, cr.Data[0][0]) != open {
			t.Fatalf("candle at %d: %v", open, cr)
		}
		c := cr.Data[0]
		var got []map[string]string
		after := strconv.FormatInt(open+minute, 10)
		for {
			r := getObj(t, f, "/api/v5/market/history-trades?instId="+inst+"&type=2&after="+after)
			done := len(r.Data) == 0
			for _, tr := range r.Data {
				if atoi(t, tr["ts"]) < open {
					done = true
					break
				}
				if len(got) == 0 || atoi(t, tr["tradeId"]) < atoi(t, got[len(got)-1]["tradeId"]) {
					got = append(got, tr)
				}
			}
			if done {
				break
			}
			after = strconv.FormatInt(atoi(t, got[len(got)-1]["ts"])+1, 10)
		}
		ts, err := f.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: inst, Start: open * 1000, End: (open + minute) * 1000, Now: now * 1000})
		if err != nil || len(ts) != len(got) || len(ts) == 0 {
			t.Fatalf("minute %d: served %d trades, the tape %d (%v)", open, len(got), len(ts), err)
		}
		hi, lo, vol := cc.MustDecimal(c[2]), cc.MustDecimal(c[3]), cc.Decimal{}
		for i, tr := range got {
			p := ts[len(ts)-1-i]
			px := cc.MustDecimal(tr["px"])
			if atoi(t, tr["tradeId"]) != p.ID || px.Cmp(p.Price) != 0 || cc.MustDecimal(tr["sz"]).Cmp(p.Size) != 0 {
				t.Fatalf("served %v, tape %+v", tr, p)
			}
			if px.Cmp(hi) > 0 || px.Cmp(lo) < 0 {
				t.Errorf("minute %d: trade %v outside [%s, %s]", open, tr, c[3], c[2])
			}
			vol = vol.Add(p.Size)
		}
		// The tape's ids are the candle's: the first trade of the next
		// minute follows the last of this one.
		next, err := f.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: inst, Start: (open + minute) * 1000, Limit: 1, Now: now * 1000})
		if err == nil && len(next) == 1 && next[0].ID != ts[len(ts)-1].ID+1 {
			t.Errorf("minute %d: last id %d, next minute's first %d", open, ts[len(ts)-1].ID, next[0].ID)
		}
		if got[len(got)-1]["px"] == c[1] && got[0]["px"] == c[4] && vol.Cmp(cc.MustDecimal(c[5])) == 0 {
			exact++
		}
	}
	t.Logf("%d of %d minutes aggregate exactly to their candle", exact, minutes)
}

func TestTickerIsTheRollingWindow(t *testing.T) {
	for _, ex := range []*okx.Exchange{okx.Spot, okx.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			f := newFixture(t, ex, replaytest.Clock(t0, 0))
			inst := ex.Symbol(cc.Pair{Base: "ETH", Quote: "USDT"})
			r := getObj(t, f, "/api/v5/market/ticker?instId="+inst)
			if len(r.Data) != 1 {
				t.Fatalf("%v", r)
			}
			tk := r.Data[0]
			wantKeys(t, "ticker", r.Data, "instType", "instId", "last", "lastSz", "askPx", "askSz", "bidPx", "bidSz",
				"open24h", "high24h", "low24h", "volCcy24h", "vol24h", "ts", "sodUtc0", "sodUtc8")
			now := t0.UnixMilli()
			st, err := cc.WindowStats(context.Background(), f.Env.Market, f.Env.Tape, inst, now-24*3_600_000, now)
			if err != nil {
				t.Fatal(err)
			}
			for k, d := range map[string]cc.Decimal{"last": st.Last, "open24h": st.Open, "high24h": st.High, "low24h": st.Low} {
				if cc.MustDecimal(tk[k]).Cmp(d) != 0 {
					t.Errorf("%s %s, window %v", k, tk[k], d)
				}
			}
			vol := st.Volume
			if ex == okx.Perpetual {
				if cc.MustDecimal(tk["volCcy24h"]).Cmp(st.Volume) != 0 {
					t.Errorf("volCcy24h %s, window volume %v", tk["volCcy24h"], st.Volume)
				}
				vol = vol.Mul(cc.NewDecimal(10, 0)) // 0.1 ETH a contract
			} else if cc.MustDecimal(tk["volCcy24h"]).Cmp(st.QuoteVolume) != 0 {
				t.Errorf("volCcy24h %s, window quote volume %v", tk["volCcy24h"], st.QuoteVolume)
			}
			if cc.MustDecimal(tk["vol24h"]).Cmp(vol) != 0 {
				t.Errorf("vol24h %s, want %v", tk["vol24h"], vol)
			}
			bid, ask, last := cc.MustDecimal(tk["bidPx"]), cc.MustDecimal(tk["askPx"]), st.Last.Float64()
			if bid.Cmp(ask) >= 0 || bid.Float64() > last*1.001 || ask.Float64() < last*0.999 {
				t.Errorf("bid %v ask %v around last %v", bid, ask, last)
			}
			if tk["instType"] != ex.InstType() || atoi(t, tk["ts"]) != now {
				t.Errorf("ticker %v", tk)
			}
			// tickers lists it, and only its own type.
			all := getObj(t, f, "/api/v5/market/tickers?instType="+ex.InstType())
			if len(all.Data) != 4 || !slices.ContainsFunc(all.Data, func(m map[string]string) bool { return m["instId"] == inst && m["last"] == tk["last"] }) {
				t.Errorf("tickers: %v", all.Data)
			}
		})
	}
}

func TestPerpetualPublicData(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	const inst = "BTC-USDT-SWAP"
	now := t0.UnixMilli()
	ctx := context.Background()
	st, err := f.Env.Derivs.Perp(ctx, inst, now)
	if err != nil {
		t.Fatal(err)
	}

	mp := getObj(t, f, "/api/v5/public/mark-price?instType=SWAP&instId="+inst)
	wantKeys(t, "mark-price", mp.Data, "instType", "instId", "markPx", "ts")
	if len(mp.Data) != 1 || cc.MustDecimal(mp.Data[0]["markPx"]).Cmp(st.Mark) != 0 {
		t.Errorf("mark-price %v, state %+v", mp.Data, st)
	}
	if all := getObj(t, f, "/api/v5/public/mark-price?instType=SWAP"); len(all.Data) != 4 {
		t.Errorf("mark-price of all: %d", len(all.Data))
	}
	// Mark − index within the band (0.5%).
	if d := st.Mark.Float64()/st.Index.Float64() - 1; d > 0.005 || d < -0.005 {
		t.Errorf("mark %v index %v", st.Mark, st.Index)
	}

	fr := getObj(t, f, "/api/v5/public/funding-rate?instId="+inst)
	wantKeys(t, "funding-rate", fr.Data, "formulaType", "fundingRate", "fundingTime", "impactValue", "instId", "instType",
		"interestRate", "maxFundingRate", "method", "minFundingRate", "nextFundingRate", "nextFundingTime", "premium",
		"settFundingRate", "settState", "ts")
	ft, nft := atoi(t, fr.Data[0]["fundingTime"]), atoi(t, fr.Data[0]["nextFundingTime"])
	const eight = 8 * 3_600_000
	if ft%eight != 0 || nft != ft+eight || ft <= now || ft > now+eight {
		t.Errorf("funding times %d %d at %d", ft, nft, now)
	}
	if r := cc.MustDecimal(fr.Data[0]["fundingRate"]).Float64(); r > 0.00375 || r < -0.00375 || cc.MustDecimal(fr.Data[0]["fundingRate"]).Cmp(st.FundingRate) != 0 {
		t.Errorf("fundingRate %s, state %v", fr.Data[0]["fundingRate"], st.FundingRate)
	}

	// Funding history: newest first on the 8h schedule; pages by after join.
	h1 := getObj(t, f, "/api/v5/public/funding-rate-history?instId="+inst+"&limit=10")
	wantKeys(t, "funding-rate-history", h1.Data, "formulaType", "fundingRate", "fundingTime", "instId", "instType", "method", "realizedRate")
	if len(h1.Data) != 10 || atoi(t, h1.Data[0]["fundingTime"]) != ft-eight {
		t.Fatalf("history %v (next settlement %d)", h1.Data, ft)
	}
	h2 := getObj(t, f, "/api/v5/public/funding-rate-history?instId="+inst+"&limit=10&after="+h1.Data[9]["fundingTime"])
	times := []int64{}
	for _, r := range append(h1.Data, h2.Data...) {
		times = append(times, atoi(t, r["fundingTime"]))
	}
	for i := 1; i < len(times); i++ {
		if times[i] != times[i-1]-eight {
			t.Fatalf("funding pages: %d then %d", times[i-1], times[i])
		}
	}
	if full := getObj(t, f, "/api/v5/public/funding-rate-history?instId="+inst); len(full.Data) != 400 {
		t.Errorf("default limit gave %d, want 400", len(full.Data))
	}

	oi := getObj(t, f, "/api/v5/public/open-interest?instType=SWAP&instId="+inst)
	wantKeys(t, "open-interest", oi.Data, "instType", "instId", "oi", "oiCcy", "oiUsd", "ts")
	if cc.MustDecimal(oi.Data[0]["oiCcy"]).Cmp(st.OpenInterest) != 0 ||
		cc.MustDecimal(oi.Data[0]["oi"]).Cmp(st.OpenInterest.Mul(cc.NewDecimal(100, 0))) != 0 {
		t.Errorf("open interest %v, state %v", oi.Data, st.OpenInterest)
	}
	if fut := getObj(t, f, "/api/v5/public/open-interest?instType=FUTURES"); len(fut.Data) != 0 {
		t.Errorf("futures open interest: %v", fut.Data)
	}

	it := getObj(t, f, "/api/v5/market/index-tickers?instId=BTC-USDT")
	wantKeys(t, "index-tickers", it.Data, "instId", "idxPx", "high24h", "low24h", "open24h", "sodUtc0", "sodUtc8", "ts")
	if len(it.Data) != 1 || cc.MustDecimal(it.Data[0]["idxPx"]).Cmp(st.Index) != 0 {
		t.Errorf("index ticker %v, index %v", it.Data, st.Index)
	}
	if q := getObj(t, f, "/api/v5/market/index-tickers?quoteCcy=USDT"); len(q.Data) != 4 {
		t.Errorf("index tickers of USDT: %d", len(q.Data))
	}
	var e objResp
	if _, body := f.GetJSON(t, "/api/v5/market/index-tickers?instId=NOPE-USDT", &e); e.Code != "51001" {
		t.Errorf("unknown index: %s", body)
	}
}

// TestSharedHostRoutesNewEndpoints: with both ids on one host, instType,
// instId and the index paths pick the sibling.
func TestSharedHostRoutesNewEndpoints(t *testing.T) {
	for _, tc := range []struct {
		path, want string
	}{
		{"/api/v5/market/trades?instId=BTC-USDT", "okx_spot"},
		{"/api/v5/market/trades?instId=BTC-USDT-SWAP", "okx_perpetual"},
		{"/api/v5/market/tickers?instType=SWAP", "okx_perpetual"},
		{"/api/v5/public/mark-price?instType=MARGIN", "okx_spot"},
		{"/api/v5/public/funding-rate?instId=BTC-USDT-SWAP", "okx_perpetual"},
		{"/api/v5/public/open-interest?instType=SWAP", "okx_perpetual"},
		{"/api/v5/market/index-tickers?instId=BTC-USDT", "okx_perpetual"},
		{"/api/v5/market/index-tickers?quoteCcy=USDT", "okx_perpetual"},
		{"/api/v5/market/index-candles?instId=BTC-USDT", "okx_perpetual"},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://www.okx.com"+tc.path, nil)
		if got := okx.Spot.Owner(req); got != tc.want {
			t.Errorf("%s: owner %q, want %q", tc.path, got, tc.want)
		}
	}
}
