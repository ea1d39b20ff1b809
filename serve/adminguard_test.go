package serve_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// rawAdmin sends one request as a browser or a client would shape it:
// header "Host" sets the Host line, the rest are sent as given.
func rawAdmin(t *testing.T, srv *replay.Server, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// port is the server's port, for Host and Origin lines.
func port(srv *replay.Server) string { return srv.Addr()[strings.LastIndexByte(srv.Addr(), ':')+1:] }

func TestAdminRefusesWhatAWebPageCouldSend(t *testing.T) {
	srv := start(t, replay.Options{})
	own := "127.0.0.1:" + port(srv)
	rebound := "rebind.evil.example:" + port(srv)
	for _, tc := range []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		says                     string
	}{
		{"a cross-site text/plain POST to reset (a CORS simple request) is refused", "POST", "/__admin/reset", `{}`,
			map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}, 403, "Origin"},
		{"a cross-site PUT of conditions is refused", "PUT", "/__admin/conditions", `{"error_rate":1}`,
			map[string]string{"Origin": "http://evil.example", "Content-Type": "application/json"}, 403, "Origin"},
		{"a cross-site body-less POST to disconnect is refused", "POST", "/__admin/disconnect", "",
			map[string]string{"Origin": "https://evil.example"}, 403, "Origin"},
		{"a page on another port of this machine is another origin", "PUT", "/__admin/conditions", `{"error_rate":1}`,
			map[string]string{"Origin": "http://127.0.0.1:3000", "Content-Type": "application/json"}, 403, "Origin"},
		{"an https origin is not the http one", "PUT", "/__admin/conditions", `{"error_rate":1}`,
			map[string]string{"Origin": "https://" + own, "Content-Type": "application/json"}, 403, "Origin"},
		{"a sandboxed page's null origin is refused", "POST", "/__admin/reset", "",
			map[string]string{"Origin": "null"}, 403, "Origin"},
		{"Sec-Fetch-Site cross-site is refused even without Origin", "GET", "/__admin/status", "",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross-site"},
		{"a DNS-rebound name is refused though the browser thinks it same-origin", "PUT", "/__admin/conditions", `{"error_rate":1}`,
			map[string]string{"Host": rebound, "Origin": "http://" + rebound, "Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}, 403, "Host"},
		{"a foreign Host is refused for reads too", "GET", "/__admin/status", "",
			map[string]string{"Host": rebound}, 403, "--admin-allow-host"},
		{"a body that is not JSON is refused without an Origin too", "PUT", "/__admin/conditions", `{"error_rate":1}`,
			map[string]string{"Content-Type": "text/plain"}, 415, "application/json"},
		{"curl -d's form type is refused", "PUT", "/__admin/conditions", `{"error_rate":1}`,
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"a body with no Content-Type is refused", "POST", "/__admin/disconnect", `{"code":4000}`,
			nil, 415, "got none"},
		{"an empty text/plain POST is refused", "POST", "/__admin/reset", "",
			map[string]string{"Content-Type": "text/plain"}, 415, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _ := rawAdmin(t, srv, "GET", "/api/v3/ping", "", nil); code != 200 {
				t.Fatalf("ping: %d", code)
			}
			before := srv.Status()
			code, body := rawAdmin(t, srv, tc.method, tc.path, tc.body, tc.header)
			var msg struct{ Error string }
			if code != tc.status || json.Unmarshal([]byte(body), &msg) != nil || !strings.Contains(msg.Error, tc.says) {
				t.Fatalf("%d %s, want %d with a JSON error naming %q", code, body, tc.status, tc.says)
			}
			if c := srv.Conditions(); c.ErrorRate != 0 {
				t.Errorf("the refused request changed the conditions: %+v", c)
			}
			if after := srv.Status(); after.Requests < before.Requests {
				t.Errorf("the refused request reset the counters: %d then %d", before.Requests, after.Requests)
			}
		})
	}
	t.Run("the exchange API answers any Host", func(t *testing.T) {
		if code, _ := rawAdmin(t, srv, "GET", "/api/v3/ping", "", map[string]string{"Host": rebound, "Origin": "http://evil.example"}); code != 200 {
			t.Errorf("ping under a foreign Host: %d", code)
		}
	})
}

func TestAdminAnswersTheDeveloper(t *testing.T) {
	srv := start(t, replay.Options{Serve: serve.Options{AdminAllowHosts: []string{"Mock.Internal:9999", " exchange-mock "}}})
	own := "127.0.0.1:" + port(srv)
	for _, tc := range []struct {
		name, method, path, body string
		header                   map[string]string
	}{
		{"curl without Origin may POST reset with no body and no Content-Type", "POST", "/__admin/reset", "", nil},
		{"curl with a JSON body", "PUT", "/__admin/conditions", `{"latency":"1ms"}`,
			map[string]string{"Content-Type": "application/json"}},
		{"a media type with parameters", "PUT", "/__admin/conditions", `{"latency":"2ms"}`,
			map[string]string{"Content-Type": "Application/JSON; charset=utf-8"}},
		{"a same-origin page of the server itself", "PUT", "/__admin/conditions", `{"latency":"3ms"}`,
			map[string]string{"Origin": "http://" + own, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}},
		{"a body-less POST with the JSON type", "POST", "/__admin/disconnect", "",
			map[string]string{"Content-Type": "application/json"}},
		{"localhost with any port", "GET", "/__admin/status", "", map[string]string{"Host": "localhost:1"}},
		{"a name under .localhost", "GET", "/__admin/status", "", map[string]string{"Host": "app.Localhost."}},
		{"another loopback address", "GET", "/__admin/status", "", map[string]string{"Host": "127.8.9.10:80"}},
		{"the IPv6 loopback", "GET", "/__admin/status", "", map[string]string{"Host": "[::1]:8080"}},
		{"an allowed name, case and port aside", "GET", "/__admin/status", "", map[string]string{"Host": "mock.internal:8080"}},
		{"an allowed name's own origin", "PUT", "/__admin/conditions", `{"latency":"4ms"}`,
			map[string]string{"Host": "exchange-mock", "Origin": "http://exchange-mock", "Content-Type": "application/json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := rawAdmin(t, srv, tc.method, tc.path, tc.body, tc.header)
			if code != 200 {
				t.Fatalf("%d %s, want 200", code, body)
			}
		})
	}
	if got := srv.Conditions().Latency.String(); got != "4ms" {
		t.Errorf("latency after the accepted PUTs is %s, want 4ms", got)
	}
	if code, body := rawAdmin(t, srv, "GET", "/__admin/status", "", map[string]string{"Host": "other.internal"}); code != 403 {
		t.Errorf("a name not allowed: %d %s, want 403", code, body)
	}
}

func TestAdminBearerSchemeIsCaseInsensitive(t *testing.T) {
	srv := start(t, replay.Options{Serve: serve.Options{AdminToken: "s3cret"}})
	for auth, want := range map[string]int{
		"Bearer s3cret":  200,
		"bearer s3cret":  200,
		"BEARER s3cret":  200,
		"Bearer  s3cret": 200,
		"Basic s3cret":   401,
		"Bearer s3cre":   401,
		"Bearer s3cret2": 401,
		"s3cret":         401,
		"Bearer":         401,
		"":               401,
	} {
		code, body := rawAdmin(t, srv, "GET", "/__admin/status", "", map[string]string{"Authorization": auth})
		if code != want {
			t.Errorf("Authorization %q: %d %s, want %d", auth, code, body, want)
		}
	}
	if code, _ := rawAdmin(t, srv, "GET", "/__admin/status", "", map[string]string{"Authorization": "Bearer s3cret", "Origin": "http://evil.example"}); code != 403 {
		t.Errorf("the token does not make a cross-site request acceptable: %d", code)
	}
}
