package wiretest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/wiretest"
)

func TestShapeKeepsKeyOrderAndKinds(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"scalars", `{"a":"x","b":1,"c":true,"d":null}`, `{a:string,b:number,c:bool,d:null}`},
		{"lists of rows by the first row", `[[1,"2"],[3]]`, `[[number,string]]`},
		{"scalar tuples keep every column", `["1","2",3]`, `[string,string,number]`},
		{"empty array", `{"x":[]}`, `{x:[]}`},
		{"key order matters", `{"b":1,"a":1}`, `{b:number,a:number}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := wiretest.Shape([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("Shape(%s) = %s, want %s", c.in, got, c.want)
			}
		})
	}
	if got, _ := wiretest.UnorderedShape([]byte(`{"b":1,"a":{"d":"x","c":null}}`)); got != `{a:{c:null,d:string},b:number}` {
		t.Fatalf("UnorderedShape = %s", got)
	}
	if _, err := wiretest.Shape([]byte(`{"a":1} x`)); err == nil {
		t.Fatal("trailing data accepted")
	}
}

func TestShapesMatchReportsEachDifferingPayload(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"a":2,"b":"y"}`) })
	mux.HandleFunc("/reordered", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"b":"y","a":2}`) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	golden := filepath.Join(t.TempDir(), "golden.json")
	if err := os.WriteFile(golden, []byte(`{"a":1,"b":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		check  func(testing.TB, string, map[string]string)
		path   string
		failed bool
	}{
		{"the same shape passes", wiretest.ShapesMatch, "/same", false},
		{"another key order fails ShapesMatch", wiretest.ShapesMatch, "/reordered", true},
		{"another key order passes FieldsMatch", wiretest.FieldsMatch, "/reordered", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingT{TB: t}
			tc.check(rec, ts.URL, map[string]string{golden: tc.path})
			if rec.failed != tc.failed {
				t.Errorf("failed = %v, want %v", rec.failed, tc.failed)
			}
		})
	}
	var v struct{ A int }
	if body := wiretest.GetJSON(t, ts.URL, "/same", &v); v.A != 2 || len(body) == 0 {
		t.Errorf("GetJSON decoded %+v from %s", v, body)
	}
	if c := wiretest.StillClock(time.Unix(100, 0)); c.Now().Unix() != 100 {
		t.Errorf("still clock reads %v", c.Now())
	}
}

// recordingT notes Error calls instead of failing the test.
type recordingT struct {
	testing.TB
	failed bool
}

func (r *recordingT) Error(args ...any) { r.failed = true }

func TestExhaustSendsNThenOneMore(t *testing.T) {
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if calls.Add(1) > 3 {
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, "slow down")
			return
		}
		io.WriteString(w, "ok")
	}))
	defer ts.Close()
	st, body := wiretest.Exhaust(t, http.MethodPost, ts.URL, 3, nil)
	if st != http.StatusTooManyRequests || string(body) != "slow down" || calls.Load() != 4 {
		t.Errorf("after 3: %d %s, %d calls", st, body, calls.Load())
	}
	var seen []string
	wiretest.Exhaust(t, http.MethodPost, ts.URL, 0, func(int, []byte) bool { seen = append(seen, "x"); return true })
	if len(seen) != 0 || calls.Load() != 5 {
		t.Errorf("n = 0 checked %d answers and made %d calls in all", len(seen), calls.Load())
	}
}
