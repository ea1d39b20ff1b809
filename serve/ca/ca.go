package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// EnvDir names the environment variable that moves DefaultDir.
	EnvDir = "CANDLECASSETTE_CA_DIR"
	// CertFile is the CA certificate's file name (PEM) in the directory.
	CertFile = "ca.pem"
	// KeyFile is the CA key's file name (PKCS #8 PEM, mode 0600).
	KeyFile = "ca-key.pem"

	// caValidity is how long an issued CA certificate lasts.
	caValidity = 10 * 365 * 24 * time.Hour
	// caRenewBefore re-issues a CA certificate this close to its expiry.
	caRenewBefore = 30 * 24 * time.Hour
	// backdate starts every certificate this long before now, for clocks
	// that lag.
	backdate = time.Hour
	// subjectCN is the CA's common name; it must not change, so that a
	// re-issued certificate is the same issuer.
	subjectCN = "candlecassette local CA"
)

var (
	// ErrNotPermitted is returned by Leaf for a name the CA may not sign.
	ErrNotPermitted = errors.New("ca: name not permitted by the CA's name constraints")
	// ErrKeyExposed is returned by Load when the key file is readable by
	// group or others.
	ErrKeyExposed = errors.New("ca: key file is readable by other users")
	// ErrBadHost is returned by Load for a malformed name in Options.Hosts.
	ErrBadHost = errors.New("ca: not a lower-case DNS host name")
)

