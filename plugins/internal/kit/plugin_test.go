package kit_test

import (
	"math"
	"net/http"
	"net/url"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/ratelimit"
)

func TestServerErrorIsA500WithAJSONBody(t *testing.T) {
	r := kit.ServerError(`{"code":1}`)
	if r.Status != http.StatusInternalServerError || r.Header.Get("Content-Type") != "application/json" || string(r.Body) != `{"code":1}` {
		t.Errorf("%+v", r)
	}
}

func TestNumParams(t *testing.T) {
	q := url.Values{"a": {"12"}, "neg": {"-3"}, "x": {"1e3"}, "empty": {""}}
	for _, tc := range []struct {
		name         string
		param        string
		min          int64
		n            int64
		present, ok  bool
		reportedName string
	}{
		{"a number is read", "a", 0, 12, true, true, ""},
		{"an absent parameter is not there and fine", "b", 0, 0, false, true, ""},
		{"an empty value counts as absent", "empty", 0, 0, false, true, ""},
		{"a value below min is reported", "neg", 0, 0, false, false, "neg=-3"},
		{"a negative value passes with no lower bound", "neg", math.MinInt64, -3, true, true, ""},
		{"a malformed value is reported", "x", math.MinInt64, 0, false, false, "x=1e3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reported string
			num := kit.NumParams(q, tc.min, func(name, value string) { reported = name + "=" + value })
			n, present, ok := num(tc.param)
			if n != tc.n || present != tc.present || ok != tc.ok || reported != tc.reportedName {
				t.Errorf("got %d %v %v, reported %q", n, present, ok, reported)
			}
		})
	}
}

func TestRefuseJSONKeepsTheLimitersStatus(t *testing.T) {
	refuse := kit.RefuseJSON(`{"code":429}`)
	for _, status := range []int{http.StatusTooManyRequests, http.StatusTeapot} {
		r := refuse(ratelimit.Refusal{Status: status})
		if r.Status != status || r.Header.Get("Content-Type") != "application/json" || string(r.Body) != `{"code":429}` {
			t.Errorf("%d: %+v", status, r)
		}
	}
}
