// Package all switches on every built-in exchange plugin. Import it for its
// side effects:
//
//	import _ "github.com/candlecassette/candlecassette/plugins/all"
package all

import (
	_ "github.com/candlecassette/candlecassette/plugins/ascendex"
	_ "github.com/candlecassette/candlecassette/plugins/binance"
	_ "github.com/candlecassette/candlecassette/plugins/bybit"
	_ "github.com/candlecassette/candlecassette/plugins/coinbase"
	_ "github.com/candlecassette/candlecassette/plugins/gateio"
	_ "github.com/candlecassette/candlecassette/plugins/hyperliquid"
	_ "github.com/candlecassette/candlecassette/plugins/kraken"
	_ "github.com/candlecassette/candlecassette/plugins/kucoin"
	_ "github.com/candlecassette/candlecassette/plugins/mexc"
	_ "github.com/candlecassette/candlecassette/plugins/okx"
)
