package compattest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// IsLoopback reports whether hostport (or a bare host) names the loopback
// interface by address. Names such as "localhost" are refused on purpose:
// a test must not depend on what a resolver says.
func IsLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// GuardDialContext wraps dial so that it fails the test, and refuses to
// connect, for any address but the loopback interface.
func GuardDialContext(t testing.TB, dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !IsLoopback(addr) {
			t.Errorf("network guard: client tried to connect to %s %s; only 127.0.0.1 is allowed", network, addr)
			return nil, fmt.Errorf("compattest: connection to %s refused by the network guard", addr)
		}
		return dial(ctx, network, addr)
	}
}

// HTTPClient is an HTTP client that can reach only the loopback interface
// (no proxy, no redirect elsewhere): hand it to an SDK in place of its
// default client.
func HTTPClient(t testing.TB) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         GuardDialContext(t, nil),
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// RequireLoopbackURL fails the test at once unless raw is a URL on the
// loopback interface. Use it on base URLs an SDK keeps in package variables
// and dials with its own dialer.
func RequireLoopbackURL(t testing.TB, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || !IsLoopback(u.Host) {
		t.Fatalf("network guard: %q is not a loopback URL", raw)
	}
}

// SetVar sets *p to v for the duration of the test and restores the old
// value after it. Tests that use it on package-level SDK variables must not
// call t.Parallel.
func SetVar[T any](t testing.TB, p *T, v T) {
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}
