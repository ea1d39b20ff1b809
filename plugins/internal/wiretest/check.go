package wiretest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// StillClock is a virtual clock at base that barely moves (a billionth
// of real speed): "now" stays put for the length of a test.
func StillClock(base time.Time) *cc.Clock {
	return &cc.Clock{Base: base, Start: time.Now(), Speed: 1e-9}
}

// GetJSON fetches base+path, fails the test unless the answer is 200 OK,
// decodes the body into v and returns it.
func GetJSON(t testing.TB, base, path string, v any) []byte {
	t.Helper()
	st, body := Get(t, base, path)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, st, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return body
}

// ShapesMatch fetches base+path for every golden file → path of goldens
// and reports each payload whose shape (SameShape) differs from its
// golden file's.
func ShapesMatch(t testing.TB, base string, goldens map[string]string) {
	t.Helper()
	matchAll(t, base, goldens, SameShape)
}

// FieldsMatch is ShapesMatch ignoring the order of object keys
// (SameFields).
func FieldsMatch(t testing.TB, base string, goldens map[string]string) {
	t.Helper()
	matchAll(t, base, goldens, SameFields)
}

func matchAll(t testing.TB, base string, goldens map[string]string, same func(string, []byte) error) {
	t.Helper()
	for golden, path := range goldens {
		_, body := Get(t, base, path)
		if err := same(golden, body); err != nil {
			t.Error(err)
		}
	}
}

// Exhaust sends n bodiless method requests to url, failing the test
// unless ok (nil: 200 OK) accepts every answer, then sends one more and
// returns its status and body: a rate-limit test's "n pass, the next is
// refused".
func Exhaust(t testing.TB, method, url string, n int, ok func(status int, body []byte) bool) (int, []byte) {
	t.Helper()
	if ok == nil {
		ok = func(status int, _ []byte) bool { return status == http.StatusOK }
	}
	for i := 1; i <= n; i++ {
		if st, b := Do(t, method, url); !ok(st, b) {
			t.Fatalf("request %d of %d: %d %s", i, n, st, b)
		}
	}
	return Do(t, method, url)
}
