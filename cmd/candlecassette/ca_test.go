package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve/ca"
)

func TestCACreatesTheCAAndSaysHowToTrustIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my ca") // a space: the printed commands must quote it
	stdout, stderr, err := run(t, "ca", "--ca-dir", dir)
	if err != nil {
		t.Fatalf("ca: %v\n%s", err, stderr)
	}
	certPath := filepath.Join(dir, ca.CertFile)
	quoted := "'" + certPath + "'"
	for _, want := range []string{
		"created a new local CA",
		"certificate: " + certPath,
		"export SSL_CERT_FILE=" + quoted,
		"export NODE_EXTRA_CA_CERTS=" + quoted,
		"REQUESTS_CA_BUNDLE=" + quoted,
		"curl --cacert " + quoted,
		"update-ca-certificates",
		"security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain " + quoted,
		"export HTTPS_PROXY=http://127.0.0.1:8080",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	// The file it names is a CA certificate constrained to every
	// registered exchange host.
	raw, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s holds no PEM", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	permitted := map[string]bool{}
	for _, n := range cert.PermittedDNSDomains {
		permitted[n] = true
	}
	hosts := plugins.Hosts()
	for h := range hosts {
		if !permitted[h] {
			t.Errorf("the CA does not permit %s, a registered exchange host", h)
		}
	}
	if !cert.IsCA || !cert.PermittedDNSDomainsCritical || len(permitted) != len(hosts)+1 {
		t.Errorf("IsCA %v, critical constraints %v, %d names for %d hosts + localhost",
			cert.IsCA, cert.PermittedDNSDomainsCritical, len(permitted), len(hosts))
	}
	if fi, err := os.Stat(filepath.Join(dir, ca.KeyFile)); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %04o, want 0600", fi.Mode().Perm())
	}

	// A second run reuses it.
	again, _, err := run(t, "ca", "--ca-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(again, "the local CA exists\n") {
		t.Errorf("second run:\n%s", again)
	}
	if raw2, _ := os.ReadFile(certPath); string(raw2) != string(raw) {
		t.Error("second run rewrote the certificate")
	}
}

func TestCAHonoursTheEnvironmentVariable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	t.Setenv(ca.EnvDir, dir)
	stdout, _, err := run(t, "ca")
	if err != nil {
		t.Fatal(err)
	}
	if want := "certificate: " + filepath.Join(dir, ca.CertFile); !strings.Contains(stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, ca.KeyFile)); err != nil {
		t.Error(err)
	}
}

func TestCARefusesArgumentsAndAnExposedKey(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(t, "ca", "--ca-dir", dir, "extra"); err == nil || !strings.Contains(err.Error(), "takes no arguments") {
		t.Errorf("ca extra: %v", err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	if _, _, err := run(t, "ca", "--ca-dir", dir); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, ca.KeyFile), 0o644)
	if _, _, err := run(t, "ca", "--ca-dir", dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("ca with a world-readable key: %v, want advice to chmod 600", err)
	}
}
