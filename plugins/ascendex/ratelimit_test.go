package ascendex_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestTheRequestOverAscendEXsPoolGets429(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	base := s.Limited(t, time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC))
	status, body := replaytest.Exhaust(t, 100, replaytest.Req(http.MethodGet, base+"/api/pro/v1/barhist/info", ""), nil)
	if status != 429 || !strings.Contains(string(body), `"reason":"TOO_MANY_REQUESTS"`) {
		t.Errorf("request 101: %d %s", status, body)
	}
}
