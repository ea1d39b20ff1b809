package plugins_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
)

func TestWSBaseFollowsTheSchemeTheClientBelievesIn(t *testing.T) {
	direct := httptest.NewRequest("POST", "/api/v1/bullet-public", nil)
	direct.Host = "api.kucoin.com"
	overTLS := direct.Clone(direct.Context())
	overTLS.TLS = &tls.ConnectionState{}
	absolute := httptest.NewRequest("POST", "https://api.kucoin.com/api/v1/bullet-public", nil)
	marked := direct.WithContext(plugins.WithClientTLS(direct.Context()))
	for _, tc := range []struct {
		name string
		r    *http.Request
		want string
	}{
		{"a direct plain request", direct, "ws://api.kucoin.com"},
		{"a request over TLS", overTLS, "wss://api.kucoin.com"},
		{"an absolute-form https target sent in clear", absolute, "wss://api.kucoin.com"},
		{"an origin-form request the front marked as the client's TLS", marked, "wss://api.kucoin.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := plugins.WSBase(tc.r); got != tc.want {
				t.Errorf("WSBase = %q, want %q", got, tc.want)
			}
			if got, want := plugins.ClientTLS(tc.r), tc.want[:3] == "wss"; got != want {
				t.Errorf("ClientTLS = %v, want %v", got, want)
			}
		})
	}
}
