package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// Passthrough (Options.Passthrough): proxied traffic for a host no
// exchange claims goes where the client sent it, untouched, when the mode
// allows it — record's --passthrough, so that a bot whose every
// connection goes through the proxy still reaches the services beside the
// exchanges (a price oracle, a notifier) while only the exchanges are
// recorded. A CONNECT is dialled and piped both ways, bytes as they come
// (TLS inside stays the client's and the host's own: no certificate of the
// local CA is involved); an absolute-form request is forwarded as sent.
// Synth and replay never set it: their servers dial nothing.

// errPassedThrough ends a connection whose tunnel was piped to its end.
var errPassedThrough = errors.New("serve: passed through")

// passDialTimeout bounds dialling a passthrough target.
const passDialTimeout = 10 * time.Second

// passthrough is a Server's way out for hosts not served: the dialer, the
// forwarder of absolute-form requests and the tunnels open.
type passthrough struct {
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	forward   *httputil.ReverseProxy
	transport *http.Transport

	mu      sync.Mutex
	closed  bool
	tunnels map[net.Conn]net.Conn // client → upstream
}

func newPassthrough(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *passthrough {
	tr := &http.Transport{
		Proxy:               nil, // the target as sent, never another proxy
		DialContext:         dial,
		ForceAttemptHTTP2:   true,
		DisableCompression:  true, // the client's Accept-Encoding, the host's answer as sent
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: passDialTimeout,
	}
	p := &passthrough{dial: dial, transport: tr, tunnels: map[net.Conn]net.Conn{}}
	p.forward = &httputil.ReverseProxy{
		// The absolute-form target is where the request goes; nothing is
		// added (no X-Forwarded-*).
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.Out.Host = pr.In.Host },
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			textError(w, http.StatusBadGateway, fmt.Sprintf("candlecassette: passthrough to %s: %v\n", r.Host, err))
		},
	}
	return p
}

// tunnel answers a CONNECT to target, a host no exchange claims, by
// dialling it and piping both ways until either side closes or the server
// does. br holds what the client sent after the CONNECT head.
func (s *Server) tunnel(c net.Conn, br *bufio.Reader, target string) error {
	p := s.pass
	c.SetDeadline(time.Time{})
	ctx, cancel := context.WithTimeout(context.Background(), passDialTimeout)
	up, err := p.dial(ctx, "tcp", target)
	cancel()
	if err != nil {
		s.logger.Warn("passthrough: dial failed", "host", target, "client", c.RemoteAddr(), "err", err)
		refuse(c, http.StatusBadGateway, fmt.Sprintf("candlecassette: passthrough to %s: %v\n", target, err))
		return errRefused
	}
	if !p.track(c, up) {
		up.Close()
		refuse(c, http.StatusServiceUnavailable, "candlecassette: server shutting down\n")
		return errRefused
	}
	defer p.untrack(c)
	s.logger.Debug("passthrough: tunnel", "host", target, "client", c.RemoteAddr())
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		up.Close()
		return err
	}
	if rest := buffered(br); len(rest) > 0 {
		if _, err := up.Write(rest); err != nil {
			up.Close()
			return err
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(up, c)
		closeWrite(up)
	}()
	io.Copy(c, up)
	closeWrite(c)
	// The host is done sending: the client has a moment to finish too.
	c.SetReadDeadline(time.Now().Add(closeWait))
	<-done
	up.Close()
	return errPassedThrough
}

// closeWait is how long a tunnel's side waits for the other to finish
// once one has closed.
const closeWait = 3 * time.Second

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}

func (p *passthrough) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.tunnels[c] = up
	return true
}

func (p *passthrough) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.tunnels, c)
	p.mu.Unlock()
}

// close cuts every tunnel and stops new ones; nil-safe.
func (p *passthrough) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.closed = true
	for c, up := range p.tunnels {
		c.Close()
		up.Close()
	}
	p.mu.Unlock()
	p.transport.CloseIdleConnections()
}
