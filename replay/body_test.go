package replay_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/replay"
)

// Replay reads a request's body to match it against the cassette. It used
// to put the copy back in the server's own request: after a body larger
// than it reads, the server took the unread rest for the next request on
// the connection and answered that one with a 431.
func TestABigRequestBodyLeavesTheConnectionInStep(t *testing.T) {
	srv := startReplay(t, replay.Options{Cassette: exampleCassette})
	c := &http.Client{}
	defer c.CloseIdleConnections()
	for i := range 3 {
		res, err := c.Post(srv.URL()+"/api/v3/time", "application/json", bytes.NewReader(bytes.Repeat([]byte("x"), 3<<20)))
		if err != nil {
			t.Fatalf("round %d, big body: %v", i, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		res, err = c.Get(srv.URL() + "/api/v3/time")
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("serverTime")) {
			t.Fatalf("round %d: GET /api/v3/time after a big body got %d %q", i, res.StatusCode, b)
		}
	}
}
