package replaytest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func readGolden(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}

// Golden returns the bytes of testdata/name in the test's package.
func Golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := readGolden(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// GoldenJSON decodes testdata/name (numbers as float64).
func GoldenJSON(t testing.TB, name string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(Golden(t, name), &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}
