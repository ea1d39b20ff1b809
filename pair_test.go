package candlecassette_test

import (
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

func TestParsePairs(t *testing.T) {
	ps, err := cc.ParsePairs("BTC-USDT:50000, eth-usdt:3000.5,SOL-USDC")
	if err != nil {
		t.Fatal(err)
	}
	want := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000.5}, {Base: "SOL", Quote: "USDC"}}
	if len(ps) != len(want) {
		t.Fatalf("got %v", ps)
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Fatalf("pair %d = %+v, want %+v", i, ps[i], want[i])
		}
	}
	def, err := cc.ParsePairs("")
	if err != nil || len(def) != len(cc.DefaultPairs) {
		t.Fatalf("empty gives %v, %v", def, err)
	}
}

func TestParsePairsRejectsBadInput(t *testing.T) {
	for _, s := range []string{"BTCUSDT", "BTC-", "-USDT", "BTC-USDT:abc", "BTC-USDT:-5", "BTC-USDT:0", "BTC-USDT,BTC-USDT", ",", "BTC/USDT"} {
		t.Run(s, func(t *testing.T) {
			if _, err := cc.ParsePairs(s); err == nil {
				t.Fatalf("ParsePairs(%q) accepted", s)
			}
		})
	}
}
