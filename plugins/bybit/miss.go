package bybit

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/candlecassette/candlecassette/plugins"
)

var _ plugins.MissReplier = (*Exchange)(nil)

// MissReply is Bybit's v5 envelope with retCode 10016 (internal server
// error) and msg as retMsg, which clients surface as the error's message.
func (e *Exchange) MissReply(msg string) plugins.Response {
	body, _ := json.Marshal(struct {
		RetCode    int      `json:"retCode"`
		RetMsg     string   `json:"retMsg"`
		Result     struct{} `json:"result"`
		RetExtInfo struct{} `json:"retExtInfo"`
		Time       int64    `json:"time"`
	}{RetCode: 10016, RetMsg: msg, Time: time.Now().UnixMilli()})
	return plugins.Response{Status: http.StatusInternalServerError, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: body}
}
