package compattest

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy mode: a client that is not told about candlecassette at all —
// default base URLs, the exchange's real hostnames — reaches a server
// through its proxy setting and trusts it through the local CA.

// CAEnv is the environment variable through which every candlecassette
// command finds the local CA's directory.
const CAEnv = "CANDLECASSETTE_CA_DIR"

// CA is a local CA made for one test.
type CA struct {
	// Dir is the CA's directory: CANDLECASSETTE_CA_DIR of the servers.
	Dir string
	// Cert is the certificate file clients trust (SSL_CERT_FILE,
	// NODE_EXTRA_CA_CERTS, curl --cacert).
	Cert string
}

var certLine = regexp.MustCompile(`(?m)^certificate: (\S+) \(expires `)

// NewCA creates a CA in a temporary directory with `candlecassette ca`,
// checks that the file it names is a CA certificate, and sets
// CANDLECASSETTE_CA_DIR for the rest of the test (t.Setenv: not in
// parallel tests), so the servers the test starts terminate TLS with it.
func NewCA(t testing.TB) *CA {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(Binary(t), "ca")
	cmd.Env = append(os.Environ(), CAEnv+"="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("candlecassette ca: %v\n%s", err, out)
	}
	m := certLine.FindSubmatch(out)
	if m == nil || !strings.HasPrefix(string(m[1]), dir) {
		t.Fatalf("candlecassette ca did not name a certificate under %s:\n%s", dir, out)
	}
	cert := string(m[1])
	b, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s is not PEM", cert)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !c.IsCA {
		t.Fatalf("%s is not a CA certificate (%v)", cert, err)
	}
	t.Setenv(CAEnv, dir)
	return &CA{Dir: dir, Cert: cert}
}

// Tap is a TCP relay in front of a server that writes down the first
// request line of every connection a client opens through it — "CONNECT
// api.binance.com:443 HTTP/1.1" from a client behind HTTPS_PROXY, "GET
// https://... HTTP/1.1" from an absolute-form one — and then passes the
// bytes on untouched both ways. Give clients Tap.URL as their proxy to
// know every host they asked the proxy for.
type Tap struct {
	// URL is the proxy URL of the tap, http://127.0.0.1:PORT.
	URL string

	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	lines []string
	conns map[net.Conn]struct{}
}

// NewTap starts a tap in front of srv until the test ends; it then closes
// every connection and waits for its goroutines.
func NewTap(t testing.TB, srv *Server) *Tap {
	t.Helper()
	target := strings.TrimPrefix(srv.URL, "http://")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &Tap{URL: "http://" + ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	tp.wg.Add(1)
	go func() {
		defer tp.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !tp.track(c) {
				return
			}
			tp.wg.Add(1)
			go func() {
				defer tp.wg.Done()
				tp.relay(c, target)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		tp.mu.Lock()
		for c := range tp.conns {
			c.Close()
		}
		tp.conns = nil
		tp.mu.Unlock()
		tp.wg.Wait()
	})
	return tp
}

// track adds c to the connections closed at cleanup; false if that is
// under way (c is then closed).
func (tp *Tap) track(c net.Conn) bool {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.conns == nil {
		c.Close()
		return false
	}
	tp.conns[c] = struct{}{}
	return true
}

func (tp *Tap) relay(c net.Conn, target string) {
	defer c.Close()
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := br.ReadString('\n')
	c.SetReadDeadline(time.Time{})
	if line != "" {
		tp.mu.Lock()
		tp.lines = append(tp.lines, strings.TrimRight(line, "\r\n"))
		tp.mu.Unlock()
	}
	if err != nil {
		return
	}
	up, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil || !tp.track(up) {
		return
	}
	defer up.Close()
	if _, err := io.WriteString(up, line); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		io.Copy(up, br) // the buffered rest, then the socket
		up.Close()
		close(done)
	}()
	io.Copy(c, up)
	c.Close()
	<-done
}

// Lines are the first request lines of the connections so far, in the
// order they were read.
func (tp *Tap) Lines() []string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]string(nil), tp.lines...)
}

// Connects are the CONNECT targets (host:port) among Lines, and others
// the lines that were no CONNECT.
func (tp *Tap) Connects() (targets, others []string) {
	for _, l := range tp.Lines() {
		if rest, ok := strings.CutPrefix(l, "CONNECT "); ok {
			target, _, _ := strings.Cut(rest, " ")
			targets = append(targets, target)
			continue
		}
		others = append(others, l)
	}
	return targets, others
}

// Status is the part of GET /__admin/status the proxy tests read: how
// many REST requests and WS connections the exchange's handler served.
type Status struct {
	Requests int `json:"requests"`
	WS       struct {
		TotalConnections int `json:"total_connections"`
	} `json:"ws"`
}

// ReadStatus asks srv for its /__admin/status, directly.
func ReadStatus(t testing.TB, srv *Server) Status {
	t.Helper()
	resp, err := HTTPClient(t).Get(srv.URL + "/__admin/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Status
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /__admin/status: %s %s", resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("GET /__admin/status: %v", err)
	}
	return st
}
