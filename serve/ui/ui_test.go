package ui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/candlecassette/candlecassette/serve/ui"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The pin names the embedded file: its sha256 is the file's (the compat
// test checks both against the npm package).
func TestPinMatchesTheEmbeddedChart(t *testing.T) {
	version, pin := ui.ChartPin()
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(version) {
		t.Fatalf("pinned version %q", version)
	}
	b, err := fs.ReadFile(ui.Assets(), "vendor/lightweight-charts.standalone.production.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != pin {
		t.Fatalf("embedded chart sha256 %s, pin %s", got, pin)
	}
	if !strings.Contains(string(b[:300]), "Lightweight Charts™ v"+version) {
		t.Fatalf("the embedded file's banner does not name v%s: %q", version, b[:200])
	}
	if lic, err := fs.ReadFile(ui.Assets(), "vendor/LICENSE"); err != nil || !strings.Contains(string(lic), "Apache License") {
		t.Fatalf("vendored LICENSE: %v", err)
	}
}

// Every script and stylesheet the page loads is embedded and same-origin.
func TestThePageLoadsOnlyEmbeddedFiles(t *testing.T) {
	h := ui.Handler()
	page := get(t, h, ui.Prefix, 200)
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page references %d files", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		switch {
		case ref == "data:,":
		case strings.HasPrefix(ref, "https://www.tradingview.com/"): // the attribution link, not loaded
		case strings.HasPrefix(ref, ui.Prefix+"/"):
			get(t, h, ref, 200)
		default:
			t.Errorf("the page references %s, not an embedded file", ref)
		}
	}
}

func TestHandlerServesFilesAndNothingElse(t *testing.T) {
	h := ui.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ui.Prefix+"/app.js", nil))
	if ct := rec.Header().Get("Content-Type"); rec.Code != 200 || !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("app.js: %d %s", rec.Code, ct)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("no %s", h)
		}
	}
	get(t, h, ui.Prefix+"/", 200)
	get(t, h, ui.Prefix+"/nope.js", 404)
	get(t, h, ui.Prefix+"/vendor/lightweight-charts.pin", 404)
	get(t, h, ui.Prefix+"/../../etc/passwd", 404)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, ui.Prefix, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}

func get(t *testing.T, h http.Handler, path string, want int) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	if rec.Code != want {
		t.Fatalf("GET %s: %d, want %d", path, rec.Code, want)
	}
	return string(b)
}
