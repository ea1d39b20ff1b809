package compattest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// programs are the client programs GoProgram built, by package path; they
// share one temporary directory, removed by Main.
var programs struct {
	mu    sync.Mutex
	dir   string
	built map[string]string
}

// GoProgram builds the main package pkg of the compat module (e.g.
// "./cmd/gobinance-proxy") once per test process and returns the path of
// the executable. Client programs run as child processes when what they
// read from the environment (HTTPS_PROXY, SSL_CERT_FILE) is process-wide.
func GoProgram(t testing.TB, pkg string) string {
	t.Helper()
	programs.mu.Lock()
	defer programs.mu.Unlock()
	if p := programs.built[pkg]; p != "" {
		return p
	}
	if programs.dir == "" {
		dir, err := os.MkdirTemp("", "candlecassette-programs-")
		if err != nil {
			t.Fatal(err)
		}
		programs.dir, programs.built = dir, map[string]string{}
	}
	out := filepath.Join(programs.dir, path.Base(pkg))
	cmd := exec.Command("go", "build", "-mod=mod", "-o", out, pkg)
	cmd.Dir = filepath.Join(RepoRoot(), "compat")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	programs.built[pkg] = out
	return out
}

// proxyVars are the environment variables through which a client could
// learn of a proxy or a trusted certificate other than the test's.
var proxyVars = []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}

// ProxyEnv is the environment of a client process that may reach the
// exchange through proxy only and trusts certificate only: the test's own
// environment without any proxy or trust variable (in either case), plus
// HTTPS_PROXY=proxy, SSL_CERT_FILE=certificate and SSL_CERT_DIR naming an
// empty directory, so that no system certificate is trusted either — a
// server that is not candlecassette cannot pass for the exchange.
func ProxyEnv(t testing.TB, proxy, certificate string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, v := range proxyVars {
			drop = drop || strings.EqualFold(name, v)
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return append(env, "HTTPS_PROXY="+proxy, "SSL_CERT_FILE="+certificate, "SSL_CERT_DIR="+t.TempDir())
}

// RunProgram runs the program at path with env and args, waits up to
// two minutes for it to exit, and returns its stdout. The test fails, with
// the program's stderr, unless it exits with status 0.
func RunProgram(t testing.TB, path string, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v after %s\nstderr:\n%s\nstdout:\n%s", filepath.Base(path), strings.Join(args, " "), err,
			time.Since(start).Round(time.Millisecond), stderr.String(), tail(stdout.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("...%s", s[len(s)-n:])
}
