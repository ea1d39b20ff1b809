package synth_test

import (
	"math"
	"reflect"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// recorded is a candle as a cassette holds it: 8 decimals, a price level
// far from the synthetic market's, so a missing join would show.
func recorded(open int64, price string, vol string) cc.Candle {
	p := cc.MustDecimal(price)
	return cc.Candle{OpenTime: open, CloseTime: open + 59999, Open: p, High: p, Low: p, Close: p,
		Volume: cc.MustDecimal(vol), Closed: true}
}

func TestBridgeJoinsRecordedCandles(t *testing.T) {
	m := newMarket(21)
	start := ms("2025-04-01T12:00:00Z")
	from := recorded(start-60000, "41000.12000000", "12.5")
	to := recorded(start+90*60000, "41500.55000000", "20")
	got, err := m.Bridge(ctx, "BTCUSDT", cc.Interval1m, from, &to, start, start+90*60000, far)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 90 || got[0].OpenTime != start || got[89].OpenTime != start+89*60000 {
		t.Fatalf("got %d candles", len(got))
	}
	if got[0].Open != from.Close {
		t.Errorf("first open %s, want the recorded close %s", got[0].Open, from.Close)
	}
	if got[89].Close != to.Open {
		t.Errorf("last close %s, want the next recorded open %s", got[89].Close, to.Open)
	}
	syn := candles(t, m, "BTCUSDT", cc.Interval1m, start, start+90*60000, far)
	for i, c := range got {
		if i > 0 && c.Open != got[i-1].Close {
			t.Fatalf("candle %d opens at %s, the previous closed at %s", i, c.Open, got[i-1].Close)
		}
		if c.High.Cmp(c.Open) < 0 || c.High.Cmp(c.Close) < 0 || c.Low.Cmp(c.Open) > 0 || c.Low.Cmp(c.Close) > 0 {
			t.Fatalf("candle %d: high/low do not contain open/close: %+v", i, c)
		}
		if c.Close.Scale != 8 {
			t.Fatalf("candle %d: close %s does not keep the recording's 8 decimals", i, c.Close)
		}
		// The shape is the market's: log returns differ only by the
		// drift of the line, 1/90 of the total shift per candle.
		if i > 0 && i < 89 {
			dr := math.Log(c.Close.Float64()/c.Open.Float64()) - math.Log(syn[i].Close.Float64()/syn[i].Open.Float64())
			if math.Abs(dr) > 0.002 {
				t.Fatalf("candle %d: return differs from the market's by %.5f", i, dr)
			}
		}
	}
	// Volumes are scaled, not invented: the ratio is the same everywhere.
	r0 := got[10].Volume.Float64() / syn[10].Volume.Float64()
	r1 := got[60].Volume.Float64() / syn[60].Volume.Float64()
	if r0 < 0.1 || r0 > 10 || math.Abs(r0-r1) > 0.01*r0 {
		t.Errorf("volume scale %.4f and %.4f, want one factor in [0.1, 10]", r0, r1)
	}
	again, err := m.Bridge(ctx, "BTCUSDT", cc.Interval1m, from, &to, start, start+90*60000, far)
	if err != nil || !reflect.DeepEqual(got, again) {
		t.Fatal("the same bridge twice gives different candles")
	}
}

func TestBridgeWithoutNextCandleContinuesFromLast(t *testing.T) {
	m := newMarket(22)
	start := ms("2025-04-02T00:00:00Z")
	from := recorded(start-3600_000, "2950.50000000", "100")
	now := start + 5*3600_000 + 1234
	got, err := m.Bridge(ctx, "ETHUSDT", cc.Interval1h, from, nil, start, start+48*3600_000, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[0].Open != from.Close {
		t.Fatalf("got %d candles opening at %v, want 6 up to now opening at %s", len(got), got[0].Open, from.Close)
	}
	if got[5].Closed || !got[4].Closed {
		t.Fatal("the candle containing now must be the only one in progress")
	}
	syn := candles(t, m, "ETHUSDT", cc.Interval1h, start, start+48*3600_000, now)
	shift := math.Log(got[0].Close.Float64() / syn[0].Close.Float64())
	for i := range got {
		if d := math.Log(got[i].Close.Float64()/syn[i].Close.Float64()) - shift; math.Abs(d) > 1e-6 {
			t.Fatalf("candle %d: shift %.7f differs from %.7f: without a next candle the level moves by a constant", i, d+shift, shift)
		}
	}
}

func TestBridgeRejectsBadInput(t *testing.T) {
	m := newMarket(23)
	if _, err := m.Bridge(ctx, "BTCUSDT", cc.Interval1m, cc.Candle{}, nil, 0, 60000, far); err == nil {
		t.Error("a recorded candle without a close was accepted")
	}
	if _, err := m.Bridge(ctx, "NOPE", cc.Interval1m, recorded(0, "1", "1"), nil, 60000, 120000, far); err == nil {
		t.Error("an unknown symbol was accepted")
	}
}
