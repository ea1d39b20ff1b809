package gateio_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestTheRequestOverGatesLimitGets429(t *testing.T) {
	s := replaytest.Start(t, "gate_io_spot", nil, nil)
	base := s.Limited(t, time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC))
	status, body := replaytest.Exhaust(t, 200, replaytest.Req(http.MethodGet, base+"/api/v4/spot/time", ""), nil)
	if status != 429 || !strings.Contains(string(body), `"label":"TOO_MANY_REQUESTS"`) {
		t.Errorf("request 201: %d %s", status, body)
	}
}
