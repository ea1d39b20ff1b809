package ascendex

import (
	"net"
	"net/http"
)

// riskLimitInfo serves GET /api/pro/v1/risk-limit-info, which Hummingbot's
// AscendEX connector reads: the caller's IP and the WebSocket request
// limits it is under (45 requests per 5-minute window, 30 sessions per
// IP), never banned here.
func (s *server) riskLimitInfo(w http.ResponseWriter, r *http.Request) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	type webSocket struct {
		WindowSizeInMinutes int    `json:"windowSizeInMinutes"`
		MaxNumRequests      int    `json:"maxNumRequests"`
		MaxSessionPerIP     int    `json:"maxSessionPerIp"`
		IsBanned            bool   `json:"isBanned"`
		BannedUntil         int64  `json:"bannedUntil"`
		ViolationCode       int    `json:"violationCode"`
		Reason              string `json:"reason"`
	}
	ok(w, struct {
		IP        string    `json:"ip"`
		WebSocket webSocket `json:"webSocket"`
	}{ip, webSocket{WindowSizeInMinutes: 5, MaxNumRequests: 45, MaxSessionPerIP: 30, BannedUntil: -1}})
}
