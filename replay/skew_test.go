package replay_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// times are the instants a JSON body names: numbers and numeric strings
// read as Unix seconds, ms, µs or ns (whichever lands within a year of
// now), and RFC 3339 / RFC 1123 strings.
func times(body []byte) []time.Time {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	now := time.Now()
	var out []time.Time
	num := func(f float64) {
		for _, unit := range []float64{1e9, 1e6, 1e3, 1} {
			t := time.Unix(0, int64(f*unit))
			if t.Sub(now).Abs() < 365*24*time.Hour {
				out = append(out, t)
				return
			}
		}
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case float64:
			num(v)
		case string:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				num(f)
			} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				out = append(out, t)
			} else if t, err := time.Parse(time.RFC1123Z, v); err == nil {
				out = append(out, t)
			}
		}
	}
	walk(v)
	return out
}

func near(ts []time.Time, want time.Time, within time.Duration) bool {
	for _, t := range ts {
		if t.Sub(want).Abs() <= within {
			return true
		}
	}
	return false
}

func fetchOK(t *testing.T, req *http.Request) []byte {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
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

// With the exchange's clock an hour behind, every exchange's server-time
// endpoints answer an hour ago, and its newest candle is the one in
// progress an hour ago (a window up to now is cut at the exchange's now).
func TestClockSkewMovesEveryExchangesServerTimeAndNewestCandle(t *testing.T) {
	const skew = -time.Hour
	for _, id := range plugins.Names() {
		t.Run(id, func(t *testing.T) {
			p, err := plugins.Lookup(id)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Defaults().Hosts) == 0 {
				t.Skip("a test double of this package, not an exchange")
			}
			srv, err := replay.Start(replay.Options{Exchange: id, Serve: serve.Options{
				NoRateLimit: true, Conditions: netsim.Config{ClockSkew: netsim.Duration(skew)}}}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close(context.Background())
			rest, _ := p.Routes()
			checked := 0
			for _, r := range rest {
				if _, path, ok := strings.Cut(r, " "); ok {
					r = path
				}
				if !strings.Contains(strings.ToLower(r), "time") {
					continue
				}
				req, _ := http.NewRequest(http.MethodGet, srv.URL()+r, nil)
				ts := times(fetchOK(t, req))
				now := time.Now()
				if !near(ts, now.Add(skew), 5*time.Second) || near(ts, now, time.Minute) {
					t.Errorf("%s answered %v, want about %v (an hour behind %v)", r, ts, now.Add(skew), now)
				}
				checked++
			}
			// The newest 1m candle of a window ending now.
			iv := p.Defaults().Intervals[0]
			for _, x := range p.Defaults().Intervals {
				if x == cc.Interval1m {
					iv = x
				}
			}
			now := time.Now()
			req, err := p.CandlesRequest(plugins.Query{Symbol: srv.Env().Pairs[0].Symbol, Interval: iv,
				Start: now.Add(-90 * time.Minute).UnixMilli(), End: now.UnixMilli()})
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Scheme, req.URL.Host, req.Host, req.RequestURI = "http", srv.Addr(), srv.Addr(), ""
			set, err := p.DecodeCandles(req, fetchOK(t, req))
			if err != nil || len(set.Candles) == 0 {
				t.Fatalf("candles: %v (%d)", err, len(set.Candles))
			}
			newest := set.Candles[0].OpenTime
			for _, c := range set.Candles {
				newest = max(newest, c.OpenTime)
			}
			want := iv.Truncate(now.Add(skew).UnixMilli())
			if d := newest - want; d < -iv.Duration().Milliseconds() || d > 0 {
				t.Errorf("newest %s candle opens at %v, want the one in progress at %v (skewed now)",
					iv, time.UnixMilli(newest).UTC(), time.UnixMilli(want).UTC())
			}
			t.Logf("%d time routes follow the skew", checked)
		})
	}
}
