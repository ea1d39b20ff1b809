package ui_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/serve/ui"
)

// TestVendoredChartMatchesNpm packs the pinned lightweight-charts from the
// npm registry and checks that the vendored standalone build and LICENSE
// are that package's, byte for byte, and that the pin's sha256 is the
// file's. Without npm it skips (outside CI) or fails (in CI, which has npm
// for the ccxt tests).
func TestVendoredChartMatchesNpm(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is not on PATH")
		}
		t.Skip("npm is not on PATH")
	}
	version, pin := ui.ChartPin()
	if version == "" || len(pin) != 64 {
		t.Fatalf("pin: version %q sha256 %q", version, pin)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", dir, "lightweight-charts@"+version)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm pack lightweight-charts@%s: %v\n%s", version, err, out)
	}
	tgz, err := os.ReadFile(filepath.Join(dir, "lightweight-charts-"+version+".tgz"))
	if err != nil {
		t.Fatal(err)
	}
	files := untar(t, tgz, "package/dist/lightweight-charts.standalone.production.js", "package/LICENSE")
	for npmName, vendored := range map[string]string{
		"package/dist/lightweight-charts.standalone.production.js": "vendor/lightweight-charts.standalone.production.js",
		"package/LICENSE": "vendor/LICENSE",
	} {
		ours, err := fs.ReadFile(ui.Assets(), vendored)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, files[npmName]) {
			t.Errorf("%s differs from %s in lightweight-charts@%s (%d vs %d bytes): re-vendor it from `npm pack`",
				vendored, npmName, version, len(ours), len(files[npmName]))
		}
	}
	sum := sha256.Sum256(files["package/dist/lightweight-charts.standalone.production.js"])
	if got := hex.EncodeToString(sum[:]); got != pin {
		t.Errorf("the npm package's standalone build has sha256 %s, the pin says %s", got, pin)
	}
}

func untar(t *testing.T, tgz []byte, names ...string) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want[h.Name] {
			if out[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range names {
		if out[n] == nil {
			t.Fatalf("the package has no %s", n)
		}
	}
	return out
}
