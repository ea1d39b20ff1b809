package replay_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/synth"
)

// tradesCase is one exchange's trade calls: what is recorded, and a
// recent-trades request replay answers from the index (another limit, so
// it matches no recorded interaction).
type tradesCase struct {
	id, symbol string
	record     []string
	recent     string
	recentN    int
}

var tradesCases = []tradesCase{
	{"binance_spot", "BTCUSDT", []string{
		"/api/v3/trades?symbol=BTCUSDT&limit=300",
		"/api/v3/aggTrades?symbol=BTCUSDT&limit=40",
		"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=10",
	}, "/api/v3/trades?symbol=BTCUSDT&limit=100", 100},
	{"okx_spot", "BTC-USDT", []string{
		"/api/v5/market/trades?instId=BTC-USDT&limit=100",
		"/api/v5/market/candles?instId=BTC-USDT&bar=1m&limit=10",
	}, "/api/v5/market/trades?instId=BTC-USDT&limit=50", 50},
	{"bybit_spot", "BTCUSDT", []string{
		"/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=60",
		"/v5/market/kline?category=spot&symbol=BTCUSDT&interval=1&limit=10",
	}, "/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=30", 30},
}

// sameTrade compares what a trade's exchange format carries.
func sameTrade(a, b cc.Trade) bool {
	return a.ID == b.ID && a.Time == b.Time && a.Price.Cmp(b.Price) == 0 && a.Size.Cmp(b.Size) == 0 && a.BuyerMaker == b.BuyerMaker
}

