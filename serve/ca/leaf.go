package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"strings"
	"time"
)

// maxLeaves bounds the leaf cache: a client sending many loopback IPs as
// names cannot grow it without end.
const maxLeaves = 1024

// leafEntry is one name's leaf, minted once: done is closed when cert and
// err are set.
type leafEntry struct {
	done    chan struct{}
	cert    *tls.Certificate
	err     error
	renewAt time.Time
}

// Leaf returns a TLS certificate for name — a DNS name the CA is
// constrained to, "localhost", or a loopback IP ("127.0.0.1", "::1",
// "[::1]") — signed by the CA, minting it on first use and again a day
// before it expires. Names are matched without case and a trailing dot.
// A name the CA may not sign gives an error wrapping ErrNotPermitted.
//
// Concurrent calls for one name wait for a single mint.
func (c *CA) Leaf(name string) (*tls.Certificate, error) {
	key, ip, err := c.canonical(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if e := c.leaves[key]; e != nil {
		select {
		case <-e.done:
			if e.err == nil && c.now().Before(e.renewAt) {
				c.mu.Unlock()
				return e.cert, nil
			}
			// expiring: mint a new one below
		default:
			c.mu.Unlock()
			<-e.done
			return e.cert, e.err
		}
	}
	if len(c.leaves) >= maxLeaves {
		c.evictLocked()
	}
	e := &leafEntry{done: make(chan struct{})}
	c.leaves[key] = e
	c.mu.Unlock()

	e.cert, e.renewAt, e.err = c.mint(key, ip)
	if e.err != nil {
		c.mu.Lock()
		if c.leaves[key] == e {
			delete(c.leaves, key)
		}
		c.mu.Unlock()
	}
	close(e.done)
	return e.cert, e.err
}

// evictLocked drops every finished entry (c.mu held): the cache only
// refills with names clients still use.
func (c *CA) evictLocked() {
	for k, e := range c.leaves {
		select {
		case <-e.done:
			delete(c.leaves, k)
		default:
		}
	}
}

// GetCertificate is a tls.Config.GetCertificate: the leaf for the
// ClientHello's server name (SNI). A client sends no SNI when it dials an
// IP address; then the leaf is for the loopback IP the connection arrived
// on, or 127.0.0.1.
func (c *CA) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if name == "" {
		name = "127.0.0.1"
		if hello.Conn != nil {
			if a, ok := hello.Conn.LocalAddr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
				name = a.IP.String()
			}
		}
	}
	return c.Leaf(name)
}

// canonical returns name's cache key (lower case, no trailing dot, an IP
// in its shortest form) and its IP if it is one, or why it is refused.
func (c *CA) canonical(name string) (key string, ip net.IP, err error) {
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if ip = net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(n, "["), "]")); ip != nil {
		if !ip.IsLoopback() {
			return "", nil, fmt.Errorf("%w: %s is not a loopback address", ErrNotPermitted, name)
		}
		return ip.String(), ip, nil
	}
	if !c.permitted[n] {
		return "", nil, fmt.Errorf("%w: %q (the CA signs for %d exchange hostnames and loopback)",
			ErrNotPermitted, name, len(c.permitted)-1)
	}
	return n, nil, nil
}

// mint signs a new leaf for name (ip when it is an IP), valid from an hour
// ago for the leaf validity, cut to the CA's expiry.
func (c *CA) mint(name string, ip net.IP) (*tls.Certificate, time.Time, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ca: generate leaf key: %w", err)
	}
	now := c.now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(c.leafValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if tmpl.NotAfter.After(c.cert.NotAfter) {
		tmpl.NotAfter = c.cert.NotAfter
	}
	if ip != nil {
		// No common name: OpenSSL would check a dotted-quad CN against the
		// DNS constraints. The subject is empty and the SAN critical.
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.Subject = pkix.Name{CommonName: name}
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ca: sign leaf for %s: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ca: %w", err)
	}
	c.mints.Add(1)
	margin := min(24*time.Hour, c.leafValidity/2)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf.NotAfter.Add(-margin), nil
}
