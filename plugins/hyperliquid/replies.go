package hyperliquid

import "net/http"

// DocumentedReply reports whether status and body are how Hyperliquid
// itself answers bad input (plugins.DocumentedReplies): a 500 with a
// JSON null for an unknown coin, and bare statuses without a body for a
// wrong method or an unreadable request.
func (a *api) DocumentedReply(status int, body []byte) bool {
	switch {
	case status == http.StatusInternalServerError:
		return string(body) == "null"
	case status == http.StatusMethodNotAllowed || status == http.StatusBadRequest:
		return len(body) == 0
	}
	return false
}
