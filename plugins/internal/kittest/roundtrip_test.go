package kittest_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/ascendex"
	_ "github.com/candlecassette/candlecassette/plugins/gateio"
	_ "github.com/candlecassette/candlecassette/plugins/hyperliquid"
	"github.com/candlecassette/candlecassette/plugins/internal/wiretest"
	_ "github.com/candlecassette/candlecassette/plugins/mexc"
	"github.com/candlecassette/candlecassette/replay"
)

// send sends a plugin-built request to base and returns the body.
func send(t *testing.T, base string, req *http.Request) []byte {
	t.Helper()
	var body io.Reader
	if req.GetBody != nil {
		body, _ = req.GetBody()
	}
	r2, err := http.NewRequest(req.Method, base+req.URL.RequestURI(), body)
	if err != nil {
		t.Fatal(err)
	}
	r2.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(r2)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, b)
	}
	return b
}

func decode(t *testing.T, p plugins.Plugin, q plugins.Query, body []byte) []cc.Candle {
	t.Helper()
	req, _ := p.CandlesRequest(q)
	set, err := p.DecodeCandles(req, body)
	if err != nil {
		t.Fatal(err)
	}
	return set.Candles
}

// TestRecordThenReplayOffline records a candle page from a synthetic
// upstream through the recording proxy, stops the upstream, and replays:
// the same request gets the same bytes, and a window inside the page that
// was never asked verbatim comes out of the candle index unchanged.
func TestRecordThenReplayOffline(t *testing.T) {
	start := cc.Interval1m.Truncate(time.Now().Add(-6 * time.Hour).UnixMilli())
	for _, tc := range []struct{ id, sym string }{
		{"gate_io_spot", "BTC_USDT"}, {"gate_io_perpetual", "BTC_USDT"},
		{"mexc_spot", "BTCUSDT"}, {"mexc_perpetual", "BTC_USDT"},
		{"hyperliquid_spot", "@142"}, {"hyperliquid_perpetual", "BTC"},
		{"ascend_ex_spot", "BTC/USDT"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			p, err := plugins.Lookup(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			page := plugins.Query{Symbol: tc.sym, Interval: cc.Interval1m, Start: start, Limit: 100}
			var bodies [][]byte // the page through the recorder, then from the replay
			_, _, srv := wiretest.RoundTripWith(t, replay.Options{Exchange: tc.id, Seed: 42}, nil, func(t *testing.T, url string) {
				req, _ := p.CandlesRequest(page)
				bodies = append(bodies, send(t, url, req))
			})
			recorded, replayed := bodies[0], bodies[1]
			if !bytes.Equal(replayed, recorded) {
				t.Fatalf("replayed page differs from the recording:\n%.300s\n%.300s", replayed, recorded)
			}
			want := decode(t, p, page, recorded)
			sub := plugins.Query{Symbol: tc.sym, Interval: cc.Interval1m, Start: want[10].OpenTime, Limit: 10}
			req, _ := p.CandlesRequest(sub)
			got := decode(t, p, sub, send(t, srv.URL(), req))
			if len(got) != 10 {
				t.Fatalf("sub-window: %d candles", len(got))
			}
			for i, c := range got {
				w := want[10+i]
				if c.OpenTime != w.OpenTime || c.Open.Cmp(w.Open) != 0 || c.Close.Cmp(w.Close) != 0 ||
					c.High.Cmp(w.High) != 0 || c.Low.Cmp(w.Low) != 0 || c.Volume.Cmp(w.Volume) != 0 {
					t.Fatalf("sub-window candle %d: %+v, recorded %+v", i, c, w)
				}
			}
		})
	}
}
