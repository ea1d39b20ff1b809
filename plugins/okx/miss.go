package okx

import (
	"encoding/json"
	"net/http"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.MissReplier = (*Exchange)(nil)

// MissReply is OKX's error envelope with code 50026 ("System error. Try
// again later") and msg, which clients surface as the error's message.
func (e *Exchange) MissReply(msg string) plugins.Response {
	body, _ := json.Marshal(struct {
		Code string   `json:"code"`
		Msg  string   `json:"msg"`
		Data []string `json:"data"`
	}{"50026", msg, []string{}})
	return plugins.Response{Status: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}
