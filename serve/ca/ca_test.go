package ca_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/serve/ca"
)

// hosts stand for the registered exchanges' hostnames.
var hosts = []string{"api.binance.com", "stream.binance.com", "ws.okx.com"}

func load(t *testing.T, dir string, opts *ca.Options) *ca.CA {
	t.Helper()
	if opts == nil {
		opts = &ca.Options{Hosts: hosts}
	}
	c, err := ca.Load(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serveTLS runs a TLS server on addr answering with c's leaves until the
// test ends and returns its address.
func serveTLS(t *testing.T, c *ca.CA, network, addr string) string {
	t.Helper()
	ln, err := tls.Listen(network, addr, &tls.Config{GetCertificate: c.GetCertificate})
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				if err := conn.(*tls.Conn).Handshake(); err == nil {
					conn.Write([]byte("ok"))
				}
			})
		}
	})
	return ln.Addr().String()
}

// dial connects to addr as a client trusting only roots and asking for
// serverName ("" means the address's host, sent as no SNI for an IP).
func dial(addr, serverName string, roots *x509.CertPool) error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: roots, ServerName: serverName})
	if err != nil {
		return err
	}
	defer conn.Close()
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != "ok" {
		return errors.New("no answer after the handshake")
	}
	return nil
}

func TestAClientTrustingOnlyTheCAVerifiesLeaves(t *testing.T) {
	c := load(t, t.TempDir(), nil)
	addr := serveTLS(t, c, "tcp", "127.0.0.1:0")
	for _, name := range []string{"api.binance.com", "WS.OKX.COM.", "localhost", ""} {
		if err := dial(addr, name, c.Pool()); err != nil {
			t.Errorf("handshake for %q: %v", name, err)
		}
	}
	// The same server fails for a client that does not trust the CA, and
	// for a name the CA may not sign.
	other := load(t, t.TempDir(), nil)
	if err := dial(addr, "api.binance.com", other.Pool()); err == nil {
		t.Error("a client trusting another CA accepted the leaf")
	}
	if err := dial(addr, "example.com", c.Pool()); err == nil {
		t.Error("handshake for example.com succeeded")
	}
}

func TestNoSNIOnIPv6LoopbackGetsAnIPv6Leaf(t *testing.T) {
	c := load(t, t.TempDir(), nil)
	addr := serveTLS(t, c, "tcp6", "[::1]:0")
	if err := dial(addr, "", c.Pool()); err != nil {
		t.Fatal(err)
	}
}

func TestLeafCarriesTheNameAndAShortValidity(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	c := load(t, t.TempDir(), &ca.Options{Hosts: hosts, Now: func() time.Time { return now }})
	dns, err := c.Leaf("api.binance.com")
	if err != nil {
		t.Fatal(err)
	}
	if l := dns.Leaf; len(l.DNSNames) != 1 || l.DNSNames[0] != "api.binance.com" || len(l.IPAddresses) != 0 {
		t.Errorf("SANs: DNS %v IP %v, want DNS [api.binance.com]", l.DNSNames, l.IPAddresses)
	}
	if got := dns.Leaf.NotAfter.Sub(now); got != 7*24*time.Hour {
		t.Errorf("leaf valid for %v after now, want 7 days", got)
	}
	if dns.Leaf.IsCA || len(dns.Leaf.ExtKeyUsage) != 1 || dns.Leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("leaf IsCA %v EKU %v, want a server-auth end entity", dns.Leaf.IsCA, dns.Leaf.ExtKeyUsage)
	}
	ip, err := c.Leaf("[::1]")
	if err != nil {
		t.Fatal(err)
	}
	if l := ip.Leaf; len(l.IPAddresses) != 1 || !l.IPAddresses[0].Equal(net.IPv6loopback) || len(l.DNSNames) != 0 {
		t.Errorf("SANs: DNS %v IP %v, want IP [::1]", l.DNSNames, l.IPAddresses)
	}
	opts := x509.VerifyOptions{Roots: c.Pool(), CurrentTime: now, DNSName: "::1"}
	if _, err := ip.Leaf.Verify(opts); err != nil {
		t.Errorf("::1 leaf: %v", err)
	}
}

