package record_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// Every goroutine the proxy starts (relay pumps, the recorder, the
// cassette writer, its upstream transport's connections) must be gone once
// the tests' servers are closed; idle keep-alive connections of the
// shared test client are closed first, as they are not the proxy's.
func TestMain(m *testing.M) { replaytest.Main(m) }
