package kucoin_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/wiretest"
)

func TestMain(m *testing.M) { wiretest.Main(m) }