func TestLeafRefusesNamesOutsideTheConstraints(t *testing.T) {
	c := load(t, t.TempDir(), nil)
	for _, name := range []string{"example.com", "evil.api.binance.com", "binance.com", "10.0.0.1", "192.168.1.1", ""} {
		if _, err := c.Leaf(name); !errors.Is(err, ca.ErrNotPermitted) {
			t.Errorf("Leaf(%q) = %v, want ErrNotPermitted", name, err)
		}
	}
}

// TestALeakedKeyCannotSignForOtherNames is the point of the name
// constraints: a leaf the CA's key signs for any other name fails Go's
// verifier, while the same forgery for a permitted name passes.
func TestALeakedKeyCannotSignForOtherNames(t *testing.T) {
	c := load(t, t.TempDir(), nil)
	verify := func(name string) error {
		leaf, err := ca.MintUnchecked(c, name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = leaf.Leaf.Verify(x509.VerifyOptions{Roots: c.Pool(), DNSName: name})
		return err
	}
	for _, name := range []string{"api.binance.com", "127.0.0.1", "127.9.9.9", "::1"} {
		if err := verify(name); err != nil {
			t.Errorf("forged leaf for permitted %s: %v", name, err)
		}
	}
	for _, name := range []string{"example.com", "accounts.google.com", "binance.com", "10.0.0.1", "::2"} {
		err := verify(name)
		var inv x509.CertificateInvalidError
		if !errors.As(err, &inv) || inv.Reason != x509.CANotAuthorizedForThisName {
			t.Errorf("forged leaf for %s: %v, want CANotAuthorizedForThisName", name, err)
		}
	}
}

func TestKeyFileIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	c := load(t, t.TempDir(), nil)
	fi, err := os.Stat(c.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(c.KeyPath())
	if bytes.Contains(c.CertPEM(), raw) || !bytes.Contains(raw, []byte("PRIVATE KEY")) {
		t.Error("key file does not hold the key alone")
	}
	if err := os.Chmod(c.KeyPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Load(c.Dir(), &ca.Options{Hosts: hosts}); !errors.Is(err, ca.ErrKeyExposed) {
		t.Errorf("Load with a world-readable key: %v, want ErrKeyExposed", err)
	}
}

func TestASecondLoadReusesTheCA(t *testing.T) {
	dir := t.TempDir()
	first := load(t, dir, nil)
	if r := first.Report(); !r.Created || r.Reissued != "" {
		t.Errorf("first Load reported %+v, want Created", r)
	}
	second := load(t, dir, &ca.Options{Hosts: []string{"ws.okx.com", "api.binance.com"}}) // a subset
	if r := second.Report(); r.Created || r.Reissued != "" {
		t.Errorf("second Load reported %+v, want nothing done", r)
	}
	if !bytes.Equal(first.Certificate().Raw, second.Certificate().Raw) {
		t.Error("second Load has another certificate")
	}
	leaf, err := second.Leaf("stream.binance.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: first.Pool(), DNSName: "stream.binance.com"}); err != nil {
		t.Errorf("leaf of the second Load against the first's certificate: %v", err)
	}
}

// TestANewHostReissuesWithTheSameKey: an exchange added since the CA was
// made re-issues the certificate; clients holding the old one still
// verify the old names.
func TestANewHostReissuesWithTheSameKey(t *testing.T) {
	dir := t.TempDir()
	old := load(t, dir, nil)
	grown := load(t, dir, &ca.Options{Hosts: append([]string{"fapi.binance.com"}, hosts...)})
	if r := grown.Report(); r.Created || !strings.Contains(r.Reissued, "fapi.binance.com") {
		t.Errorf("Report %+v, want Reissued naming fapi.binance.com", r)
	}
	if !sameKey(grown, old) {
		t.Error("re-issued certificate has another key")
	}
	if want := []string{"api.binance.com", "fapi.binance.com", "localhost", "stream.binance.com", "ws.okx.com"}; !equal(grown.Permitted(), want) {
		t.Errorf("Permitted %v, want %v", grown.Permitted(), want)
	}
	leaf, err := grown.Leaf("fapi.binance.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: grown.Pool(), DNSName: "fapi.binance.com"}); err != nil {
		t.Errorf("new name against the new certificate: %v", err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: old.Pool(), DNSName: "fapi.binance.com"}); err == nil {
		t.Error("new name verified against the old certificate, which does not permit it")
	}
	oldName, err := grown.Leaf("api.binance.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oldName.Leaf.Verify(x509.VerifyOptions{Roots: old.Pool(), DNSName: "api.binance.com"}); err != nil {
		t.Errorf("old name against the old certificate: %v", err)
	}
	// The union is kept: a Load with the first list does not shrink it.
	again := load(t, dir, nil)
	if r := again.Report(); r.Reissued != "" || !bytes.Equal(again.Certificate().Raw, grown.Certificate().Raw) {
		t.Errorf("Load with fewer hosts re-issued: %+v", r)
	}
}

func TestACertificateThatDoesNotFitIsReissued(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(t *testing.T, c *ca.CA)
		reason string
	}{
		{"a missing certificate", func(t *testing.T, c *ca.CA) { os.Remove(c.CertPath()) }, "no certificate"},
		{"garbage", func(t *testing.T, c *ca.CA) { os.WriteFile(c.CertPath(), []byte("nope"), 0o644) }, "no PEM certificate"},
		{"another key's certificate", func(t *testing.T, c *ca.CA) {
			other := load(t, t.TempDir(), nil)
			os.WriteFile(c.CertPath(), other.CertPEM(), 0o644)
		}, "does not match the key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first := load(t, dir, nil)
			tt.break_(t, first)
			again := load(t, dir, nil)
			if r := again.Report(); !strings.Contains(r.Reissued, tt.reason) {
				t.Errorf("Report %+v, want Reissued %q", r, tt.reason)
			}
			if !sameKey(again, first) {
				t.Error("re-issued with another key")
			}
			onDisk, _ := os.ReadFile(again.CertPath())
			if !bytes.Equal(onDisk, again.CertPEM()) {
				t.Error("re-issued certificate not written")
			}
		})
	}
	t.Run("an expiring certificate", func(t *testing.T) {
		dir := t.TempDir()
		first := load(t, dir, nil)
		later := first.Certificate().NotAfter.Add(-24 * time.Hour)
		again := load(t, dir, &ca.Options{Hosts: hosts, Now: func() time.Time { return later }})
		if r := again.Report(); !strings.Contains(r.Reissued, "expires") {
			t.Errorf("Report %+v, want Reissued for expiry", r)
		}
		if !again.Certificate().NotAfter.After(first.Certificate().NotAfter) {
			t.Error("re-issued certificate does not last longer")
		}
	})
}

