// Command benchharness is candlecassette's performance harness: it runs
// the hot-path `go test -bench` benchmarks with -benchmem, then end-to-end
// measurements against the built binary — REST under wrk side by side with
// nginx serving the same body as a static file, the same over TLS 1.3
// (https://127.0.0.1:PORT against nginx with a certificate of the same
// local CA) and the time from dial to first byte through CONNECT and a TLS
// handshake, WS throughput at --speed
// max and delivery delay with 1,000 clients at speed 1, order-book diff
// streams (1,000 clients on four symbols' @depth@100ms: delay from the
// event's E, U/u continuity, server CPU and RSS), a 10M-candle
// cassette index (open time, RSS, random window reads), recording proxy
// overhead and process startup — and prints one table of figures, each
// next to its target and a pass/miss mark.
//
// Run it with `make bench` or `go run ./cmd/benchharness` from the
// repository root (-quick for a shorter run, -full for a longer one; see
// -h). wrk and nginx come from the Debian packages wrk and nginx-light,
// which the harness installs with apt-get when they are missing and it
// runs as root; otherwise the REST comparison is skipped with a message.
//
// Caveats: absolute figures on a shared machine are noisy; the REST
// targets are ratios taken side by side in the same run. The harness is
// not part of `make test` or CI: it is slow and may need root.
package main
