package gateio_test

import (
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kittest"
)

func TestTheRequestOverGatesLimitGets429(t *testing.T) {
	s := kittest.Start(t, "gate_io_spot", nil, nil)
	base := s.Limited(t, time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC))
	get := kittest.GET("/api/v4/spot/time")
	if status, body := kittest.Hammer(t, base, 200, get); status != 200 {
		t.Fatalf("request 200: %d %s", status, body)
	}
	status, body := kittest.Hammer(t, base, 1, get)
	if status != 429 || !strings.Contains(string(body), `"label":"TOO_MANY_REQUESTS"`) {
		t.Errorf("request 201: %d %s", status, body)
	}
}