// TestRecordedTradesReplayFromTheIndex records trades from a synthetic
// upstream at seed 42 (its clock pinned), then replays at seed 7: inside
// the recorded span the trades are the recorded ones, outside they are
// the replay's synthetic tape numbered on from the recorded ids, and
// --clock now moves their times with the candles'.
func TestRecordedTradesReplayFromTheIndex(t *testing.T) {
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range tradesCases {
		t.Run(tc.id, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "trades.cassette")
			up := replaytest.StartWith(t, replay.Options{Exchange: tc.id, Seed: 42, Clock: replaytest.Clock(at, 0)})
			rec, err := record.Start(record.Options{
				Exchange: tc.id, Cassette: path,
				UpstreamREST: up.URL, UpstreamWS: up.WSURL,
				CassetteOptions: cassettes.Options{NoSync: true},
			}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.record {
				fetch(t, rec.URL()+c)
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := rec.Close(cctx); err != nil {
				t.Fatal(err)
			}

			// The index holds exactly the upstream's trades of the
			// recorded ids (times as the exchange writes them: ms).
			c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			indexed, err := c.IndexedTrades(tc.symbol, 0, math.MaxInt64)
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(indexed) < tc.recentN+10 {
				t.Fatalf("%d trades indexed", len(indexed))
			}
			first, last := indexed[0], indexed[len(indexed)-1]
			upstream, err := up.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: tc.symbol, FromID: first.ID, ToID: last.ID + 1})
			if err != nil || len(upstream) != len(indexed) {
				t.Fatalf("upstream has %d trades of ids [%d, %d], the index %d: %v", len(upstream), first.ID, last.ID, len(indexed), err)
			}
			for i := range indexed {
				u := upstream[i]
				u.Time = u.Millis() * 1000
				if !sameTrade(indexed[i], u) {
					t.Fatalf("indexed trade %d: %+v, upstream %+v", i, indexed[i], u)
				}
			}

			// A: the clock pinned at the last recorded trade; a recent-trades
			// request no recorded interaction matches is answered from the
			// index, through the plugin's own encoder.
			a := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7,
				ClockMode: time.UnixMicro(last.Time).UTC().Format(time.RFC3339Nano), Speed: math.Inf(1)})
			body := fetch(t, a.URL+tc.recent)
			req, _ := http.NewRequest(http.MethodGet, tc.recent, nil)
			sets, err := a.Plugin.(plugins.TradeDecoder).DecodeTrades(req, body)
			if err != nil || len(sets) != 1 || len(sets[0].Trades) != tc.recentN {
				t.Fatalf("recent trades: %v, %d sets: %.300s", err, len(sets), body)
			}
			want := indexed[len(indexed)-tc.recentN:]
			for i, g := range sets[0].Trades {
				if !sameTrade(g, want[i]) {
					t.Fatalf("served trade %d: %+v, recorded %+v", i, g, want[i])
				}
			}

			if tc.id == "binance_spot" {
				// The ticker's last price (Binance's: the close of the last
				// whole second) is the last recorded trade before the
				// clock's second, the 1s candles being built from the
				// recorded trades.
				var tick struct{ Price string }
				if err := json.Unmarshal(fetch(t, a.URL+"/api/v3/ticker/price?symbol=BTCUSDT"), &tick); err != nil {
					t.Fatal(err)
				}
				sec := last.Time / 1_000_000 * 1_000_000
				var before cc.Trade
				for _, tr := range indexed {
					if tr.Time < sec {
						before = tr
					}
				}
				if p, err := cc.ParseDecimal(tick.Price); err != nil || before.ID == 0 || p.Cmp(before.Price) != 0 {
					t.Errorf("ticker price %s, last recorded trade before %d: %+v", tick.Price, sec, before)
				}
			}

			if tc.id == "binance_spot" {
				// The 1s candles wholly inside the span are the recorded
				// trades aggregated (none was recorded as a candle).
				from := (first.Millis()/1000 + 1) * 1000
				to := last.Millis() / 1000 * 1000
				cs, err := a.Env.Market.Candles(ctx, tc.symbol, cc.Interval1s, from, to, a.Env.Clock.NowMillis())
				if err != nil || int64(len(cs)) != (to-from)/1000 {
					t.Fatalf("1s candles in the span: %d, %v", len(cs), err)
				}
				for _, c := range cs {
					var n int64
					var vol cc.Decimal
					var close cc.Decimal
					for _, tr := range indexed {
						if tr.Millis() >= c.OpenTime && tr.Millis() <= c.CloseTime {
							n, vol, close = n+1, vol.Add(tr.Size), tr.Price
						}
					}
					if c.Trades != n || c.Volume.Cmp(vol) != 0 || (n > 0 && c.Close.Cmp(close) != 0) {
						t.Fatalf("1s candle %d: %d trades, volume %s, close %s; recorded %d, %s, %s", c.OpenTime, c.Trades, c.Volume, c.Close, n, vol, close)
					}
				}
			}

			// B: the recorded clock (the recording's wall time, long after
			// the recorded trades): windows across the span's ends.
			b := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7})
			tape := b.Env.Tape
			now := b.Env.Clock.Now().UnixMicro()
			inside, err := tape.Trades(ctx, cc.TradeQuery{Symbol: tc.symbol, Start: first.Time, End: last.Time + 1, Now: now})
			if err != nil || len(inside) != len(indexed) {
				t.Fatalf("inside: %d trades, %v", len(inside), err)
			}
			for i := range inside {
				if !sameTrade(inside[i], indexed[i]) {
					t.Fatalf("inside trade %d: %+v, recorded %+v", i, inside[i], indexed[i])
				}
			}
			across, err := tape.Trades(ctx, cc.TradeQuery{Symbol: tc.symbol, FromID: last.ID - 4, Limit: 25, Now: now})
			if err != nil || len(across) != 25 {
				t.Fatalf("after: %d trades, %v", len(across), err)
			}
			differs := false
			upAfter, _ := up.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: tc.symbol, FromID: last.ID + 1, Limit: 20})
			for i, tr := range across {
				if i < 5 {
					if !sameTrade(tr, indexed[len(indexed)-5+i]) {
						t.Fatalf("after: trade %d is not the recorded one: %+v", i, tr)
					}
					continue
				}
				if tr.ID != last.ID+int64(i-4) || tr.Time <= last.Time || tr.Time < across[i-1].Time {
					t.Fatalf("after: synthetic trade %d: %+v (last recorded %+v)", i, tr, last)
				}
				if i-5 < len(upAfter) && !sameTrade(tr, upAfter[i-5]) {
					differs = true
				}
			}
			if !differs {
				t.Error("after the span the trades are the upstream's (seed 42), not the replay's synthetic tape")
			}
			before, err := tape.Trades(ctx, cc.TradeQuery{Symbol: tc.symbol, ToID: first.ID + 3, Limit: 13, Newest: true, Now: now})
			if err != nil || len(before) != 13 {
				t.Fatalf("before: %d trades, %v", len(before), err)
			}
			for i, tr := range before {
				if wantID := first.ID - 10 + int64(i); tr.ID != wantID {
					t.Fatalf("before: trade %d has id %d, want %d", i, tr.ID, wantID)
				}
				if i < 10 && tr.Time >= first.Time || i >= 10 && !sameTrade(tr, indexed[i-10]) {
					t.Fatalf("before: trade %d: %+v", i, tr)
				}
			}
			if ids, ok := tape.(cc.TradeIDs); !ok {
				t.Error("the replay tape numbers no trades")
			} else if id, err := ids.FirstTradeID(ctx, tc.symbol, last.Time+1); err != nil || id != last.ID+1 {
				t.Errorf("FirstTradeID after the span: %d %v", id, err)
			}

			// C: --clock now: the same trades, moved by the candles' shift.
			cn := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7, ClockMode: replay.ClockNow})
			shifted, err := cn.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: tc.symbol, FromID: first.ID, ToID: last.ID + 1, Now: cn.Env.Clock.Now().UnixMicro()})
			if err != nil || len(shifted) != len(indexed) {
				t.Fatalf("clock now: %d trades, %v", len(shifted), err)
			}
			shift := shifted[0].Time - first.Time
			if shift <= 0 || shift%60_000_000 != 0 || time.Since(at.Add(time.Duration(shift)*time.Microsecond)).Abs() > 24*time.Hour {
				t.Fatalf("clock now: shift %d µs", shift)
			}
			for i := range shifted {
				w := indexed[i]
				w.Time += shift
				if !sameTrade(shifted[i], w) {
					t.Fatalf("clock now: trade %d: %+v, recorded %+v", i, shifted[i], indexed[i])
				}
			}
			// The candles moved by the same shift.
			cs, err := cn.Env.Market.Candles(ctx, tc.symbol, cc.Interval1m, first.Millis()+shift/1000-60_000, last.Millis()+shift/1000+60_000, cn.Env.Clock.NowMillis())
			if err != nil || len(cs) == 0 || (cs[0].OpenTime-shift/1000)%60_000 != 0 {
				t.Fatalf("clock now candles: %d, %v", len(cs), err)
			}
		})
	}
}

