package ratelimit_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// A Weight that reads part of a large body and puts it back (Hyperliquid
// weighs /info by the request type in the body) used to replace the
// server's own request body: the server then took the unread rest of the
// body for the next request on the connection and answered it with a 431.
func TestAWeightReadingTheBodyLeavesTheConnectionInStep(t *testing.T) {
	m := ratelimit.Model{
		REST: []ratelimit.Window{{Name: "w", Limit: 1000, Period: time.Minute}},
		Weight: func(r *http.Request) int {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10))
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(b))
			return 1
		},
	}
	var seen int
	h := ratelimit.New(m, ratelimit.Options{}).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen++
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, http.StatusText(http.StatusOK)+" "+r.Method+" "+string(b[:min(len(b), 3)]))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := srv.Client()
	for i := range 3 {
		res, err := c.Post(srv.URL+"/info", "application/json", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)))
		if err != nil {
			t.Fatalf("round %d, big body: %v", i, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		res, err = c.Post(srv.URL+"/info", "application/json", bytes.NewReader([]byte("abc")))
		if err != nil {
			t.Fatalf("round %d, small body: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(b) != "OK POST abc" {
			t.Fatalf("round %d: the request after a big body got %d %q, want the handler's answer", i, res.StatusCode, b)
		}
	}
	if seen != 6 {
		t.Errorf("the handler saw %d requests, want 6", seen)
	}
}
