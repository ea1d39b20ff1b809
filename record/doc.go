// Package record is the recording proxy: a reverse proxy in front of an
// exchange's REST API and a relay for its WebSockets that passes every
// byte through unchanged while storing it in a cassette.
//
// # Basics
//
// Start(opts, addr) listens, proxies every REST path to Options.UpstreamREST
// and relays every WS upgrade to Options.UpstreamWS (the plugin's defaults
// when empty; the client's path and query are appended to either base). The
// status, headers and body of each upstream response reach the client as
// the upstream sent them, compressed or not; the cassette gets the decoded
// body. WS frames are relayed in both directions: text and binary
// messages, pings and pongs, and close frames with their codes.
//
// Every interaction and frame goes to the cassette through one recording
// goroutine, off the request path: it decodes compressed bodies, asks the
// plugin to decode candles (DecodeCandles, DecodeFrame) for the index, and
// queues everything with the cassette's batched writer. On the way in,
// the recorder's BeforeSave hooks run (go-vcr's BeforeSaveHook), then the
// cassette redacts the secrets the plugins declare (every registered
// plugin's SecretHeaders, SecretParams and LoginOps, secrets.go) on top of
// its generic names, before anything is written.
//
// # Several exchanges, one cassette
//
// Options.Exchanges records several exchanges at once, as one bot session
// talks to them: the front serves each by its real hostnames (serve's
// proxy mode: CONNECT, TLS with the local CA, absolute-form), a request
// goes to its exchange's upstream (Options.Upstreams) or else to the host
// it names, and the cassette is one file of format 4 with a part per
// exchange the session touched, each opened at its first recording with
// that exchange's upstreams and volatile params; redaction and the
// BeforeSave stage run per part as for one exchange, and a failed write
// is counted in WriteErrors with the exchange's id. Options.Passthrough
// lets traffic for other hosts through, untouched and unrecorded.
//
// A host sibling ids share (plugins.SharedHostRouter: www.okx.com answers
// okx_spot and okx_perpetual) is routed as synth routes it: the first
// sibling's Owner names the id a request is for, whose upstream gets it
// and whose part records it. A connection for every sibling at once (an
// OKX business socket carrying spot and swap candles) cannot be split: it
// is relayed to the first sibling's upstream and recorded under it, and
// replay serves it from that part over the siblings' markets together.
//
// A plugin whose REST replies hand out WS endpoints (KuCoin's
// bullet-public) implements plugins.Rewriter; the proxy then points those
// endpoints at itself.
//
// # Concurrency
//
// A Server serves requests concurrently. Each relayed WS connection has
// two pumps (one per direction), each the only reader of its side and,
// for data frames, the only writer of the other (server frames are
// written by a third goroutine that holds each on the connection's
// netsim link until due, keeping order); control frames use
// WriteControl, which gorilla/websocket allows concurrently.
//
// The front (serve.Server, Options.Serve) puts the network simulation and
// rate limits on the client side of the proxy, as in every serving mode:
// a relay is admitted by its Hub before the upstream is dialled and gets
// the same pipeline a plugin's session does (a netsim link for server
// frames, a ratelimit conn for client frames). Close stops the listener,
// closes relays with 1001 (going away), drains the recording queue and
// closes the cassette.
//
// # Caveats
//
// Bodies larger than Options.MaxBody are passed through but not recorded.
// Brotli-encoded bodies are recorded as sent (still compressed). An
// upstream that cannot be reached gets the client a 502 with a JSON error,
// and nothing is recorded for it.
//
// A write the cassette refuses (a full disk, a failed commit) does not
// stop the proxy: clients keep their answers, each distinct error is
// logged once and counted in WriteErrors, and Close returns an error. The
// cassette stops taking writes after its first failed commit, so what
// follows it is lost, not retried; what was committed before stays.
package record
