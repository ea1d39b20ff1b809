package netsim_test

import (
	"fmt"

	"github.com/candlecassette/candlecassette/netsim"
)

// A scenario: 100 ms ± 10 ms everywhere, klines failing half the time, and
// every WS connection cut each minute.
func ExampleParseConfig() {
	cfg, err := netsim.ParseConfig([]byte(`{
		"latency": "100ms", "jitter": "10ms",
		"routes": [{"path": "/api/v3/klines", "error_rate": 0.5}],
		"disconnects": [{"at": "1m", "every": "1m"}]
	}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Latency, cfg.Jitter, *cfg.Routes[0].ErrorRate, cfg.Disconnects[0].Every)

	// Patch changes only what it names; bad input is refused whole.
	fmt.Println(netsim.Patch(&cfg, []byte(`{"loss":0.1,"loss_mode":"hang"}`)), cfg.Loss, cfg.LossMode, cfg.Latency)
	fmt.Println(netsim.Patch(&cfg, []byte(`{"loss":7}`)), cfg.Loss)
	// Output:
	// 100ms 10ms 0.5 1m
	// <nil> 0.1 hang 100ms
	// netsim: loss must be between 0 and 1, got 7 0.1
}
