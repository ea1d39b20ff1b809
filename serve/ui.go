package serve

import (
	"net/http"
	"strings"

	"github.com/candlecassette/candlecassette/serve/ui"
)

// uiPage serves the dashboard (package ui) at /__admin/ui on direct
// requests. The page and its scripts pass the admin guard's checks of
// Host, Origin and Sec-Fetch-Site but not the token: they hold no data,
// and the page asks for the token before its first read of the admin API,
// which keeps requiring it.
func (p adminPolicy) uiPage() http.Handler {
	h := ui.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := p.foreign(r); msg != "" {
			writeError(w, http.StatusForbidden, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// isUIPath says whether path is the dashboard's.
func isUIPath(path string) bool {
	return path == ui.Prefix || strings.HasPrefix(path, ui.Prefix+"/")
}
