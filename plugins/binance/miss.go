package binance

import (
	"encoding/json"
	"net/http"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.MissReplier = (*Plugin)(nil)

// MissReply is Binance's error envelope with code -1000 (UNKNOWN: "An
// unknown error occurred while processing the request") and msg, which
// clients surface as the API error's message.
func (p *Plugin) MissReply(msg string) plugins.Response {
	body, _ := json.Marshal(struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}{-1000, msg})
	return plugins.Response{Status: http.StatusInternalServerError, Header: http.Header{"Content-Type": {contentType}}, Body: body}
}
