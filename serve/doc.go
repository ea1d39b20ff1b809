// Package serve is the front every serving mode shares: it owns the
// listener (internal/h1), which takes direct requests, proxy requests and
// TLS on one port, the table from hostname to exchange, and per exchange a
// Hub of WS connections and the Stack of layers — rate limits, network
// simulation, its admin API — around the one handler a mode hands it:
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
// # Proxy mode
//
// The same port is an HTTP(S) proxy for the exchanges served. Given each
// exchange's real hostnames (Exchange.Hosts, Options.Hosts) and a source of
// certificates (Options.TLS, the local CA), a client that only sets
// HTTPS_PROXY and trusts the CA reaches https://api.binance.com and
// wss://stream.binance.com:9443 here, unchanged:
//
//	front, err := serve.NewMulti(serve.Options{TLS: ca.GetCertificate},
//		serve.Exchange{Plugin: binance, Hosts: []string{"api.binance.com", "stream.binance.com"}},
//		serve.Exchange{Plugin: okx, Hosts: []string{"www.okx.com", "ws.okx.com"}})
//	for _, st := range front.Exchanges() {
//		st.Handle(handlerFor(st.Plugin(), st.Hub()))
//	}
//	err = front.Listen("127.0.0.1:0")
//
// The listener looks at each connection's first bytes (proxy.go): a TLS
// ClientHello is terminated, a CONNECT answered and its tunnel looked at
// again, anything else is HTTP as before. Requests are routed by their
// hostname (route.go); a host no exchange claims is refused, never
// dialled — serve has no way out to the network unless the mode gives it
// one (Options.Passthrough, record's --passthrough: such traffic is then
// tunnelled or forwarded untouched, passthrough.go). Each exchange keeps
// its own Stack: conditions set on one apply to it alone.
//
// Direct requests (plain HTTP to the port, naming no exchange's host) are
// served as before on a server of one exchange, whatever their Host; a
// server of several answers them 421 with the hosts it serves, since
// nothing says which exchange they are for. The admin API answers only
// direct requests: under an exchange's hostname the server is that
// exchange. Each exchange's admin API is also at /__admin/ID/...
//
// # Observation
//
// Every REST request an exchange serves is recorded as it finishes
// (observe.go): the last RequestLogSize at GET /__admin/requests and in
// Stack.Requests, with the source of its answer (a mode's handler calls
// NoteSource), the fault injected, the route, status and duration; and
// counted in the Server's Prometheus registry, served at /metrics
// (metrics.go). GET /__admin/health answers liveness checks without the
// admin token. Observing costs a request no allocation.
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
// A Server is safe for concurrent use once every exchange was given its
// handler; Handle, Serve and Listen are called once, Close any number of
// times. The look at a connection's first bytes, the TLS handshake and
// the CONNECT exchange run on the connection's own goroutine, under
// ReadHeaderTimeout: a slow or silent client holds nothing but itself.
//
// # Caveats
//
// The admin API answers only under loopback names, the address a client
// reached, and Options.AdminAllowHosts, and refuses requests a web page
// could send (see Options.AdminToken and adminguard.go).
//
// A hostname belongs to one exchange, or to sibling ids that share the
// real host (www.okx.com for spot and swap; plugins.SharedHostRouter):
// the first of them leads the host and picks per request which sibling
// answers, and a WS connection for all of them (OKX's business socket)
// is served by the lead's Stack and its shared handler over the union of
// their markets (shared.go). Any other two ids claiming one host are
// refused (ErrHostTaken).
//
// Connections terminated or tunnelled are served by h1 with plain reads
// and writes (no raw system calls or sendfile), and absolute-form requests
// by net/http's fallback; direct connections keep the fast path.
//
// An absolute-form https:// request arrives in clear (ccxt's wsProxy):
// Request.TLS is nil there though the client believes it speaks TLS.
package serve
