package drift_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestMain(m *testing.M) { replaytest.Main(m) }
