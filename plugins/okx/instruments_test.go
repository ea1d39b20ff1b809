package okx_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type instrumentsResp struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	Data []struct {
		InstID, InstType, BaseCcy, QuoteCcy, SettleCcy, Uly, InstFamily string
		CtVal, CtType, State, TickSz, LotSz, MinSz                      string
	} `json:"data"`
}

func TestInstrumentsListOwnTypeOnly(t *testing.T) {
	spot := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	var r instrumentsResp
	_, body := spot.GetJSON(t, "/api/v5/public/instruments?instType=SPOT", &r)
	if r.Code != "0" || len(r.Data) != 4 {
		t.Fatalf("spot instruments: %s", body)
	}
	replaytest.CheckShape(t, "instruments_spot.json", body, replaytest.KeysAnyOrder)
	in := r.Data[0]
	if in.InstID != "BTC-USDT" || in.BaseCcy != "BTC" || in.QuoteCcy != "USDT" || in.State != "live" || in.InstType != "SPOT" {
		t.Errorf("spot instrument %+v", in)
	}
	// The tick size matches the prices served.
	var c candlesResp
	spot.GetJSON(t, "/api/v5/market/candles?instId=XRP-USDT&limit=1", &c)
	if replaytest.Decimals(r.Data[2].TickSz) < replaytest.Decimals(c.Data[0][4]) {
		t.Errorf("XRP tick %s coarser than close %s", r.Data[2].TickSz, c.Data[0][4])
	}

	swap := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	_, body = swap.GetJSON(t, "/api/v5/public/instruments?instType=SWAP", &r)
	replaytest.CheckShape(t, "instruments_spot.json", body, replaytest.KeysAnyOrder)
	in = r.Data[1]
	if in.InstID != "ETH-USDT-SWAP" || in.Uly != "ETH-USDT" || in.InstFamily != "ETH-USDT" || in.SettleCcy != "USDT" || in.CtType != "linear" || in.CtVal != "0.1" {
		t.Errorf("swap instrument %+v", in)
	}
	swap.GetJSON(t, "/api/v5/public/instruments?instType=SWAP&instId=SOL-USDT-SWAP", &r)
	if len(r.Data) != 1 || r.Data[0].InstID != "SOL-USDT-SWAP" {
		t.Errorf("instId filter: %+v", r.Data)
	}

	// What ccxt's default loadMarkets also asks for: valid, empty.
	for f, qs := range map[*replaytest.Server][]string{
		spot: {"instType=FUTURES", "instType=SWAP", "instType=OPTION&uly=BTC-USD", "instType=OPTION&uly=ETH-USD"},
		swap: {"instType=SPOT", "instType=FUTURES", "instType=OPTION&instFamily=BTC-USD"},
	} {
		for _, q := range qs {
			var e instrumentsResp
			_, body := f.GetJSON(t, "/api/v5/public/instruments?"+q, &e)
			if e.Code != "0" || e.Data == nil || len(e.Data) != 0 {
				t.Errorf("%s: %s", q, body)
			}
		}
	}
}

func TestInstrumentsErrors(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	for q, want := range map[string][3]string{
		"":                 {"400", "50014", "Parameter instType can not be empty."},
		"instType=STOCK":   {"400", "51000", "Parameter instType error"},
		"instType=OPTION":  {"400", "50014", "Parameter instFamily can not be empty."},
		"instType=spot&x=": {"400", "51000", "Parameter instType error"},
	} {
		var r instrumentsResp
		status, body := f.GetJSON(t, "/api/v5/public/instruments?"+q, &r)
		if strconv.Itoa(status) != want[0] || r.Code != want[1] || r.Msg != want[2] {
			t.Errorf("%q: %d %s, want %v", q, status, body, want)
		}
	}
}

func TestTimeAndTickers(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	var tr struct {
		Data []struct{ Ts string } `json:"data"`
	}
	_, body := f.GetJSON(t, "/api/v5/public/time", &tr)
	replaytest.CheckShape(t, "time.json", body, replaytest.KeysAnyOrder)
	if len(tr.Data) != 1 || tr.Data[0].Ts != strconv.FormatInt(t0.UnixMilli(), 10) {
		t.Errorf("time: %s", body)
	}
	var tk struct {
		Code string              `json:"code"`
		Data []map[string]string `json:"data"`
	}
	_, body = f.GetJSON(t, "/api/v5/market/ticker?instId=BTC-USDT-SWAP", &tk)
	replaytest.CheckShape(t, "ticker.json", body, replaytest.KeysAnyOrder)
	var c candlesResp
	f.GetJSON(t, "/api/v5/market/candles?instId=BTC-USDT-SWAP&limit=1", &c)
	if tk.Data[0]["last"] != c.Data[0][4] || tk.Data[0]["instType"] != "SWAP" {
		t.Errorf("ticker %v, latest candle %v", tk.Data[0], c.Data[0])
	}
	_, body = f.GetJSON(t, "/api/v5/market/tickers?instType=SWAP", &tk)
	if len(tk.Data) != 4 {
		t.Errorf("tickers: %s", body)
	}
	replaytest.CheckShape(t, "ticker.json", body, replaytest.KeysAnyOrder)
	f.GetJSON(t, "/api/v5/market/tickers?instType=SPOT", &tk)
	if tk.Code != "0" || len(tk.Data) != 0 {
		t.Errorf("spot tickers on the perpetual server: %+v", tk)
	}
	var e candlesResp
	if status, _ := f.GetJSON(t, "/api/v5/market/ticker?instId=NOPE-USDT-SWAP", &e); status != 200 || e.Code != "51001" {
		t.Errorf("unknown ticker: %d %+v", status, e)
	}
}

// The ticker is one instant's: last is the last trade of the seconds
// closed by then, and bidPx and askPx the touch right after that trade,
// so they straddle it (a touch taken at the clock's now could be up to a
// second newer than last, and miss it).
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	for _, tc := range []struct {
		ex     *okx.Exchange
		instID string
	}{{okx.Spot, "BTC-USDT"}, {okx.Perpetual, "BTC-USDT-SWAP"}} {
		t.Run(tc.ex.Name(), func(t *testing.T) {
			for _, at := range replaytest.TickerInstants() {
				f := newFixture(t, tc.ex, replaytest.Clock(at, 0))
				var tk struct {
					Code string              `json:"code"`
					Data []map[string]string `json:"data"`
				}
				if _, body := f.GetJSON(t, "/api/v5/market/ticker?instId="+tc.instID, &tk); tk.Code != "0" || len(tk.Data) != 1 {
					t.Fatalf("at %s: %s", at.Format(time.RFC3339Nano), body)
				}
				d := tk.Data[0]
				replaytest.Straddles(t, "market/ticker", at, d["last"], d["bidPx"], d["askPx"])
			}
		})
	}
}
