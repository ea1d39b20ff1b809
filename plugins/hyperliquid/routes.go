package hyperliquid

import "net/http"

// Routes lists the REST routes and WS paths served, for the robustness
// suite (plugintest.RouteLister).
func (a *api) Routes() (rest, ws []string) {
	return []string{"POST /info"}, []string{"/ws"}
}

// DocumentedReply reports whether status and body are how Hyperliquid
// itself answers bad input (plugintest.DocumentedReplies): a 500 with a
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
