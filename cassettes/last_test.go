package cassettes_test

import (
	"path/filepath"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

func TestLastIsTheNewestIndexedCandle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "last.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	const start = int64(1_704_067_200_000)
	cs := walkCandles(2500, start, 7)
	// Two runs with a gap, the newer one added first.
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: cs[1800:]}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: cs[:1200]}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err = cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, ok, err := c.Last("BTCUSDT", cc.Interval1m)
	if err != nil || !ok || got != cs[len(cs)-1] {
		t.Fatalf("Last = %+v, %v, %v; want %+v", got, ok, err, cs[len(cs)-1])
	}
	all, err := c.Candles("BTCUSDT", cc.Interval1m, start, start+int64(len(cs))*60_000)
	if err != nil || len(all) != 1900 || all[len(all)-1] != got {
		t.Fatalf("Candles: %d candles, %v; last %+v", len(all), err, all[len(all)-1])
	}
	if _, ok, err := c.Last("ETHUSDT", cc.Interval1m); ok || err != nil {
		t.Fatalf("Last of a series never recorded: %v, %v", ok, err)
	}
}
