// Package ui is the admin dashboard served at /__admin/ui: one page and
// its scripts, every byte embedded in the binary, so it works with no
// network at all. The page reads and drives the admin API of the server
// that served it (same origin), sending the admin token, when one is
// set, as a Bearer header from what the user typed into its login form.
//
// The chart is TradingView's lightweight-charts, vendored from its npm
// package (assets/vendor: the standalone production build, its LICENSE
// and the pin of version and sha256 that compat/ui checks against the
// registry's package).
package ui

import (
	"bufio"
	"bytes"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// Prefix is where the dashboard is served.
const Prefix = "/__admin/ui"

// Assets are the page's files, rooted at the directory Prefix serves.
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded directory is always there
	}
	return sub
}

// ChartPin is the vendored lightweight-charts' npm version and the sha256
// (hex) of its standalone production file, from assets/vendor.
func ChartPin() (version, sha256 string) {
	b, _ := fs.ReadFile(Assets(), "vendor/lightweight-charts.pin")
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch k {
		case "version":
			version = v
		case "sha256":
			sha256 = v
		}
	}
	return version, sha256
}

// csp keeps the page to its own origin: scripts and data from the server
// that served it only, never framed by another page.
const csp = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves GET Prefix (the page) and GET Prefix/FILE (its assets).
// It does not check the admin token: the page holds no data, and asks
// for the token itself before it reads any.
func Handler() http.Handler {
	files := Assets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		switch name {
		case "", "/":
			name = "index.html"
		default:
			name = strings.TrimPrefix(path.Clean(name), "/")
		}
		b, err := fs.ReadFile(files, name)
		if err != nil || strings.HasSuffix(name, ".pin") {
			http.Error(w, "not found: "+r.URL.Path, http.StatusNotFound)
			return
		}
		h := w.Header()
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(b)
		}
	})
}