// loopbackRanges are the IP ranges every CA is constrained to besides its
// DNS names.
var loopbackRanges = []*net.IPNet{
	{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
	{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
}

// Options configure Load. The zero value (or nil) means a CA for loopback
// names only.
type Options struct {
	// Hosts are the DNS names (no port, lower case) the CA may sign for,
	// besides "localhost" and loopback IPs: give every registered
	// exchange's hostnames (plugins.Hosts()).
	Hosts []string
	// LeafValidity is how long a minted leaf lasts; 0 means 7 days. It is
	// cut to the CA certificate's own expiry.
	LeafValidity time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Report says what Load did to the files.
type Report struct {
	// Created is true when this Load generated the key (and a first
	// certificate).
	Created bool
	// Reissued, when not empty, says why the certificate was re-issued
	// with the existing key (e.g. "name constraints lack
	// fapi.binance.com"): clients must trust the new file.
	Reissued string
}

// CA is a loaded certificate authority; see the package doc.
type CA struct {
	dir          string
	key          *ecdsa.PrivateKey
	cert         *x509.Certificate
	certPEM      []byte
	permitted    map[string]bool // DNS names Leaf mints for
	now          func() time.Time
	leafValidity time.Duration
	report       Report

	mu     sync.Mutex
	leaves map[string]*leafEntry
	mints  atomic.Int64 // leaves minted, for tests
}

// DefaultDir is where Load keeps the CA when given no directory:
// $CANDLECASSETTE_CA_DIR if set, else os.UserConfigDir()/candlecassette/ca.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("ca: no config directory (set %s or pass a directory): %w", EnvDir, err)
	}
	return filepath.Join(base, "candlecassette", "ca"), nil
}

// Load opens the CA in dir ("" means DefaultDir()), creating the directory
// (mode 0700), key and certificate on first use and re-issuing the
// certificate when it no longer fits (see the package doc). opts may be
// nil.
func Load(dir string, opts *Options) (*CA, error) {
	if opts == nil {
		opts = &Options{}
	}
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	want, err := normalizeHosts(opts.Hosts)
	if err != nil {
		return nil, err
	}
	c := &CA{
		dir: dir, now: opts.Now, leafValidity: opts.LeafValidity,
		leaves: map[string]*leafEntry{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.leafValidity <= 0 {
		c.leafValidity = 7 * 24 * time.Hour
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if c.key, c.report.Created, err = loadOrCreateKey(c.KeyPath()); err != nil {
		return nil, err
	}
	stored, reason := c.readCert(want)
	if reason != "" {
		names := want
		if stored != nil { // keep what the old certificate permitted
			names = union(stored.PermittedDNSDomains, want)
		}
		if err := c.issue(names); err != nil {
			return nil, err
		}
		if !c.report.Created {
			c.report.Reissued = reason
		}
	}
	c.permitted = map[string]bool{}
	for _, n := range c.cert.PermittedDNSDomains {
		c.permitted[n] = true
	}
	return c, nil
}

// Dir is the directory holding the CA's files.
func (c *CA) Dir() string { return c.dir }

// CertPath is the CA certificate's file: the one clients must trust.
func (c *CA) CertPath() string { return filepath.Join(c.dir, CertFile) }

// KeyPath is the CA key's file.
func (c *CA) KeyPath() string { return filepath.Join(c.dir, KeyFile) }

// Certificate is the parsed CA certificate. Do not modify it.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// CertPEM is the CA certificate as written to CertPath.
func (c *CA) CertPEM() []byte { return bytes.Clone(c.certPEM) }

// Pool is a new certificate pool holding only the CA certificate: what a
// Go client's tls.Config.RootCAs needs to trust minted leaves.
func (c *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.cert)
	return p
}

// Permitted returns the DNS names the CA is constrained to, sorted
// ("localhost" included).
func (c *CA) Permitted() []string { return slices.Clone(c.cert.PermittedDNSDomains) }

// Report says what Load did: created the CA, re-issued its certificate
// (and why), or neither.
func (c *CA) Report() Report { return c.report }

// loadOrCreateKey reads the key at path or, if there is none, generates
// one and links it into place (so two processes racing end with one key).
func loadOrCreateKey(path string) (key *ecdsa.PrivateKey, created bool, err error) {
	key, err = readKey(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, false, err
	}
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("ca: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("ca: encode key: %w", err)
	}
	tmp, err := writeTemp(filepath.Dir(path), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) { // another process won: use its key
			key, err = readKey(path)
			return key, false, err
		}
		return nil, false, fmt.Errorf("ca: %w", err)
	}
	return key, true, nil
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err // ErrNotExist is the caller's cue to create one
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run chmod 600 on it (or delete the directory to start a new CA)",
			ErrKeyExposed, path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("ca: %s holds no PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("ca: %s is not an ECDSA P-256 key", path)
	}
	return ek, nil
}

// readCert loads the stored certificate into c and returns it with "" when
// it fits the key, the clock and want; otherwise it returns why it must be
// re-issued, and the stored certificate only if its constraints may be
// kept (it is ours and parses).
func (c *CA) readCert(want []string) (stored *x509.Certificate, reason string) {
	raw, err := os.ReadFile(c.CertPath())
	if err != nil {
		return nil, "no certificate"
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, "certificate file holds no PEM certificate"
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, "certificate does not parse: " + err.Error()
	}
	if !c.key.PublicKey.Equal(cert.PublicKey) {
		return nil, "certificate does not match the key"
	}
	if !cert.IsCA || !cert.PermittedDNSDomainsCritical {
		return nil, "certificate is not a name-constrained CA"
	}
	if now := c.now(); now.Add(caRenewBefore).After(cert.NotAfter) {
		return cert, "certificate expires " + cert.NotAfter.UTC().Format(time.DateOnly)
	}
	have := map[string]bool{}
	for _, n := range cert.PermittedDNSDomains {
		have[n] = true
	}
	var lack []string
	for _, n := range want {
		if !have[n] {
			lack = append(lack, n)
		}
	}
	if len(lack) > 0 {
		return cert, "name constraints lack " + strings.Join(lack, ", ")
	}
	c.cert, c.certPEM = cert, raw
	return cert, ""
}

// issue signs a new CA certificate for names with c.key and writes it.
func (c *CA) issue(names []string) error {
	now := c.now()
	tmpl := &x509.Certificate{
		SerialNumber:                serial(),
		Subject:                     pkix.Name{CommonName: subjectCN, Organization: []string{"candlecassette"}},
		NotBefore:                   now.Add(-backdate),
		NotAfter:                    now.Add(caValidity),
		IsCA:                        true,
		BasicConstraintsValid:       true,
		MaxPathLen:                  0,
		MaxPathLenZero:              true,
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:                 []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         names,
		PermittedIPRanges:           loopbackRanges,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &c.key.PublicKey, c.key)
	if err != nil {
		return fmt.Errorf("ca: sign CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	tmp, err := writeTemp(c.dir, p, 0o644)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, c.CertPath()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ca: %w", err)
	}
	c.cert, c.certPEM = cert, p
	return nil
}

// writeTemp writes data to a new file in dir with mode perm, synced, and
// returns its name.
func writeTemp(dir string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("ca: %w", err)
	}
	name := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("ca: %w", err)
	}
	return name, nil
}

// serial is a random positive 127-bit serial number.
func serial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	b[0] &= 0x7f
	b[0] |= 0x01 // never zero, never negative
	return new(big.Int).SetBytes(b)
}

// normalizeHosts validates hosts and returns them with "localhost",
// deduplicated and sorted.
func normalizeHosts(hosts []string) ([]string, error) {
	out := []string{"localhost"}
	for _, h := range hosts {
		if !validHost(h) {
			return nil, fmt.Errorf("%w: %q", ErrBadHost, h)
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// validHost reports whether h is a lower-case DNS host name, not an IP
// literal: labels of letters, digits and inner hyphens, 1 to 63 bytes
// each, 253 in all.
func validHost(h string) bool {
	if h == "" || len(h) > 253 || net.ParseIP(h) != nil {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if b := label[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}
