package candlecassette

import (
	"fmt"
	"strings"
)

// Pair is a trading pair as the CLI spells it (BASE-QUOTE) with an optional
// reference price for the synthetic market. Symbol is the exchange's own
// spelling (BTCUSDT, BTC-USDT, XBT/USD, ...), filled in by the plugin.
type Pair struct {
	Base   string
	Quote  string
	Price  float64 // start price; 0 means the market's default
	Symbol string  // exchange-native symbol
}

// Name is the canonical BASE-QUOTE form.
func (p Pair) Name() string { return p.Base + "-" + p.Quote }

// DefaultPairs are served when --pairs is not given.
var DefaultPairs = []Pair{
	{Base: "BTC", Quote: "USDT", Price: 50000},
	{Base: "ETH", Quote: "USDT", Price: 3000},
	{Base: "SOL", Quote: "USDT", Price: 150},
	{Base: "BNB", Quote: "USDT", Price: 600},
	{Base: "XRP", Quote: "USDT", Price: 0.6},
}

// ParsePairs parses "BTC-USDT:50000,ETH-USDT:3000". An empty string gives
// DefaultPairs.
func ParsePairs(s string) ([]Pair, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return append([]Pair(nil), DefaultPairs...), nil
	}
	var out []Pair
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, price, hasPrice := strings.Cut(item, ":")
		base, quote, ok := strings.Cut(name, "-")
		if !ok || base == "" || quote == "" || strings.ContainsAny(base+quote, "-/ ") {
			return nil, fmt.Errorf("candlecassette: pair %q: want BASE-QUOTE[:PRICE], e.g. BTC-USDT:50000", item)
		}
		p := Pair{Base: strings.ToUpper(base), Quote: strings.ToUpper(quote)}
		if hasPrice {
			d, err := ParseDecimal(price)
			if err != nil || d.Units <= 0 {
				return nil, fmt.Errorf("candlecassette: pair %q: start price %q is not a positive number", item, price)
			}
			p.Price = d.Float64()
		}
		if seen[p.Name()] {
			return nil, fmt.Errorf("candlecassette: pair %s given twice", p.Name())
		}
		seen[p.Name()] = true
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("candlecassette: no pairs in %q", s)
	}
	return out, nil
}
