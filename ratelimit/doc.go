// Package ratelimit enforces an exchange's rate-limit model on the clients of
// a served API, per client IP, the way the exchange does it: weighted REST
// windows with used-weight headers, HTTP 429 with Retry-After and the
// exchange's own body, escalating 418 bans for clients that keep going, WS
// incoming-message rates with the exchange's disconnect, streams per
// connection, and connection attempts and concurrent connections per IP.
//
// # Basics
//
// A plugin describes its exchange in a Model (see Model, Window, Ban and
// WSModel). New builds a Limiter from it; Limiter.Middleware wraps the
// exchange's HTTP handler for REST. A WS handshake is admitted as it is
// upgraded by Limiter.WSConn, which answers a refusal itself and otherwise
// hands out the connection's Conn: it answers the per-message questions
// (AllowMessage, MaxStreams) and holds the connection's place among its
// client's until Close. Limits is the run-time view of the model that
// flags and the admin API read and replace.
//
// # Concurrency
//
// A Limiter and its Conns are safe for concurrent use. State is kept per client IP (the
// host of the request's RemoteAddr; forwarding headers are not trusted).
//
// # Caveats
//
// The model's own windows are aligned to the clock as Binance's are (a
// request at 00:01:23 counts toward the 00:01:00 minute). A REST limit or
// period overridden through Limits starts its window at the client's first
// request instead, so a test that sends N+1 requests sees the refusal at
// exactly N+1 whatever the wall clock reads. Requests refused with 429 still
// count toward the used weight, as the exchange reports them.
package ratelimit
