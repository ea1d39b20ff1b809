// Package bybit holds the compatibility tests that drive the real
// github.com/hirokisan/bybit/v2 client (V5 market REST and public WS)
// against candlecassette's bybit_spot and bybit_perpetual servers, with
// nothing but the client's base URLs changed.
package bybit
