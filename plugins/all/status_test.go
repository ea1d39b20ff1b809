package all_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestSystemStatus: every id whose ccxt class has fetchStatus answers the
// endpoint it calls, in the shape ccxt reads as "ok".
func TestSystemStatus(t *testing.T) {
	for _, tc := range []struct {
		id, method, path, body string
		ok                     func(map[string]any) bool
	}{
		{"binance_spot", "GET", "/sapi/v1/system/status", "", func(m map[string]any) bool { return m["status"] == 0.0 && m["msg"] == "normal" }},
		{"binance_perpetual", "GET", "/sapi/v1/system/status", "", func(m map[string]any) bool { return m["status"] == 0.0 }},
		{"okx_spot", "GET", "/api/v5/system/status", "", func(m map[string]any) bool {
			d, ok := m["data"].([]any)
			return m["code"] == "0" && ok && len(d) == 0
		}},
		{"okx_perpetual", "GET", "/api/v5/system/status", "", func(m map[string]any) bool { return m["code"] == "0" }},
		{"bybit_spot", "GET", "/v5/system/status", "", func(m map[string]any) bool {
			r, _ := m["result"].(map[string]any)
			l, ok := r["list"].([]any)
			return m["retCode"] == 0.0 && ok && len(l) == 0
		}},
		{"bybit_perpetual", "GET", "/v5/system/status", "", func(m map[string]any) bool { return m["retCode"] == 0.0 }},
		{"kraken_spot", "GET", "/0/public/SystemStatus", "", func(m map[string]any) bool {
			r, _ := m["result"].(map[string]any)
			return r["status"] == "online"
		}},
		{"kucoin_spot", "GET", "/api/v1/status", "", func(m map[string]any) bool {
			d, _ := m["data"].(map[string]any)
			return d["status"] == "open"
		}},
		{"kucoin_perpetual", "GET", "/api/v1/status", "", func(m map[string]any) bool {
			d, _ := m["data"].(map[string]any)
			return d["status"] == "open"
		}},
		{"mexc_spot", "GET", "/api/v3/ping", "", func(m map[string]any) bool { return len(m) == 0 }},
		{"mexc_perpetual", "GET", "/api/v1/contract/ping", "", func(m map[string]any) bool { return m["success"] == true }},
		{"hyperliquid_perpetual", "POST", "/info", `{"type":"exchangeStatus"}`, func(m map[string]any) bool {
			return m["specialStatuses"] == nil && m["time"].(float64) > 0
		}},
		{"hyperliquid_spot", "POST", "/info", `{"type":"exchangeStatus"}`, func(m map[string]any) bool { return m["specialStatuses"] == nil }},
	} {
		t.Run(tc.id, func(t *testing.T) {
			srv := replaytest.Start(t, tc.id, nil, nil)
			req, _ := http.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			status, body := srv.Do(t, req)
			var m map[string]any
			if status != 200 || json.Unmarshal(body, &m) != nil || !tc.ok(m) {
				t.Errorf("%s %s: %d %s", tc.method, tc.path, status, body)
			}
		})
	}
}