func TestConcurrentLeafCallsMintOnce(t *testing.T) {
	c := load(t, t.TempDir(), nil)
	const n = 32
	got := make([]*tls.Certificate, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			cert, err := c.Leaf("api.binance.com")
			if err != nil {
				t.Error(err)
			}
			got[i] = cert
		})
	}
	close(start)
	wg.Wait()
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("call %d got another certificate", i)
		}
	}
	if m := ca.Mints(c); m != 1 {
		t.Errorf("%d mints for one name, want 1", m)
	}
	if _, err := c.Leaf("API.binance.com."); err != nil || ca.Mints(c) != 1 {
		t.Errorf("the same name spelled otherwise minted again (%d mints, %v)", ca.Mints(c), err)
	}
}

func TestALeafIsRenewedBeforeItExpires(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	c := load(t, t.TempDir(), &ca.Options{Hosts: hosts, Now: func() time.Time { return now }})
	first, _ := c.Leaf("ws.okx.com")
	now = now.Add(5 * 24 * time.Hour)
	if again, _ := c.Leaf("ws.okx.com"); again != first {
		t.Error("a leaf with two days left was re-minted")
	}
	now = now.Add(36 * time.Hour) // half a day left
	renewed, err := c.Leaf("ws.okx.com")
	if err != nil {
		t.Fatal(err)
	}
	if renewed == first || !renewed.Leaf.NotAfter.After(first.Leaf.NotAfter) {
		t.Error("a leaf with half a day left was not renewed")
	}
}

func TestDefaultDirHonoursTheEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "moved")
	t.Setenv(ca.EnvDir, dir)
	got, err := ca.DefaultDir()
	if err != nil || got != dir {
		t.Fatalf("DefaultDir() = %q, %v; want %q", got, err, dir)
	}
	c := load(t, "", nil)
	if c.CertPath() != filepath.Join(dir, ca.CertFile) {
		t.Errorf("CertPath %s, want under %s", c.CertPath(), dir)
	}
	t.Setenv(ca.EnvDir, "")
	if got, _ := ca.DefaultDir(); !strings.HasSuffix(got, filepath.Join("candlecassette", "ca")) {
		t.Errorf("DefaultDir() without the variable = %q", got)
	}
}

func TestLoadRefusesMalformedHosts(t *testing.T) {
	for _, h := range []string{"API.binance.com", "api.binance.com:443", "https://api.binance.com", "127.0.0.1", "-a.com", "a..com", ""} {
		if _, err := ca.Load(t.TempDir(), &ca.Options{Hosts: []string{h}}); !errors.Is(err, ca.ErrBadHost) {
			t.Errorf("Load with host %q: %v, want ErrBadHost", h, err)
		}
	}
}

// TestOpenSSLAgrees checks the certificate with another implementation:
// OpenSSL parses the critical name constraints and enforces them.
func TestOpenSSLAgrees(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl")
	}
	c := load(t, t.TempDir(), nil)
	out, err := exec.Command(openssl, "x509", "-in", c.CertPath(), "-noout", "-text").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"X509v3 Name Constraints: critical", "Permitted:", "DNS:api.binance.com", "DNS:localhost",
		"IP:127.0.0.0/255.0.0.0", "IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
		"CA:TRUE, pathlen:0", "TLS Web Server Authentication", "ASN1 OID: prime256v1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("openssl x509 -text lacks %q:\n%s", want, text)
		}
	}
	verify := func(name string, forge bool) (string, error) {
		var leaf *tls.Certificate
		if forge {
			leaf, err = ca.MintUnchecked(c, name)
		} else {
			leaf, err = c.Leaf(name)
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "leaf.pem")
		os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}), 0o644)
		args := []string{"verify", "-CAfile", c.CertPath(), "-purpose", "sslserver"}
		if ip := net.ParseIP(name); ip != nil {
			args = append(args, "-verify_ip", name)
		} else {
			args = append(args, "-verify_hostname", name)
		}
		out, err := exec.Command(openssl, append(args, path)...).CombinedOutput()
		return string(out), err
	}
	for _, name := range []string{"api.binance.com", "localhost", "127.0.0.1", "::1"} {
		if out, err := verify(name, false); err != nil {
			t.Errorf("openssl verify %s: %v\n%s", name, err, out)
		}
	}
	for _, name := range []string{"example.com", "10.0.0.1"} {
		out, err := verify(name, true)
		if err == nil || !strings.Contains(out, "subtree violation") {
			t.Errorf("openssl verify of a forged %s: %v, want a subtree violation\n%s", name, err, out)
		}
	}
}

func sameKey(a, b *ca.CA) bool {
	return a.Certificate().PublicKey.(*ecdsa.PublicKey).Equal(b.Certificate().PublicKey)
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }
