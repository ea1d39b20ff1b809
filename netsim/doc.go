// Package netsim simulates network conditions in front of a served
// exchange API: latency with jitter (uniform or heavy-tailed), loss, error
// injection, bandwidth limits, scheduled WS disconnects and outage windows,
// and per-route overrides, for REST (an HTTP middleware) and WS (a Link
// per connection that every server message crosses).
//
// # Basics
//
// New builds a Sim from a Config (Conditions plus Routes, and the
// schedules: Disconnects, Outages and Slowdowns). Sim.Middleware wraps the
// exchange's HTTP handler. Sim.Link hands each WS connection its link:
// Link.Schedule decides the fate and due time of each outgoing message
// (latency from when it was queued, never overtaking the one before, plus
// a bandwidth cap's hold) and Link.Wait holds it until then (the serving
// stack gives every connection its link as the connection opens).
// SetConfig replaces the configuration at run time; the next request or
// message sees it.
//
// REST loss has two modes: "drop" cuts the TCP connection without a
// response; "hang" holds the request until the client gives up or the Sim
// is closed (then the connection is cut). Error injection answers with the
// exchange's own 5xx body, supplied by the caller (Options.Error). On WS,
// loss drops a server message silently and the error rate closes the
// connection abnormally (1006, no close frame).
//
// Protocol faults (protocol.go) are the exchange's rather than the
// network's: a book diff dropped (a sequence gap), doubled, swapped with
// the next or given a wrong checksum, a REST snapshot older than the
// stream, a forced resync, and a clock skew. They are conditions like the
// others (per route, in a scenario file, on the admin API), fired by a
// Trigger: a rate, every Nth message, or once at a moment (repeated if
// asked). The serving code marks what they apply to: a WS connection's
// writer asks its Link about each book diff (Link.BookDiff) and each
// message (Link.Resync), a REST snapshot handler asks Sim.SnapshotAge,
// and the exchange's clock reads Sim.ClockSkew. Stats.Protocol counts
// them by kind and route.
//
// # Reproducibility
//
// Every random choice comes from a PCG source seeded by Options.Seed: one
// stream for REST requests and one for WS messages, three draws per request
// or message whatever the outcome. The same seed and the same sequence of
// requests give the same faults. The protocol faults draw from streams of
// their own (WS book diffs and messages, REST snapshots), only while one
// is set, so setting them leaves the network faults' sequence as it was.
// Requests that run concurrently reach the
// source in whatever order they are scheduled, so only a sequential client
// (or one whose requests do not overlap) gets a reproducible sequence.
//
// # Caveats
//
// Go's http.Transport (and some other clients) silently retries an
// idempotent request once when a reused keep-alive connection is cut before
// any response, so such a client sees fewer losses than the loss rate; every
// retry is a new request with its own draw. Latency is waited before the
// handler runs, and timers are set early by their learned average lateness
// so the mean added latency stays what was asked for on a busy machine.
//
// # Concurrency
//
// A Sim is safe for concurrent use; a Link is used by one goroutine, its
// connection's writer. A Sim owns one goroutine, the scheduler of
// Disconnects and Outages, from New until Close; Close also releases hung
// requests. Every Sim must be closed.
package netsim
