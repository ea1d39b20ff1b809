package cassettes_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// Record an interaction and its candles, then read them back the way
// replay does: by normalized request, and by candle range and coverage.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "btc.cassette")

	w, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot"})
	if err != nil {
		log.Fatal(err)
	}
	open := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	candle := cc.Candle{OpenTime: open, CloseTime: open + 59_999, Open: cc.MustDecimal("42000.10"),
		High: cc.MustDecimal("42010.00"), Low: cc.MustDecimal("41990.55"), Close: cc.MustDecimal("42005.00"), Closed: true}
	w.AddInteraction(&cassettes.Interaction{
		Method: "GET", Path: "/api/v3/klines", Query: "symbol=BTCUSDT&interval=1m&timestamp=1&signature=abc",
		Status: 200, Body: []byte(`[[1704067200000,"42000.10","42010.00","41990.55","42005.00"]]`),
	}, cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: []cc.Candle{candle}})
	if err := w.Close(); err != nil { // commits the batch
		log.Fatal(err)
	}

	r, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	// Volatile params (timestamp, signature) do not take part in matching.
	ixs, _ := r.Lookup("GET", "/api/v3/klines", "interval=1m&symbol=BTCUSDT&timestamp=2", nil)
	fmt.Println(len(ixs), ixs[0].Query)
	cs, _ := r.Candles("BTCUSDT", cc.Interval1m, open, open+3_600_000)
	fmt.Println(len(cs), cs[0].Close)
	cv, _ := r.Coverage("BTCUSDT", cc.Interval1m)
	fmt.Println(len(cv.Ranges), cv.Total())
	// Output:
	// 1 symbol=BTCUSDT&interval=1m&timestamp=1&signature=REDACTED
	// 1 42005.00
	// 1 1
}
