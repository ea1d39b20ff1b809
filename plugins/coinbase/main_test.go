package coinbase_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/internal/cctest"
)

func TestMain(m *testing.M) { cctest.Main(m) }
