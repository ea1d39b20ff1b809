// Package compat holds the real-client compatibility tests of candlecassette:
// published exchange SDKs (go-binance, ...) and, under ccxt/, the ccxt
// JavaScript library, pointed at a candlecassette server with nothing but
// their base URLs changed — or with nothing changed at all, through proxy
// mode: cmd/gobinance-proxy is an unmodified go-binance program that the
// binance tests run as a child process with only HTTPS_PROXY and
// SSL_CERT_FILE set.
//
// It is a module of its own so that the client libraries stay out of the
// main module's dependency graph. Run it with `make compat` from the
// repository root, or `go test -race ./...` in this directory.
//
// Each SDK's tests live in a sub-package named for the exchange family
// (binance/, ...) and share the helpers in compattest. A test whose exchange
// plugin is not registered yet skips rather than fails.
package compat
