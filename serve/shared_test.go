package serve_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

func lookup(t *testing.T, id string) plugins.Plugin {
	t.Helper()
	p, err := plugins.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOnlySiblingsMayShareAHost(t *testing.T) {
	_, err := serve.NewMulti(serve.Options{},
		serve.Exchange{Plugin: lookup(t, "okx_spot"), Hosts: []string{"www.okx.com"}},
		serve.Exchange{Plugin: lookup(t, "bybit_spot"), Hosts: []string{"api.bybit.com", "www.okx.com"}})
	if !errors.Is(err, serve.ErrHostTaken) || !strings.Contains(err.Error(), "okx_spot shares its hosts only with") {
		t.Fatalf("two families on one host: got %v, want ErrHostTaken saying whom okx_spot shares with", err)
	}
	srv, err := serve.NewMulti(serve.Options{},
		serve.Exchange{Plugin: lookup(t, "okx_perpetual"), Hosts: []string{"www.okx.com", "ws.okx.com"}},
		serve.Exchange{Plugin: lookup(t, "binance_spot"), Hosts: []string{"api.binance.com"}},
		serve.Exchange{Plugin: lookup(t, "okx_spot"), Hosts: []string{"www.okx.com", "ws.okx.com"}})
	if err != nil {
		t.Fatalf("siblings sharing their hosts: %v", err)
	}
	defer srv.Close(context.Background())
	if got := srv.SharedWith("okx_perpetual"); !slices.Equal(got, []string{"okx_spot"}) {
		t.Errorf("SharedWith(okx_perpetual) = %v, want the sibling after it", got)
	}
	if got := srv.SharedWith("okx_spot"); got != nil {
		t.Errorf("SharedWith(okx_spot) = %v: it leads no host", got)
	}
	if got := srv.Exchange("okx_spot").Hosts(); !slices.Equal(got, []string{"www.okx.com", "ws.okx.com"}) {
		t.Errorf("okx_spot's hosts %v", got)
	}
}

// On a shared host each request reaches the Stack of the sibling it is
// for, by the lead's Owner; a request for all of them the lead's shared
// handler, or its own without one.
func TestASharedHostRoutesEachRequestToItsSibling(t *testing.T) {
	for _, withShared := range []bool{true, false} {
		srv, err := serve.NewMulti(serve.Options{},
			serve.Exchange{Plugin: lookup(t, "okx_spot"), Hosts: []string{"www.okx.com", "ws.okx.com"}},
			serve.Exchange{Plugin: lookup(t, "okx_perpetual"), Hosts: []string{"www.okx.com", "ws.okx.com"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range srv.Exchanges() {
			name := st.Plugin().Name()
			st.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
		}
		if withShared {
			srv.Exchange("okx_spot").HandleShared(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "both") }))
		}
		if err := srv.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		proxy, _ := url.Parse(srv.URL())
		tr := &http.Transport{Proxy: http.ProxyURL(proxy)}
		c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		both := "both"
		if !withShared {
			both = "okx_spot"
		}
		for _, tc := range []struct{ url, want string }{
			{"http://www.okx.com/api/v5/public/instruments?instType=SWAP", "okx_perpetual"},
			{"http://www.okx.com/api/v5/public/instruments?instType=FUTURES", "okx_perpetual"},
			{"http://www.okx.com/api/v5/public/instruments?instType=SPOT", "okx_spot"},
			{"http://www.okx.com/api/v5/market/candles?instId=ETH-USDT-SWAP&bar=1m", "okx_perpetual"},
			{"http://www.okx.com/api/v5/market/candles?instId=ETH-USDT&bar=1m", "okx_spot"},
			{"http://www.okx.com/api/v5/public/time", "okx_spot"}, // any sibling: the lead
			{"http://ws.okx.com:8443/ws/v5/business", both},
		} {
			_, body := get(t, c, tc.url)
			if body != tc.want {
				t.Errorf("shared handler %v: %s answered by %q, want %q", withShared, tc.url, body, tc.want)
			}
		}
		tr.CloseIdleConnections()
		srv.Close(context.Background())
	}
}
