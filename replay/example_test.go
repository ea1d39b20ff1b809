package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/replay"
)

// getJSON is what a client library would do with a base URL.
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Start a synthetic Binance spot market for a test, point a client at its
// base URL and close it at the end.
func ExampleStart() {
	srv, err := replay.Start(replay.Options{Exchange: "binance_spot", Seed: 1}, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close(context.Background())

	var rows [][]any
	err = getJSON(srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1709251200000&limit=3", &rows)
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		fmt.Println(time.UnixMilli(int64(r[0].(float64))).UTC().Format(time.RFC3339))
	}
	// Output:
	// 2024-03-01T00:00:00Z
	// 2024-03-01T01:00:00Z
	// 2024-03-01T02:00:00Z
}

// Replay a committed cassette: recorded candles come back exactly as they
// were recorded, with no network.
func ExampleStart_cassette() {
	srv, err := replay.Start(replay.Options{Cassette: "../cassettes/testdata/binance_spot.cassette"}, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close(context.Background())

	var rows [][]any
	err = getJSON(srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1709251200000&limit=2", &rows)
	if err != nil {
		panic(err)
	}
	fmt.Println(srv.Plugin().Name(), len(rows), "candles")
	// Output: binance_spot 2 candles
}

// Change network conditions at run time, as the admin API does.
func ExampleServer_SetConditions() {
	srv, err := replay.Start(replay.Options{Exchange: "binance_spot"}, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close(context.Background())

	err = srv.SetConditions(netsim.Config{Conditions: netsim.Conditions{Latency: netsim.Duration(50 * time.Millisecond)}})
	if err != nil {
		panic(err)
	}
	start := time.Now()
	var pong map[string]any
	if err := getJSON(srv.URL()+"/api/v3/ping", &pong); err != nil {
		panic(err)
	}
	fmt.Println(time.Since(start) >= 50*time.Millisecond)
	// Output: true
}
