package hyperliquid

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// weight2 are the info requests Hyperliquid weighs 2; other documented
// info requests weigh 20.
var weight2 = map[string]bool{
	"l2Book": true, "allMids": true, "clearinghouseState": true, "orderStatus": true,
	"spotClearinghouseState": true, "exchangeStatus": true,
}

// infoWeight reads the request type from the body (and puts the body
// back). candleSnapshot adds 1 per 60 candles the range can hold.
func infoWeight(r *http.Request) int {
	if r.URL.Path != "/info" || r.Body == nil {
		return 20
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return 20
	}
	var req snapshotReq
	if json.Unmarshal(b, &req) != nil {
		return 20
	}
	switch {
	case weight2[req.Type]:
		return 2
	case req.Type == "userRole":
		return 60
	case req.Type == "candleSnapshot" && req.Req != nil:
		if iv, ok := intervals.Parse(req.Req.Interval); ok && req.Req.EndTime > req.Req.StartTime {
			n := min(int64(maxCandles), (req.Req.EndTime-req.Req.StartTime)/iv.Millis()+1)
			return 20 + int(n/60)
		}
	}
	return 20
}

// RateLimits implements plugins.Plugin: REST requests share 1200
// weight per minute per IP (exchangeStatus and allMids weigh 2, other
// info requests 20, candleSnapshot 1 more per 60 candles); over it HTTP
// 429. On WS: 100 connections per IP, 2000 messages a minute, 1000
// subscriptions.
func (a *api) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST:   []ratelimit.Window{{Name: "weight", Limit: 1200, Period: time.Minute}},
		Weight: infoWeight,
		Refuse: kit.RefuseJSON("null"),
		WS: ratelimit.WSModel{
			MessageRate: 2000.0 / 60, Burst: 100, MaxStreams: 1000, ConnsPerIP: 100,
			CloseCode: 1008, CloseReason: "rate limited",
		},
	}
}
