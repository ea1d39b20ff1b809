package h1

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// selfSigned is a certificate for 127.0.0.1 and "x", and a pool trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "h1 test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		DNSNames:    []string{"x"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// replayed reads first, then the connection: what a Front that took a
// look hands on.
type replayed struct {
	net.Conn
	first []byte
}

func (c *replayed) Read(p []byte) (int, error) {
	if len(c.first) > 0 {
		n := copy(p, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// tlsFront terminates TLS on connections that begin with a ClientHello and
// leaves the others as they are.
func tlsFront(cfg *tls.Config) func(net.Conn, []byte) (net.Conn, error) {
	return func(c net.Conn, first []byte) (net.Conn, error) {
		if first[0] != 0x16 {
			return nil, nil
		}
		tc := tls.Server(&replayed{Conn: c, first: append([]byte(nil), first...)}, cfg)
		if err := tc.Handshake(); err != nil {
			return nil, err
		}
		return tc, nil
	}
}

type wayKey struct{}

// way is a ConnContext: what a request's connection came in as.
func way(ctx context.Context, c net.Conn) context.Context {
	if _, ok := c.(*tls.Conn); ok {
		return context.WithValue(ctx, wayKey{}, "tls")
	}
	return context.WithValue(ctx, wayKey{}, "plain")
}

// echoWay is echo with what the request knows of its connection.
func echoWay(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Way", fmt.Sprintf("tls=%v way=%v", r.TLS != nil, r.Context().Value(wayKey{})))
	echo(w, r)
}

// tlsPair serves h over TLS from an h1 server whose Front terminates it
// and from net/http's own TLS server.
func tlsPair(t *testing.T, h http.Handler) (fast, std string, pool *x509.CertPool) {
	t.Helper()
	cert, pool := selfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	ln := listen(t)
	serveWith(t, h, ln, func(s *Server) {
		s.ReadHeaderTimeout = 5 * time.Second
		s.Front = tlsFront(cfg)
		s.ConnContext = way
	})
	ln2 := listen(t)
	// A config of its own: net/http edits the one it is given (http2ConfigureServer
	// sets NextProtos) while the h1 server's handshakes read theirs.
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, TLSConfig: cfg.Clone(), ConnContext: way}
	go hs.ServeTLS(ln2, "", "")
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), ln2.Addr().String(), pool
}

// exchangeTLS is exchange over TLS.
func exchangeTLS(t *testing.T, addr string, pool *x509.CertPool, raw, method string) []string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "x", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	out, end := readResponses(bufio.NewReader(c), method)
	if end != nil && !errors.Is(end, io.EOF) && !errors.Is(end, net.ErrClosed) && !isReset(end) {
		out = append(out, "read error: "+end.Error())
	}
	return out
}

// Over a connection Front put in place — TLS here — every request of the
// differential table is answered as net/http's own TLS server answers it,
// those served here and those handed to the fallback alike, with
// Request.TLS and the connection's context values set on both paths.
func TestOverTLSSameAsNetHTTP(t *testing.T) {
	fast, std, pool := tlsPair(t, http.HandlerFunc(echoWay))
	for _, tc := range requests {
		t.Run(tc.name, func(t *testing.T) {
			got := exchangeTLS(t, fast, pool, tc.raw, tc.method)
			want := exchangeTLS(t, std, pool, tc.raw, tc.method)
			if !slices.Equal(got, want) {
				t.Errorf("h1:\n%s\nnet/http:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	// And the handler saw TLS: X-Way is not in the shown headers, so ask.
	for _, path := range []string{"/fast", "/chunked"} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "x"}}
		defer tr.CloseIdleConnections()
		var res *http.Response
		var err error
		if path == "/chunked" { // a chunked body goes to the fallback
			req, _ := http.NewRequest(http.MethodPost, "https://"+fast+path, io.MultiReader(strings.NewReader("a"), strings.NewReader("b")))
			req.ContentLength = -1
			res, err = (&http.Client{Transport: tr}).Do(req)
		} else {
			res, err = (&http.Client{Transport: tr}).Get("https://" + fast + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if got := res.Header.Get("X-Way"); got != "tls=true way=tls" {
			t.Errorf("%s: the handler saw %q, want tls=true way=tls", path, got)
		}
	}
}

// A Front that leaves every connection as it is changes nothing: the
// differential table still matches net/http.
func TestFrontLeavingConnectionsSameAsNetHTTP(t *testing.T) {
	ln := listen(t)
	looked := make(chan byte, len(requests))
	serveWith(t, http.HandlerFunc(echo), ln, func(s *Server) {
		s.ReadHeaderTimeout = 5 * time.Second
		s.Front = func(c net.Conn, first []byte) (net.Conn, error) {
			looked <- first[0]
			return nil, nil
		}
	})
	_, std := pair(t, http.HandlerFunc(echo))
	for _, tc := range requests {
		t.Run(tc.name, func(t *testing.T) {
			got := exchange(t, ln.Addr().String(), tc.raw, tc.method)
			want := exchange(t, std, tc.raw, tc.method)
			if !slices.Equal(got, want) {
				t.Errorf("h1:\n%s\nnet/http:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			select {
			case b := <-looked:
				if b != tc.raw[0] {
					t.Errorf("Front saw %q first, want %q", b, tc.raw[0])
				}
			case <-time.After(5 * time.Second):
				t.Errorf("Front was never called")
			}
		})
	}
}

// A WebSocket upgrade over TLS goes to the fallback with the TLS
// connection under it and the handler sees r.TLS.
func TestWebSocketOverTLS(t *testing.T) {
	up := websocket.Upgrader{}
	cert, pool := selfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	ln := listen(t)
	serveWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "no TLS state", http.StatusInternalServerError)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, m, err := c.ReadMessage()
			if err != nil {
				return
			}
			c.WriteMessage(mt, append([]byte("echo "), m...))
		}
	}), ln, func(s *Server) { s.Front = tlsFront(cfg) })
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "x"}}
	c, res, err := d.Dial("wss://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, res)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "echo hi" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// Front's error closes the connection without an answer of the server's;
// what Front wrote is all the client gets.
func TestFrontErrorClosesTheConnection(t *testing.T) {
	ln := listen(t)
	var served atomic.Bool
	serveWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Store(true) }), ln, func(s *Server) {
		s.Front = func(c net.Conn, first []byte) (net.Conn, error) {
			io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n")
			return nil, errors.New("refused")
		}
	})
	got := exchange(t, ln.Addr().String(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET")
	if len(got) != 1 || !strings.HasPrefix(got[0], "403 ") {
		t.Fatalf("got %q, want the 403 Front wrote and nothing else", got)
	}
	if served.Load() {
		t.Fatal("the handler ran")
	}
}
