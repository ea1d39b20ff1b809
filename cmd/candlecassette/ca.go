package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve/ca"
)

// proxyURL is what clients set as their proxy: the serving commands'
// default --listen address.
const proxyURL = "http://127.0.0.1:8080"

// caCommand creates the local CA on first use and tells the user how to
// trust it.
func caCommand() *cli.Command {
	return &cli.Command{
		Name:  "ca",
		Usage: "create the local CA on first use and print its certificate's path and how to trust it",
		Description: "Proxy mode terminates TLS for the exchanges' real hostnames with certificates signed by\n" +
			"a local CA. Its certificate is name-constrained to those hostnames and loopback, so even\n" +
			"a leaked key signs for nothing else. The key (mode 0600) never leaves the directory.",
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:    "ca-dir",
				Usage:   "directory of the CA's key and certificate (default: the user config dir's candlecassette/ca)",
				EnvVars: []string{ca.EnvDir},
			},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("ca: takes no arguments, got %q", c.Args().Slice())
			}
			authority, err := loadCA(c.String("ca-dir"))
			if err != nil {
				return err
			}
			printTrust(c.App.Writer, authority)
			return nil
		},
	}
}

// loadCA loads (or creates) the CA in dir ("" means the default),
// constrained to every registered exchange's hostnames.
func loadCA(dir string) (*ca.CA, error) {
	hosts := make([]string, 0, 64)
	for h := range plugins.Hosts() {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	return ca.Load(dir, &ca.Options{Hosts: hosts})
}

// printTrust says what Load did and how each kind of client trusts the
// certificate.
func printTrust(w io.Writer, authority *ca.CA) {
	cert := authority.Certificate()
	path := shellQuote(authority.CertPath())
	switch r := authority.Report(); {
	case r.Created:
		fmt.Fprintln(w, "created a new local CA")
	case r.Reissued != "":
		fmt.Fprintf(w, "re-issued the CA certificate with the same key (%s):\n"+
			"clients that trusted the old file must trust the new one for the new names\n", r.Reissued)
	default:
		fmt.Fprintln(w, "the local CA exists")
	}
	fmt.Fprintf(w, "certificate: %s (expires %s)\n", authority.CertPath(), cert.NotAfter.UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "key:         %s (mode 0600: keep it private)\n", authority.KeyPath())
	fmt.Fprintf(w, "signs only:  %d exchange hostnames, localhost, 127.0.0.0/8 and ::1 (x509 name constraints)\n\n",
		len(authority.Permitted())-1)

	fmt.Fprintf(w, `Trust it in the client:
  Go             export SSL_CERT_FILE=%[1]s
                 (Linux/BSD: replaces the system bundle file; the certificates in SSL_CERT_DIR,
                 by default /etc/ssl/certs, still load. On macOS and Windows Go verifies with
                 the system store: trust it there)
  Node, ccxt     export NODE_EXTRA_CA_CERTS=%[1]s
                 (added to Node's own roots; read when the process starts)
  Python         export SSL_CERT_FILE=%[1]s REQUESTS_CA_BUNDLE=%[1]s
                 (ssl and aiohttp read SSL_CERT_FILE, requests reads REQUESTS_CA_BUNDLE;
                 both replace the default bundle)
  curl           curl --cacert %[1]s ...
  system store   Debian/Ubuntu: sudo cp %[1]s /usr/local/share/ca-certificates/candlecassette.crt
                                && sudo update-ca-certificates
                 macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain %[1]s

Then send the client through candlecassette (synth, replay or record on %[2]s):
  export HTTPS_PROXY=%[2]s
  (Python aiohttp reads the proxy variables with trust_env=True, by the URL's scheme:
  also export WSS_PROXY=%[2]s for wss://. ccxt reads no proxy variable: set its
  httpsProxy and wsProxy (or wssProxy) options to %[2]s, with the npm packages
  http-proxy-agent and https-proxy-agent installed)
  e.g. curl --cacert %[1]s --proxy %[2]s https://api.binance.com/api/v3/time
`, path, proxyURL)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that need none.
func shellQuote(s string) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%,=", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !safe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
