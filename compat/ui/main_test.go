package ui_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/compat/compattest"
)

func TestMain(m *testing.M) { compattest.Main(m) }
