package ratelimit_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// FuzzLimits: any admin /__admin/limits JSON is refused by Validate or
// gives limits a Limiter enforces on REST and WS without a panic.
func FuzzLimits(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"rest_limit":1200,"rest_period":"1m","ws_limit":5,"ws_burst":10,"ws_conns_per_ip":50}`,
		`{"rest_limit":1,"rest_period":"1ns"}`, `{"rest_limit":1,"rest_period":"0s"}`, `{"rest_limit":-1}`,
		`{"ws_limit":1e308,"ws_burst":0}`, `{"ws_limit":0.000001,"ws_burst":1}`, `{"ws_conn_attempts":1,"ws_conn_period":"1h"}`,
		`{"ws_streams":1}`, `{"disabled":true}`, `{"rest_weighted":true,"rest_limit":2,"rest_period":"1s"}`,
		`{"rest_period":"9223372036854775807ns","rest_limit":9223372036854775807}`,
	} {
		f.Add([]byte(s))
	}
	model := testModel()
	f.Fuzz(func(t *testing.T, b []byte) {
		var lim ratelimit.Limits
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if dec.Decode(&lim) != nil || lim.Validate() != nil {
			return
		}
		l := ratelimit.New(model, ratelimit.Options{Limits: &lim})
		h := l.Middleware(ok)
		for _, path := range []string{"/", "/heavy", "/heavy"} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			h.ServeHTTP(httptest.NewRecorder(), r)
			if conn, ok := l.WSConn(httptest.NewRecorder(), r); ok {
				conn.AllowMessage()
				conn.MaxStreams()
				conn.Close()
			}
		}
		if err := l.SetLimits(lim); err != nil {
			t.Fatalf("SetLimits refuses valid limits %+v: %v", lim, err)
		}
		_ = l.Stats()
	})
}
