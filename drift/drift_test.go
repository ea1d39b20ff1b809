package drift_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/drift"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// binanceSession is what a bot does against Binance spot: two candle
// windows, the server time, a request for an unknown symbol, and a kline
// stream read for a few pushes.
func binanceSession(t *testing.T, proxy, _ string) {
	p, err := plugins.Lookup("binance_spot")
	if err != nil {
		t.Fatal(err)
	}
	base := cc.Interval1h.Truncate(time.Now().UnixMilli()) - 6*3_600_000
	for _, start := range []int64{base, base + 90*60_000} {
		req, err := p.CandlesRequest(plugins.Query{Symbol: "BTCUSDT", Interval: cc.Interval1m, Start: start, End: start + 60*60_000 - 1, Limit: 60})
		if err != nil {
			t.Fatal(err)
		}
		if st, body := replaytest.Get(t, proxy, req.URL.RequestURI()); st != 200 {
			t.Fatalf("klines: %d %s", st, body)
		}
	}
	replaytest.Get(t, proxy, "/api/v3/time")
	if st, _ := replaytest.Get(t, proxy, "/api/v3/klines?symbol=NOPEUSDT&interval=1m"); st < 400 {
		t.Fatalf("an unknown symbol got %d", st)
	}
	ws := replaytest.Dial(t, proxy+"/ws/btcusdt@kline_1s")
	for range 2 {
		replaytest.ReadFrame(t, ws, nil)
	}
	ws.Close()
}

func synthOpts(seed uint64) replay.Options {
	return replay.Options{Exchange: "binance_spot", Seed: seed, Serve: serve.Options{NoRateLimit: true}}
}

// recordAltered records binanceSession from the synthetic Binance with
// alter applied to its answers.
func recordAltered(t *testing.T, seed uint64, alter replaytest.Alter) string {
	t.Helper()
	up := replaytest.StartAltered(t, synthOpts(seed), alter)
	return replaytest.RecordFrom(t, "binance_spot", up, binanceSession)
}

// rows applies f to every kline row of a klines answer.
func rows(f func(row []any)) func(*http.Request, int, any) (int, any) {
	return func(r *http.Request, status int, v any) (int, any) {
		if r.URL.Path == "/api/v3/klines" && status == 200 {
			for _, row := range v.([]any) {
				f(row.([]any))
			}
		}
		return status, v
	}
}

type want struct{ kind, where, path string }

func TestDiffCatchesEachDeliberateChange(t *testing.T) {
	t.Parallel()
	old := recordAltered(t, 7, replaytest.Alter{})
	cases := []struct {
		name  string
		alter replaytest.Alter
		want  []want
	}{
		{
			name: "a field renamed",
			alter: replaytest.Alter{REST: func(r *http.Request, status int, v any) (int, any) {
				if m, ok := v.(map[string]any); ok && r.URL.Path == "/api/v3/time" {
					m["time"] = m["serverTime"]
					delete(m, "serverTime")
				}
				return status, v
			}},
			want: []want{{drift.KindKeyRenamed, "GET /api/v3/time", "$.serverTime"}},
		},
		{
			name: "prices sent as bare numbers",
			alter: replaytest.Alter{REST: rows(func(row []any) {
				f, _ := strconv.ParseFloat(row[1].(string), 64)
				row[1] = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
			})},
			want: []want{{drift.KindNumberFormat, "GET /api/v3/klines?", "$[*][1]"}},
		},
		{
			name: "volumes with 2 decimal places instead of 8",
			alter: replaytest.Alter{REST: rows(func(row []any) {
				f, _ := strconv.ParseFloat(row[5].(string), 64)
				row[5] = strconv.FormatFloat(f, 'f', 2, 64)
			})},
			want: []want{{drift.KindNumberFormat, "GET /api/v3/klines?", "$[*][5]"}},
		},
		{
			name: "volumes in scientific notation",
			alter: replaytest.Alter{REST: rows(func(row []any) {
				f, _ := strconv.ParseFloat(row[5].(string), 64)
				row[5] = strconv.FormatFloat(f, 'e', -1, 64)
			})},
			want: []want{{drift.KindNumberFormat, "GET /api/v3/klines?", "$[*][5]"}},
		},
		{
			name: "the server time as text",
			alter: replaytest.Alter{REST: func(r *http.Request, status int, v any) (int, any) {
				if m, ok := v.(map[string]any); ok && r.URL.Path == "/api/v3/time" {
					ms, _ := m["serverTime"].(json.Number).Int64()
					m["serverTime"] = time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
				}
				return status, v
			}},
			want: []want{{drift.KindType, "GET /api/v3/time", "$.serverTime"}},
		},
		{
			name: "kline rows without the last field",
			alter: replaytest.Alter{REST: func(r *http.Request, status int, v any) (int, any) {
				if r.URL.Path == "/api/v3/klines" && status == 200 {
					rs := v.([]any)
					for i, row := range rs {
						rs[i] = row.([]any)[:11]
					}
				}
				return status, v
			}},
			want: []want{{drift.KindArrayLength, "GET /api/v3/klines?", "$[*]"}},
		},
		{
			name: "kline rows newest first",
			alter: replaytest.Alter{REST: func(r *http.Request, status int, v any) (int, any) {
				if r.URL.Path == "/api/v3/klines" && status == 200 {
					slices.Reverse(v.([]any))
				}
				return status, v
			}},
			want: []want{{drift.KindOrder, "GET /api/v3/klines?", "$"}},
		},
		{
			name: "open time and open price swapped in each row",
			alter: replaytest.Alter{REST: rows(func(row []any) {
				row[0], row[1] = row[1], row[0]
			})},
			want: []want{{drift.KindOrder, "GET /api/v3/klines?", "$[*]"}},
		},
		{
			name: "an error answered with another status and key",
			alter: replaytest.Alter{REST: func(r *http.Request, status int, v any) (int, any) {
				if m, ok := v.(map[string]any); ok && status == 400 {
					m["message"] = m["msg"]
					delete(m, "msg")
					return 404, v
				}
				return status, v
			}},
			want: []want{
				{drift.KindStatus, "GET /api/v3/klines?interval&symbol", ""},
				{drift.KindKeyRenamed, "GET /api/v3/klines?interval&symbol (error)", "$.msg"},
			},
		},
		{
			name: "a WS event renamed",
			alter: replaytest.Alter{WS: func(_ string, v any) any {
				if m, ok := v.(map[string]any); ok && m["e"] == "kline" {
					m["e"] = "candle"
				}
				return v
			}},
			want: []want{{drift.KindMessageRenamed, "WS /ws/{symbol}@kline_1s e=kline", "$.e"}},
		},
		{
			name: "a WS field dropped",
			alter: replaytest.Alter{WS: func(_ string, v any) any {
				if m, ok := v.(map[string]any); ok {
					if k, ok := m["k"].(map[string]any); ok {
						delete(k, "x")
					}
				}
				return v
			}},
			want: []want{{drift.KindKeyRemoved, "WS /ws/{symbol}@kline_1s e=kline", "$.k.x"}},
		},
	}
	var mu sync.Mutex // one recording at a time: the machine is shared
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mu.Lock()
			altered := recordAltered(t, uint64(100+i), tc.alter)
			mu.Unlock()
			r, err := drift.Diff(old, altered, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Drift || len(r.Changes) != len(tc.want) {
				t.Fatalf("want %d change(s), got %d:\n%s", len(tc.want), len(r.Changes), text(r))
			}
			t.Log(text(r))
			for k, w := range tc.want {
				c := r.Changes[k]
				if c.Kind != w.kind || !strings.HasPrefix(c.Where, w.where) || c.Path != w.path || c.Exchange != "binance_spot" {
					t.Errorf("change %d is %+v, want %+v\n%s", k, c, w, text(r))
				}
			}
		})
	}
}

