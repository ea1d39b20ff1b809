package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "unknown admin endpoint "+r.Method+" "+r.URL.Path)
	})
	return st.admin.wrap(mux)
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
