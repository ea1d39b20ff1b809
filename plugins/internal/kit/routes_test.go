package kit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func say(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, s+" "+r.PathValue("id")) }
}

func TestTableDispatchesAndListsTheSameRoutes(t *testing.T) {
	table := kit.Table{
		{Pattern: "/api/time", Handler: say("time")},
		{Pattern: "GET /api/products/{id}", Probes: []string{"/api/products/BTC-USD"}, Handler: say("product")},
		{Pattern: "POST /api/token", Handler: say("token")},
		{Pattern: "/ws", WS: true, Probes: []string{"/ws", "/ws?token=x"}, Handler: say("ws")},
		{Pattern: "/{$}", WS: true, Handler: say("root")},
	}
	rest, ws := table.Routes()
	if want := []string{"/api/time", "/api/products/BTC-USD", "POST /api/token"}; !slices.Equal(rest, want) {
		t.Errorf("rest = %q, want %q", rest, want)
	}
	if want := []string{"/ws", "/ws?token=x", "/"}; !slices.Equal(ws, want) {
		t.Errorf("ws = %q, want %q", ws, want)
	}
	mux := table.Mux(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusNotFound) })
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/api/time", "time "},
		{"GET", "/api/products/ETH-USD", "product ETH-USD"},
		{"POST", "/api/token", "token "},
		{"GET", "/ws?token=x", "ws "},
		{"GET", "/", "root "},
		{"GET", "/api/unknown", "nope\n"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if got := rec.Body.String(); got != tc.want {
			t.Errorf("%s %s answered %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestTableRefusesAWildcardWithoutProbes(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "/api/products/{id}") {
			t.Fatalf("recover() = %v, want a panic naming the pattern", v)
		}
	}()
	kit.Table{{Pattern: "/api/products/{id}", Handler: say("product")}}.Routes()
}
