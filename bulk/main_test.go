package bulk_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestMain fails the package if a test leaves a goroutine behind (a
// cassette writer not closed, a replay server or client connection).
func TestMain(m *testing.M) { replaytest.Main(m) }
