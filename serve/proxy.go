package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// One port, three ways in. The listener looks at the first bytes of every
// connection, on the connection's own goroutine (h1.Server.Front):
//
//   - 0x16, a TLS handshake record: a ClientHello sent straight to the
//     port (https://127.0.0.1:PORT, or a name mapped to this address). TLS
//     is terminated with the certificate Options.TLS gives for the server
//     name — TLS 1.2 or later, HTTP/1.1 only — and the stream inside is
//     served as any other. A server name that is neither an exchange's
//     host nor this server's own is refused in the handshake, and logged.
//     Without Options.TLS the bytes are served as they are (net/http
//     answers 400).
//   - "CONNECT host:port": what HTTPS_PROXY clients and WS clients behind
//     a proxy send. A host an exchange claims, or this server itself, is
//     answered 200 Connection Established and the tunnel is looked at
//     again (TLS inside, or plain HTTP and WS); any other host gets 403
//     with one line naming it, and the connection closes. Nothing is ever
//     dialled.
//   - Anything else is HTTP, served by h1 as before: a direct request, or
//     an absolute-form one ("GET https://stream.binance.com:9443/ws/0",
//     as ccxt's wsProxy sends it in clear, upgrades included), which the
//     router serves by the target's host (route.go).
//
// A direct connection costs one look at bytes already read: they stay in
// h1's buffer and the socket keeps its raw system calls. A connection
// terminated or tunnelled is served by h1 through plain reads and writes,
// its requests carrying the real exchange hostname in Host and, over TLS,
// Request.TLS.

// way is how a connection came in when it was not straight HTTP; its
// requests find it in their context under wayKey.
type way struct {
	connect string // the CONNECT target (host:port), or ""
	sni     string // the TLS server name, or ""
	// proxied: the connection was opened for an exchange's host (CONNECT
	// or TLS naming it); its requests under a name not served are refused.
	proxied bool
}

type wayKey struct{}

// sniffed is a connection whose first bytes were read to look at: it
// yields them before the rest.
type sniffed struct {
	net.Conn
	buf []byte
	way *way
}

func (c *sniffed) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// connContext is the h1 server's ConnContext: a connection's way in, and
// the slot its requests are observed in (observe.go).
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	v := &connVals{Context: ctx}
	if sc, ok := c.(*sniffed); ok && sc.way != nil {
		v.way = sc.way
	}
	return v
}

const connectPrefix = "CONNECT "

// errRefused closes a connection the front answered with a refusal.
var errRefused = errors.New("serve: refused")

// front is the h1 server's Front: see the top of this file.
func (s *Server) front(c net.Conn, first []byte) (net.Conn, error) {
	if first[0] == 0x16 {
		if s.tls == nil {
			return nil, nil
		}
		return s.terminate(&sniffed{Conn: c, buf: bytes.Clone(first), way: &way{}})
	}
	n := min(len(first), len(connectPrefix))
	if string(first[:n]) != connectPrefix[:n] {
		return nil, nil
	}
	return s.connect(c, first)
}

// connect answers a CONNECT and serves its tunnel, or refuses it.
func (s *Server) connect(c net.Conn, first []byte) (net.Conn, error) {
	br := bufio.NewReader(&sniffed{Conn: c, buf: bytes.Clone(first)})
	if p, _ := br.Peek(len(connectPrefix)); string(p) != connectPrefix {
		// A short first read of something else: serve it as it is.
		return &sniffed{Conn: c, buf: buffered(br)}, nil
	}
	req, err := http.ReadRequest(br)
	if err != nil {
		refuse(c, http.StatusBadRequest, fmt.Sprintf("candlecassette: bad CONNECT request: %v\n", err))
		return nil, errRefused
	}
	target := req.Host
	name, port := splitHost(target)
	if port == "" {
		port = "443"
	}
	st := s.hosts[name]
	if st == nil && !s.self(name, port, c.LocalAddr()) {
		if s.pass != nil {
			return nil, s.tunnel(c, br, net.JoinHostPort(name, port))
		}
		s.logger.Warn("proxy: refused CONNECT to a host not served", "host", target, "client", c.RemoteAddr())
		refuse(c, http.StatusForbidden, s.notServedText(target))
		return nil, errRefused
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		return nil, err
	}
	// The tunnel is a new connection: look at it again.
	tun := &sniffed{Conn: c, buf: buffered(br), way: &way{connect: target, proxied: st != nil}}
	if len(tun.buf) == 0 {
		c.SetReadDeadline(time.Now().Add(s.readHeaderTimeout()))
		b := make([]byte, 4096)
		n, err := c.Read(b)
		if n == 0 {
			return nil, err
		}
		tun.buf = b[:n]
	}
	if tun.buf[0] == 0x16 && s.tls != nil {
		return s.terminate(tun)
	}
	return tun, nil
}

// buffered is what br has read and not yet given out.
func buffered(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return bytes.Clone(b)
}

// terminate runs the TLS handshake on sc and returns the connection to
// serve.
func (s *Server) terminate(sc *sniffed) (net.Conn, error) {
	tc := tls.Server(sc, s.tls)
	sc.SetDeadline(time.Now().Add(s.readHeaderTimeout()))
	err := tc.Handshake()
	sc.SetDeadline(time.Time{})
	if err != nil {
		s.logger.Debug("proxy: TLS handshake failed", "client", sc.RemoteAddr(), "err", err)
		return nil, err
	}
	sc.way.sni = tc.ConnectionState().ServerName
	if name, _ := splitHost(sc.way.sni); s.hosts[name] != nil {
		sc.way.proxied = true
	}
	return tc, nil
}

// certificate is the TLS config's GetCertificate: Options.TLS's, for the
// names served only.
func (s *Server) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello.ServerName != "" {
		name, _ := splitHost(hello.ServerName)
		if s.hosts[name] == nil && !s.admin.ownName(name, hello.Conn.LocalAddr()) {
			s.logger.Warn("proxy: refused TLS for a host not served", "host", hello.ServerName, "client", hello.Conn.RemoteAddr())
			return nil, fmt.Errorf("serve: %s is not served here", hello.ServerName)
		}
	}
	return s.opts.TLS(hello)
}

// refuse answers c with status and msg, then closes its write side and
// waits briefly for the client's close, so that bytes it already sent do
// not turn the close into a reset that loses the answer.
func refuse(c net.Conn, status int, msg string) {
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(msg), msg)
	if cw, ok := c.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
}
