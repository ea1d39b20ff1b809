package record_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine the proxy starts (relay pumps, the recorder, the
// cassette writer) must be gone once the tests' servers are closed; idle
// keep-alive connections of the test clients are not the proxy's.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}
