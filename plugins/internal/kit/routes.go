package kit

import (
	"fmt"
	"net/http"
	"strings"
)

// Route is one entry of a plugin's route table: how a request reaches its
// handler and how Plugin.Routes lists it.
type Route struct {
	// Pattern is the http.ServeMux pattern, "[METHOD ]/path" with {name}
	// wildcards and an optional trailing {$}.
	Pattern string
	// WS marks a WebSocket path: listed among the WS paths, not REST.
	WS bool
	// Probes are what Plugin.Routes lists for this route, written as it
	// writes them ("/path", "POST /path", a WS path with a query). Empty
	// means the pattern itself; a pattern with a {name} wildcard needs
	// them (a sample value per wildcard).
	Probes []string
	// Handler serves the route.
	Handler http.HandlerFunc
}

// Table is a plugin's route table: Mux dispatches by it and Routes lists
// it, so what is served and what the robustness suite reaches cannot
// drift apart. Build it from a function of the plugin's server value so
// that Routes can build it without an Env (handlers are then never
// called).
type Table []Route

// Mux returns a ServeMux serving every route of t, with notFound (the
// exchange's own 404) for every other path unless t routes "/" itself.
func (t Table) Mux(notFound http.HandlerFunc) *http.ServeMux {
	mux := http.NewServeMux()
	root := false
	for _, r := range t {
		mux.HandleFunc(r.Pattern, r.Handler)
		root = root || r.Pattern == "/"
	}
	if !root && notFound != nil {
		mux.HandleFunc("/", notFound)
	}
	return mux
}

// Routes lists t as plugins.Plugin.Routes wants it: each route's probes,
// or its pattern with the method dropped for GET and {$} removed. It
// panics on a wildcard pattern without probes, which Register then
// reports for the plugin being registered.
func (t Table) Routes() (rest, ws []string) {
	for _, r := range t {
		list := r.Probes
		if len(list) == 0 {
			list = []string{listed(r.Pattern)}
		}
		if r.WS {
			ws = append(ws, list...)
		} else {
			rest = append(rest, list...)
		}
	}
	return rest, ws
}

// listed spells a pattern without wildcards as Plugin.Routes does.
func listed(pattern string) string {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = "", pattern
	}
	path = strings.TrimSuffix(path, "{$}")
	if strings.Contains(path, "{") {
		panic(fmt.Sprintf("kit: route %q has a wildcard and no Probes", pattern))
	}
	if method == "" || method == http.MethodGet {
		return path
	}
	return method + " " + path
}