// TestRecordedTradeStreamReplaysFromTheIndex records Binance trade events
// over WS (the upstream's clock running from a fixed instant at 20×) and
// finds each recorded event's trade served by the replay tape.
func TestRecordedTradeStreamReplaysFromTheIndex(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "ws.cassette")
	up := replaytest.StartWith(t, replay.Options{Exchange: "binance_spot", Seed: 42, Clock: replaytest.Clock(at, 20)})
	rec, err := record.Start(record.Options{
		Exchange: "binance_spot", Cassette: path,
		UpstreamREST: up.URL, UpstreamWS: up.WSURL,
		CassetteOptions: cassettes.Options{NoSync: true},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(rec.WSURL()+"/ws/btcusdt@trade", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	p := up.Plugin.(plugins.TradeDecoder)
	var seen []cc.Trade
	for len(seen) < 8 {
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("after %d trades: %v", len(seen), err)
		}
		sets, err := p.DecodeTradeFrame("/ws/btcusdt@trade", b)
		if err != nil || len(sets) != 1 {
			t.Fatalf("frame %s: %v", b, err)
		}
		seen = append(seen, sets[0].Trades...)
	}
	conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rec.Close(cctx); err != nil {
		t.Fatal(err)
	}
	srv := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7})
	now := srv.Env.Clock.Now().UnixMicro()
	got, err := srv.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", FromID: seen[0].ID, ToID: seen[len(seen)-1].ID + 1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(seen) {
		t.Fatalf("replay serves %d trades of ids [%d, %d], %d were streamed", len(got), seen[0].ID, seen[len(seen)-1].ID, len(seen))
	}
	for i := range seen {
		if !sameTrade(got[i], seen[i]) {
			t.Fatalf("trade %d: replay %+v, streamed %+v", i, got[i], seen[i])
		}
	}
}

// TestRecordedTradesOfASymbolTheSyntheticMarketLacks: a symbol only the
// recording knows is served its recorded trades alone, numbered as
// recorded, with nothing synthetic around them.
func TestRecordedTradesOfASymbolTheSyntheticMarketLacks(t *testing.T) {
	ctx := context.Background()
	const t0 = int64(1_709_294_400_000_000)
	ts := fiveTrades(t0, cc.NewDecimal(100, 2), cc.NewDecimal(1, 0))
	srv := replaytest.StartWith(t, replay.Options{Cassette: tradesCassette(t, "FOOBAR", ts), Seed: 7})
	tape := srv.Env.Tape
	got, err := tape.Trades(ctx, cc.TradeQuery{Symbol: "FOOBAR", Limit: 2, Newest: true, Now: t0 + 1_000_000_000})
	if err != nil || len(got) != 2 || got[0].ID != 73 || got[1].ID != 74 {
		t.Fatalf("newest: %+v %v", got, err)
	}
	got, err = tape.Trades(ctx, cc.TradeQuery{Symbol: "FOOBAR", Start: 1, Now: t0 + 1_000_000_000})
	if err != nil || len(got) != 5 || got[0] != ts[0] {
		t.Fatalf("all: %+v %v", got, err)
	}
	if id, err := tape.(cc.TradeIDs).FirstTradeID(ctx, "FOOBAR", t0+10_000); err != nil || id != 75 {
		t.Fatalf("FirstTradeID after: %d %v", id, err)
	}
}

