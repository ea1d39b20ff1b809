package netsim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
)

// FuzzParseConfig: any admin or --scenario JSON is refused with an error or
// gives a config that a Sim accepts and runs (REST, WS, patches) without a
// panic.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"latency":"100ms","jitter":"10ms","loss":0.05,"loss_mode":"drop","error_rate":0.1}`,
		`{"latency":"1h","jitter":"2h","loss":1,"loss_mode":"hang"}`, `{"loss":1.5}`, `{"loss":-0.1}`, `{"latency":"-5s"}`,
		`{"latency":"1e400s"}`, `{"latency":"9223372036854775807ns","jitter":"9223372036854775807ns"}`, `{"bandwidth":-1}`,
		`{"routes":[{"prefix":"/api","latency":"5ms","loss":0.5}]}`, `{"routes":null}`, `{"routes":[{}]}`,
		`{"disconnects":[{"at":"1s","every":"0s","code":1006}]}`, `{"disconnects":[{"every":"1ns"}]}`,
		`{"outages":[{"at":"2026-01-01T00:00:00Z","for":"1s","every":"1s"}]}`, `{"slowdowns":[{"at":"0s","for":"1h","latency":"1s"}]}`,
		`{"unknown":1}`, `[]`, `null`, `{"latency":1}`, `{"latency":"100ms"} {"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := netsim.ParseConfig(b)
		if err != nil {
			var base netsim.Config
			if netsim.Patch(&base, b) == nil {
				t.Fatalf("Patch accepts %q that ParseConfig refuses: %v", b, err)
			}
			return
		}
		s, err := netsim.New(netsim.Options{Seed: 1, Config: c})
		if err != nil {
			t.Fatalf("ParseConfig accepted %q but New refuses it: %v", b, err)
		}
		defer s.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a lost or slow request ends at once instead of hanging the fuzzer
		h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
		serve := func(path string) {
			// A dropped request aborts the handler, as net/http expects.
			defer func() {
				if v := recover(); v != nil && v != http.ErrAbortHandler {
					panic(v)
				}
			}()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx))
		}
		for _, path := range []string{"/", "/api/v3/klines", "/ws"} {
			serve(path)
			l := s.Link(path)
			l.Schedule(0, time.Now())
			l.Schedule(1<<20, time.Now())
		}
		if err := s.SetConfig(c); err != nil {
			t.Fatalf("SetConfig refuses a parsed config: %v", err)
		}
		_ = s.Stats()
	})
}
