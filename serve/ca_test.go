package serve_test

import (
	"crypto/tls"
	"crypto/x509"
	"slices"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve/ca"
)

// testCA is the local CA (serve/ca) in a temporary directory, allowed to
// sign every registered exchange's hosts and www.example.com — a name no
// exchange serves, so that a refusal of it is the front's, not the CA's.
// Leaf is its GetCertificate, for Options.TLS.
type testCA struct {
	*ca.CA
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	hosts := []string{"www.example.com"}
	for h := range plugins.Hosts() {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	authority, err := ca.Load(t.TempDir(), &ca.Options{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{CA: authority, pool: authority.Pool()}
}

// Leaf is a tls.Config.GetCertificate.
func (c *testCA) Leaf(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.GetCertificate(hello)
}
