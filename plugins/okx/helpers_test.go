package okx_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/synth"
)

// t0 is the virtual "now" of the REST tests: 2026-11-25T12:34:56.789Z,
// inside a 1m candle.
var t0 = time.Date(2026, 11, 25, 12, 34, 56, 789_000_000, time.UTC)

// frozen is a clock that always reads at.
func frozen(at time.Time) *cc.Clock {
	return &cc.Clock{Base: at, Start: at, Real: func() time.Time { return at }}
}

type fixture struct {
	ex     *okx.Exchange
	env    *plugins.Env
	url    string
	market cc.Market
}

func newFixture(t *testing.T, ex *okx.Exchange, clock *cc.Clock) *fixture {
	t.Helper()
	pairs := []cc.Pair{
		{Base: "BTC", Quote: "USDT", Price: 50000},
		{Base: "ETH", Quote: "USDT", Price: 3000},
		{Base: "XRP", Quote: "USDT", Price: 0.6},
		{Base: "SOL", Quote: "USDT", Price: 150},
	}
	for i := range pairs {
		pairs[i].Symbol = ex.Symbol(pairs[i])
	}
	m := synth.New(synth.Options{Seed: 7, Exchange: ex.Name(), Pairs: pairs})
	env := &plugins.Env{
		Market: m,
		Feed:   &cc.MarketFeed{Market: m, Clock: clock},
		Clock:  clock,
		Pairs:  pairs,
		Hub:    plugins.NewHub(),
	}
	srv := httptest.NewServer(ex.Handler(env))
	t.Cleanup(func() {
		env.Hub.CloseAll(websocket.CloseGoingAway, "test over")
		srv.Close()
	})
	return &fixture{ex: ex, env: env, url: srv.URL, market: m}
}

// get fetches path and decodes the JSON body into v; it returns the
// status and the raw body.
func (f *fixture) get(t *testing.T, path string, v any) (int, []byte) {
	t.Helper()
	resp, err := http.Get(f.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode, body
}

func (f *fixture) dial(t *testing.T, path string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.url, "http")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readJSON(t *testing.T, c *websocket.Conn, v any) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%v in %s", err, data)
		}
	}
	return data
}

func golden(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// sameShape reports where got differs in shape from want: a key of want
// missing in got, or a value of another JSON type. Extra keys in got are
// allowed only if extra is true. Arrays are compared element by element
// against want's first element.
func sameShape(want, got any, path string, extra bool) []string {
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %T", path, got)}
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffs = append(diffs, sameShape(wv, gv, path+"."+k, extra)...)
		}
		if !extra {
			for k := range g {
				if _, ok := w[k]; !ok {
					diffs = append(diffs, fmt.Sprintf("%s.%s: unexpected key", path, k))
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want array, got %T", path, got)}
		}
		if len(w) > 0 {
			for i, gv := range g {
				diffs = append(diffs, sameShape(w[0], gv, fmt.Sprintf("%s[%d]", path, i), extra)...)
			}
		}
	case nil:
		if got != nil {
			diffs = append(diffs, fmt.Sprintf("%s: want null, got %T", path, got))
		}
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			diffs = append(diffs, fmt.Sprintf("%s: want %T, got %T", path, want, got))
		}
	}
	sort.Strings(diffs)
	return diffs
}

func checkShape(t *testing.T, goldenName string, body []byte, extra bool) {
	t.Helper()
	var got any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if d := sameShape(golden(t, goldenName), got, "$", extra); len(d) > 0 {
		t.Errorf("shape differs from %s:\n%s\nbody: %s", goldenName, strings.Join(d, "\n"), body)
	}
}

// candlesResp is OKX's candles answer.
type candlesResp struct {
	Code string     `json:"code"`
	Msg  string     `json:"msg"`
	Data [][]string `json:"data"`
}
