// Package binance holds the compatibility tests that drive the real
// github.com/adshao/go-binance/v2 client (spot and USD-M futures, REST and
// WS) against candlecassette's binance_spot and binance_perpetual servers,
// with nothing but the client's base URLs changed.
//
// go-binance keeps its WS endpoints in package-level variables, so the WS
// tests here set them per test and never run in parallel.
package binance
