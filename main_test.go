package candlecassette_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind (a feed
// whose subscriber went away, say).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
