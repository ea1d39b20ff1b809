package binance_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestMain fails the package if a test leaves a goroutine behind: every
// WS session, feed and pump must end with its connection.
func TestMain(m *testing.M) { replaytest.Main(m) }
