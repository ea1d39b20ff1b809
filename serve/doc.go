// Package serve is the front every serving mode shares: it owns the
// listener (internal/h1), the Hub of WS connections, and the Stack of
// layers — admin API, rate limits, network simulation — around the one
// handler a mode hands it:
//
//	synth, replay:  the plugin over the synthetic market or the tape
//	record:         the recording proxy
//
// so that a request reads in one direction: Server → Stack → the mode's
// handler → plugin → market or cassette. The modes import serve; serve
// imports none of them.
//
// # Basics
//
//	front, err := serve.New(plugin, serve.Options{Seed: 7})
//	env.Hub = front.Hub()             // connections the handler upgrades
//	front.Handle(plugin.Handler(env)) // the innermost handler
//	err = front.Listen("127.0.0.1:0")
//	defer front.Close(ctx)
//
// The Env holds only what the plugin answers from. The network simulation
// and the rate limits reach WS connections through the Hub, whose policy
// the Stack is: every connection the handler upgrades (plugins.ServeWS,
// the record relay) is admitted as it opens and gets one pipeline — a
// netsim.Link that schedules and holds its outgoing messages, a
// ratelimit.Conn that rates its client's — so REST and WS meet the same
// layers in the same order.
//
// The Stack's methods (SetConditions, PatchConditions, SetLimits,
// ResetCounters, DisconnectAll, Status) are the Go fixture API, and
// /__admin/ serves the same controls over HTTP.
//
// # Shutdown
//
// Close stops accepting, closes every WS connection with 1001 (going
// away), waits for requests in flight and for every connection and
// goroutine the Hub owns, cutting what outlives its context; only then
// does it return, so a mode may close its cassette right after.
//
// # Concurrency
//
// A Server is safe for concurrent use once Handle was called; Handle,
// Serve and Listen are called once, Close any number of times.
//
// # Caveats
//
// The admin API answers only under loopback names, the address a client
// reached, and Options.AdminAllowHosts, and refuses requests a web page
// could send (see Options.AdminToken and adminguard.go).
package serve
