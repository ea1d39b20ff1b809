package main

import (
	"testing"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestMain fails the package if a command run in process leaves a
// goroutine behind once it returned.
func TestMain(m *testing.M) { replaytest.Main(m) }
