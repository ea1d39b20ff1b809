package plugins_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestMain fails the package if a test leaves a goroutine behind: every
// server, WS session, subscription and feed must end with its test.
func TestMain(m *testing.M) { replaytest.Main(m) }
