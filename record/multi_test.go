package record_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// synthAt is a synthetic exchange on 127.0.0.1 standing in for the real
// one, closed at the end of the test.
func synthAt(t *testing.T, id string) *replay.Server {
	t.Helper()
	s, err := replay.Start(replay.Options{Exchange: id, Serve: serve.Options{NoRateLimit: true}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// TestSeveralExchangesRecordIntoOneFileEachRedactedAndHooked: proxied
// requests for api.binance.com and www.okx.com go to each id's upstream
// and into that exchange's part of one format-4 file; each part is
// redacted by the secrets the plugins declare and passed through the
// BeforeSave stage; an exchange listed but never used gets no part.
func TestSeveralExchangesRecordIntoOneFileEachRedactedAndHooked(t *testing.T) {
	upB, upO := synthAt(t, "binance_spot"), synthAt(t, "okx_spot")
	path := filepath.Join(t.TempDir(), "multi.cassette")
	var mu sync.Mutex
	hooked := map[string]int{}
	srv, err := record.Start(record.Options{
		Exchanges: []string{"binance_spot", "okx_spot", "kraken_spot"},
		Cassette:  path,
		Upstreams: map[string]record.Upstream{
			"binance_spot": {REST: upB.URL(), WS: upB.WSURL()},
			"okx_spot":     {REST: upO.URL(), WS: upO.WSURL()},
		},
		BeforeSave: cassettes.Hooks{Interaction: func(ix *cassettes.Interaction) {
			mu.Lock()
			hooked[ix.Path]++
			mu.Unlock()
			ix.RequestHeader.Set("X-Hooked", "yes")
		}},
		ToolVersion:     "multi-test",
		Serve:           serve.Options{NoRateLimit: true},
		CassetteOptions: cassettes.Options{NoSync: true},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	if srv.Cassette() != nil || srv.File() == nil {
		t.Fatalf("several exchanges: Cassette %v, File %v", srv.Cassette(), srv.File())
	}
	pu, _ := url.Parse(srv.URL())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for _, r := range []struct{ u, header string }{
		{"http://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1704067200000&limit=3", "X-MBX-APIKEY"},
		{"http://www.okx.com/api/v5/market/history-candles?instId=BTC-USDT&bar=1m&after=1704067380000&limit=3", "OK-ACCESS-KEY"},
	} {
		req, _ := http.NewRequest("GET", r.u, nil)
		req.Header.Set(r.header, apiKey)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(strings.TrimSpace(string(body)), "[") && !strings.Contains(string(body), `"data"`) {
			t.Fatalf("%s through the recorder: %d %s", r.u, resp.StatusCode, body)
		}
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if we := srv.WriteErrors(); we.Count != 0 {
		t.Fatalf("write errors: %+v", we)
	}

	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Exchanges(); !slices.Equal(got, []string{"binance_spot", "okx_spot"}) || f.Meta().ToolVersion != "multi-test" {
		t.Fatalf("exchanges %v (kraken_spot was never used), tool %q", got, f.Meta().ToolVersion)
	}
	for id, up := range map[string]*replay.Server{"binance_spot": upB, "okx_spot": upO} {
		c, err := f.Exchange(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m := c.Meta(); m.Interactions != 1 || m.UpstreamREST != up.URL() || m.ToolVersion != "multi-test" {
			t.Errorf("%s meta %+v", id, m)
		}
		err = c.Interactions(func(ix *cassettes.Interaction) error {
			raw := strings.Join(slices.Concat(ix.RequestHeader.Values("X-Mbx-Apikey"), ix.RequestHeader.Values("Ok-Access-Key")), ",")
			if raw != "REDACTED" || ix.RequestHeader.Get("X-Hooked") != "yes" {
				t.Errorf("%s: %s recorded with key headers %q and X-Hooked %q", id, ix.Path, raw, ix.RequestHeader.Get("X-Hooked"))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if keys, err := c.Series(); err != nil || len(keys) != 1 {
			t.Errorf("%s candle index: %v, %v", id, keys, err)
		}
	}
	if len(hooked) != 2 {
		t.Errorf("BeforeSave saw %v, want one interaction of each exchange", hooked)
	}
}

// TestEverySiblingClaimsTheHostsItShares: recording every registered
// exchange at once, each sibling of a shared host is reached under it
// (the front picks per request, by the lead's Owner), not only the first.
func TestEverySiblingClaimsTheHostsItShares(t *testing.T) {
	srv, err := record.New(record.Options{
		Exchanges:       plugins.Names(),
		Cassette:        filepath.Join(t.TempDir(), "all.cassette"),
		Serve:           serve.Options{NoRateLimit: true},
		CassetteOptions: cassettes.Options{NoSync: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	for id, host := range map[string]string{
		"okx_spot": "www.okx.com", "okx_perpetual": "www.okx.com",
		"bybit_spot": "api.bybit.com", "bybit_perpetual": "api.bybit.com",
		"hyperliquid_spot": "api.hyperliquid.xyz", "hyperliquid_perpetual": "api.hyperliquid.xyz",
	} {
		if st := srv.Exchange(id); st == nil || !slices.Contains(st.Hosts(), host) {
			t.Errorf("%s is not reached under %s", id, host)
		}
	}
}
