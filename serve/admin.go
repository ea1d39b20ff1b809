package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/candlecassette/candlecassette/plugins"
)

// maxAdminBody caps an admin request body.
const maxAdminBody = 1 << 20

// AdminHandler serves the admin API under /__admin/:
//
//	GET|PUT /__admin/conditions   network conditions, routes and schedules
//	GET|PUT /__admin/limits       rate limits
//	POST    /__admin/reset        counters and bans back to zero
//	POST    /__admin/disconnect   close every WS connection (optional {"code":1006})
//	GET     /__admin/status       connections, subscriptions, counters
//	GET     /__admin/connections  each live WS connection: path, client, streams, messages
//	GET     /__admin/requests     the last RequestLogSize requests (?since=RFC3339Nano)
//	GET     /__admin/health       {"status":"ok"}, without the token (liveness checks)
//	GET     /__admin/market, candles, coverage, limits/usage (market.go)
//	GET     /__admin/ui           the dashboard (ui.go; the page needs no token, its data does)
//
// A PUT replaces only the fields it names. Bad input gets HTTP 400 with a
// JSON {"error": "..."}; with an admin token, a request without it gets
// 401. A request a web page could have sent — a foreign Origin or Host,
// Sec-Fetch-Site: cross-site — gets 403, and a mutating call with a body
// that is not Content-Type: application/json gets 415 (adminguard.go).
func (st *Stack) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__admin/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, st.Status())
	})
	mux.HandleFunc("GET /__admin/connections", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]Connection{"connections": st.Connections()})
	})
	mux.HandleFunc("GET /__admin/conditions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, st.Conditions())
	})
	mux.HandleFunc("PUT /__admin/conditions", func(w http.ResponseWriter, r *http.Request) {
		b, ok := readBody(w, r)
		if !ok {
			return
		}
		if err := st.PatchConditions(b); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, st.Conditions())
	})
	mux.HandleFunc("GET /__admin/limits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, st.Limits())
	})
	mux.HandleFunc("PUT /__admin/limits", func(w http.ResponseWriter, r *http.Request) {
		b, ok := readBody(w, r)
		if !ok {
			return
		}
		l := st.Limits()
		if err := decodeStrict(b, &l); err != nil {
			writeError(w, http.StatusBadRequest, "limits: "+err.Error())
			return
		}
		if err := st.SetLimits(l); err != nil {
			writeError(w, http.StatusBadRequest, "limits: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, st.Limits())
	})
	mux.HandleFunc("POST /__admin/reset", func(w http.ResponseWriter, r *http.Request) {
		st.ResetCounters()
		writeJSON(w, http.StatusOK, st.Status())
	})
	mux.HandleFunc("POST /__admin/disconnect", func(w http.ResponseWriter, r *http.Request) {
		b, ok := readBody(w, r)
		if !ok {
			return
		}
		var req struct {
			Code int `json:"code"`
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if err := decodeStrict(b, &req); err != nil {
				writeError(w, http.StatusBadRequest, "disconnect: "+err.Error())
				return
			}
		}
		if req.Code != 0 && (req.Code < 1000 || req.Code > 4999) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("disconnect: code %d is not a WS close code", req.Code))
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"closed": st.DisconnectAll(req.Code)})
	})
	st.registerMarket(mux) // market.go: market, candles, coverage, limits/usage
	mux.HandleFunc("GET /__admin/requests", func(w http.ResponseWriter, r *http.Request) {
		since, ok := sinceParam(w, r)
		if !ok {
			return
		}
		writeRequests(w, st.Requests(since))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "unknown admin endpoint "+r.Method+" "+r.URL.Path)
	})
	return st.admin.withHealth(st.admin.wrap(mux))
}

// health answers liveness checks: cheap, and without the admin token.
var health = []byte(`{"status":"ok"}` + "\n")

// withHealth serves GET /__admin/health behind the Origin and Host checks
// only (a container's HEALTHCHECK has no token), and the rest with h.
func (p adminPolicy) withHealth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/__admin/health" {
			h.ServeHTTP(w, r)
			return
		}
		if msg := p.foreign(r); msg != "" {
			writeError(w, http.StatusForbidden, msg)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "health: GET only")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(health)
	})
}

// sinceParam reads ?since=RFC3339Nano (zero when absent).
func sinceParam(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("since")
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		writeError(w, http.StatusBadRequest, "requests: since: want an RFC 3339 time such as 2026-01-02T15:04:05.999Z: "+err.Error())
		return time.Time{}, false
	}
	return t, true
}

// requestJSON is a RequestRecord as GET /__admin/requests gives it.
type requestJSON struct {
	Time       string  `json:"time"`
	Exchange   string  `json:"exchange"`
	Method     string  `json:"method"`
	Path       string  `json:"path"`
	Query      string  `json:"query"`
	Route      string  `json:"route"`
	Status     int     `json:"status"`
	Source     Source  `json:"source"`
	Fault      string  `json:"fault"`
	DurationMS float64 `json:"duration_ms"`
	Client     string  `json:"client"`
}

func writeRequests(w http.ResponseWriter, recs []RequestRecord) {
	out := make([]requestJSON, len(recs))
	for i, r := range recs {
		out[i] = requestJSON{Time: r.Time.UTC().Format(time.RFC3339Nano), Exchange: r.Exchange, Method: r.Method, Path: r.Path,
			Query: r.Query, Route: r.Route, Status: r.Status, Source: r.Source, Fault: r.Fault,
			DurationMS: float64(r.Duration.Microseconds()) / 1000, Client: r.Client}
	}
	writeJSON(w, http.StatusOK, map[string][]requestJSON{"requests": out})
}

// Connection is a live WS connection of an exchange, as GET
// /__admin/connections lists it.
type Connection struct {
	Exchange string `json:"exchange"`
	plugins.ConnInfo
}

// Connections describes the exchange's live WS connections, oldest first
// (see plugins.Hub.Connections).
func (st *Stack) Connections() []Connection {
	cs := st.hub.Connections()
	out := make([]Connection, len(cs))
	for i, c := range cs {
		out[i] = Connection{Exchange: st.plugin.Name(), ConnInfo: c}
	}
	return out
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return nil, false
	}
	return b, true
}

// decodeStrict decodes one JSON object onto v, refusing unknown fields.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body: want a JSON object")
		}
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": strings.TrimPrefix(msg, "netsim: ")})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