// The synthetic market that fills in around a recording passes the
// recording's last price at its instant: a cassette of trades alone (no
// candles) at 65,000, replayed with a seed whose own market is far from
// it there, serves the touch, the books, and the trades and candles after
// the recording from the recording's level, not the seed's.
func TestTheSyntheticFillJoinsTheRecordingsLevel(t *testing.T) {
	ctx := context.Background()
	const t0 = int64(1_709_294_400_000_000)
	ts := fiveTrades(t0, cc.NewDecimal(6_500_000, 2), cc.NewDecimal(1, 3))
	path := tradesCassette(t, "BTCUSDT", ts)
	last := t0 + 4000
	own := synth.New(synth.Options{Seed: 7, Exchange: "binance_spot", Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}})
	if tc, _ := own.Touch(ctx, "BTCUSDT", last); math.Abs(tc.Bid.Float64()/65000-1) < 0.05 {
		t.Fatalf("the seed's own market is at %s there: the test would not tell", tc.Bid)
	}
	srv := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7})
	near := func(what string, price float64, within float64) {
		t.Helper()
		if math.Abs(price/65000-1) > within {
			t.Errorf("%s: %.2f, not near the recording's 65,000.04", what, price)
		}
	}
	tc, err := srv.Env.Quotes.Touch(ctx, "BTCUSDT", last)
	if err != nil {
		t.Fatal(err)
	}
	near("the touch at the recording's last trade", (tc.Bid.Float64()+tc.Ask.Float64())/2, 0.0005)
	bk, err := srv.Env.Books.Book(ctx, "BTCUSDT", last+60_000_000, 5)
	if err != nil {
		t.Fatal(err)
	}
	near("the book a minute after", bk.Bids[0].Price.Float64(), 0.02)
	after, err := srv.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", Start: last + 1, Limit: 20, Now: last + 120_000_000})
	if err != nil || len(after) == 0 {
		t.Fatalf("trades after the recording: %d %v", len(after), err)
	}
	for _, tr := range after {
		near("a trade after the recording", tr.Price.Float64(), 0.02)
	}
	cs, err := srv.Env.Market.Candles(ctx, "BTCUSDT", cc.Interval1m, last/1000+60_000, last/1000+120_000, last/1000+600_000)
	if err != nil || len(cs) == 0 {
		t.Fatalf("candles after the recording: %d %v", len(cs), err)
	}
	near("a candle after the recording", cs[0].Close.Float64(), 0.02)
}

// The level of a candles-only recording is its finest last candle's close
// at that candle's close, not a coarser candle's: a day in progress holds
// the same close but closes hours later, and the market made to pass the
// price then is elsewhere at the recording's end.
func TestTheSyntheticFillJoinsACandleRecordingAtItsLastMinute(t *testing.T) {
	ctx := context.Background()
	const day = int64(1_709_251_200_000) // 2024-03-01T00:00Z, ms
	path := filepath.Join(t.TempDir(), "candles.cassette")
	c, err := cassettes.Open(path, 0o600, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	px := cc.NewDecimal(6_500_000, 2)
	var mins []cc.Candle
	for i := int64(0); i < 5; i++ {
		open := day + 10*3_600_000 + i*60_000 // 10:00 to 10:04
		mins = append(mins, cc.Candle{OpenTime: open, CloseTime: open + 59_999, Open: px, High: px, Low: px, Close: px, Volume: cc.NewDecimal(1, 0), QuoteVolume: px, Trades: 1, Closed: true})
	}
	d := cc.Candle{OpenTime: day, CloseTime: day + 86_399_999, Open: px, High: px, Low: px, Close: px, Volume: cc.NewDecimal(9, 0), QuoteVolume: px, Trades: 9}
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: mins}, cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1d, Candles: []cc.Candle{d}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	last := (mins[4].CloseTime + 1) * 1000 // µs
	srv := replaytest.StartWith(t, replay.Options{Cassette: path, Seed: 7})
	tc, err := srv.Env.Quotes.Touch(ctx, "BTCUSDT", last)
	if err != nil {
		t.Fatal(err)
	}
	if mid := (tc.Bid.Float64() + tc.Ask.Float64()) / 2; math.Abs(mid/65000-1) > 0.0005 {
		t.Errorf("the touch at the last minute's close: %.2f, not the recording's 65,000", mid)
	}
}

// fiveTrades are trades 70 to 74, a ms apart from t0 (Unix µs), each of
// size, the first at price and each next a unit of its scale higher.
func fiveTrades(t0 int64, price, size cc.Decimal) []cc.Trade {
	var ts []cc.Trade
	for i := int64(0); i < 5; i++ {
		ts = append(ts, cc.Trade{ID: 70 + i, AggID: 70 + i, Time: t0 + i*1000, Price: cc.NewDecimal(price.Units+i, int(price.Scale)), Size: size})
	}
	return ts
}

// tradesCassette is a binance_spot cassette holding symbol's trades ts
// alone.
func tradesCassette(t *testing.T, symbol string, ts []cc.Trade) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trades.cassette")
	c, err := cassettes.Open(path, 0o600, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddTrades(cassettes.TradeSeries{Symbol: symbol, Trades: ts}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
