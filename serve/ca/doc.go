// Package ca is candlecassette's local certificate authority: the key and
// self-signed certificate that proxy mode signs its TLS leaf certificates
// with, so that a client trusting the CA talks to candlecassette under the
// real exchange hostnames (api.binance.com, ws.okx.com, ...) unchanged.
//
// It uses the standard library's crypto only and imports nothing else of
// candlecassette's: the caller passes the hostnames in (plugins.Hosts()).
//
// # Basics
//
//	c, err := ca.Load("", &ca.Options{Hosts: hostnames}) // "" is DefaultDir()
//	srv := &tls.Config{GetCertificate: c.GetCertificate}
//	fmt.Println("trust", c.CertPath())
//
// Load creates on first use, under the directory, an ECDSA P-256 key
// (KeyFile, mode 0600) and a self-signed CA certificate (CertFile, PEM).
// Later Loads reuse both. The directory is DefaultDir unless given:
// $CANDLECASSETTE_CA_DIR, else os.UserConfigDir()/candlecassette/ca.
//
// Leaf mints a certificate for one name — a DNS name the CA is
// constrained to, "localhost", or a loopback IP — with an ECDSA P-256 key
// of its own, valid for Options.LeafValidity (7 days), and caches it until
// a day before it expires. GetCertificate, for tls.Config, mints for the
// ClientHello's SNI; with no SNI (a client dialling https://127.0.0.1 or
// https://[::1] sends none) it mints for the loopback address the
// connection arrived on, else 127.0.0.1.
//
// # Name constraints
//
// The CA certificate carries a critical x509 name-constraints extension
// that permits only the DNS names given in Options.Hosts, "localhost", and
// the IP ranges 127.0.0.0/8 and ::1/128, and an extended key usage of TLS
// server authentication only; it may sign no intermediate (path length 0).
// A verifier that enforces constraints (Go, OpenSSL, BoringSSL, NSS, macOS)
// rejects any certificate the key signs for another name, so even a leaked
// key cannot impersonate a bank or a package registry — only the exchanges
// and loopback.
//
// An RFC 5280 DNS constraint "api.binance.com" also permits its
// subdomains; Leaf nevertheless mints only for the exact names listed.
//
// # Re-issue
//
// The certificate is re-issued, with the same key, the same subject and a
// new serial number, when it is missing, unreadable, does not match the
// key, expires within 30 days, or its constraints do not cover every name
// in Options.Hosts (an exchange was added). The new constraints are the
// union of the stored ones and the asked ones, so that two binaries of
// different versions sharing a CA directory do not re-issue it in turn.
// Report says what Load did and why, so a command can tell the user. A
// client that already trusts the old certificate keeps verifying the names
// it permitted (a leaf chains to whichever of the two it holds, both being
// the same subject and key); for the new names it must trust the new file.
// Pass every registered hostname, not only those served now, or the CA is
// re-issued each time a different set is served.
//
// # Caveats
//
// The key never leaves the directory and is refused, with ErrKeyExposed,
// if its file is readable by group or others (not checked on Windows).
// Two processes creating the CA at once are safe: the key file is linked
// into place only if absent, so both end with the same key. Trusting the
// CA in the system store trusts it for every program of that machine —
// within its constraints.
//
// # Concurrency
//
// A CA is safe for concurrent use. Concurrent Leaf calls for one name mint
// once and share the result; a failed mint is not cached.
package ca
