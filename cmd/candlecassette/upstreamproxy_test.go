package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecordUpstreamProxyFlagsRefuseWhatTheyCannotUse(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	cas := filepath.Join(dir, "c.cassette")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a proxy URL without a scheme", []string{"--upstream-proxy", "127.0.0.1:8080"}, "--upstream-proxy"},
		{"a SOCKS proxy", []string{"--upstream-proxy", "socks5://127.0.0.1:1080"}, "want an http(s)://HOST:PORT URL"},
		{"a missing CA file", []string{"--upstream-ca", filepath.Join(dir, "none.pem")}, "--upstream-ca"},
		{"a CA file without a certificate", []string{"--upstream-ca", notPEM}, "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"record", "binance_spot", "--cassette", cas, "--listen", "127.0.0.1:0"}, tc.args...)
			if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("record %s: %v, want an error naming %q", strings.Join(tc.args, " "), err, tc.want)
			}
		})
	}
}