func text(r *drift.Report) string {
	var sb strings.Builder
	r.WriteText(&sb)
	return sb.String()
}

func TestDiffOfTwoRecordingsOfOneAPIIsQuiet(t *testing.T) {
	t.Parallel()
	a := recordAltered(t, 1, replaytest.Alter{})
	b := recordAltered(t, 2, replaytest.Alter{})
	r, err := drift.Diff(a, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Drift || len(r.Changes) != 0 {
		t.Fatalf("two recordings of the same API differ:\n%s", text(r))
	}
}

// TestDiffOfTwoMEXCRecordingsIsQuiet: MEXC pushes klines as protobuf;
// two sessions of other values read the same, and the frames are read
// as protobuf messages, not as opaque binary.
func TestDiffOfTwoMEXCRecordingsIsQuiet(t *testing.T) {
	t.Parallel()
	p, err := plugins.Lookup("mexc_spot")
	if err != nil {
		t.Skip(err)
	}
	ks, ok := p.(plugins.KlineSubscriber)
	if !ok {
		t.Skip("mexc_spot streams no klines")
	}
	session := func(t *testing.T, proxy, _ string) {
		path, msgs := ks.KlineSubscription(p.Symbol(cc.DefaultPairs[0]), cc.Interval1m)
		ws := replaytest.Dial(t, proxy+path)
		for _, m := range msgs {
			replaytest.Send(t, ws, string(m))
		}
		binary := 0
		for i := 0; i < 8 && binary < 2; i++ {
			if mt, _, err := ws.ReadMessage(); err != nil {
				t.Fatal(err)
			} else if mt == 2 {
				binary++
			}
		}
		if binary < 2 {
			t.Fatal("no protobuf pushes")
		}
		ws.Close()
	}
	var paths []string
	for _, seed := range []uint64{1, 2} {
		paths = append(paths, replaytest.Record(t, replay.Options{Exchange: "mexc_spot", Seed: seed, Serve: serve.Options{NoRateLimit: true}}, session))
	}
	r, err := drift.Diff(paths[0], paths[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Drift {
		t.Fatalf("two MEXC recordings differ:\n%s", text(r))
	}
	// Against a recording of REST only, the protobuf stream is removed,
	// named by its channel.
	rest := replaytest.Record(t, replay.Options{Exchange: "mexc_spot", Seed: 3, Serve: serve.Options{NoRateLimit: true}}, func(t *testing.T, proxy, _ string) {
		path, _ := ks.KlineSubscription(p.Symbol(cc.DefaultPairs[0]), cc.Interval1m)
		replaytest.Dial(t, proxy+path).Close()
	})
	r, err = drift.Diff(paths[0], rest, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(text(r))
	found := false
	for _, c := range r.Changes {
		if c.Kind == drift.KindMessageRemoved && strings.Contains(c.Where, "protobuf #1=spot@public.kline.v3.api.pb@{symbol}@Min1") {
			found = true
		}
	}
	if !found {
		t.Errorf("the protobuf kline messages are not reported as removed:\n%s", text(r))
	}
}
