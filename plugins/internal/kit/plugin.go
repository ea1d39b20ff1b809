package kit

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// ServerError is an HTTP 500 carrying body as application/json, for
// plugins.Plugin.ServerError.
func ServerError(body string) plugins.Response {
	return plugins.Response{
		Status: http.StatusInternalServerError,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   []byte(body),
	}
}

// NumParams returns a reader of q's optional integer parameters. For a
// name it gives the value and whether the parameter is there (an empty
// value counts as absent). A value that is not a base-10 int64, or is
// below min, is reported to bad (which writes the exchange's error) and
// gives ok false.
func NumParams(q url.Values, min int64, bad func(name, value string)) func(name string) (n int64, present, ok bool) {
	return func(name string) (int64, bool, bool) {
		v := q.Get(name)
		if v == "" {
			return 0, false, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min {
			bad(name, v)
			return 0, false, false
		}
		return n, true, true
	}
}

// RefuseJSON is a ratelimit.Model.Refuse that answers every refusal with
// the limiter's status and body as application/json.
func RefuseJSON(body string) func(ratelimit.Refusal) ratelimit.Response {
	return func(f ratelimit.Refusal) ratelimit.Response {
		return ratelimit.Response{
			Status: f.Status,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   []byte(body),
		}
	}
}
