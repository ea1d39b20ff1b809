package drift_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/drift"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// genericSession asks any exchange for two candle windows, a request it
// refuses (an unknown symbol) and, where it streams klines, a few pushes.
func genericSession(p plugins.Plugin) func(t *testing.T, proxy, _ string) {
	return func(t *testing.T, proxy, _ string) {
		sym := p.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
		base := cc.Interval1h.Truncate(time.Now().UnixMilli()) - 6*3_600_000
		for _, q := range []plugins.Query{
			{Symbol: sym, Interval: cc.Interval1m, Start: base, End: base + 30*60_000 - 1, Limit: 30},
			{Symbol: sym, Interval: cc.Interval1m, Start: base + 60*60_000, End: base + 90*60_000 - 1, Limit: 30},
			{Symbol: "NOPE" + sym, Interval: cc.Interval1m, Start: base, End: base + 30*60_000 - 1, Limit: 30},
		} {
			req, err := p.CandlesRequest(q)
			if err != nil {
				t.Fatal(err)
			}
			replaytest.At(proxy).Do(t, req)
		}
		ks, ok := p.(plugins.KlineSubscriber)
		if !ok {
			return
		}
		path, msgs := ks.KlineSubscription(sym, cc.Interval1m)
		ws := replaytest.Dial(t, proxy+path)
		for _, m := range msgs {
			replaytest.Send(t, ws, string(m))
		}
		ws.SetReadDeadline(time.Now().Add(4 * time.Second))
		for range 3 {
			if _, _, err := ws.ReadMessage(); err != nil {
				break
			}
		}
		ws.Close()
	}
}

func TestDiffOfTwoRecordingsOfEveryExchangeIsQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("records every exchange twice")
	}
	for _, name := range plugins.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // mostly waiting for WS pushes
			p, _ := plugins.Lookup(name)
			var paths []string
			// Other seeds and other prices (decimal places follow a
			// market's tick size, which a price of another order of
			// magnitude changes: that is drift, not this).
			for i, price := range []float64{50000, 41000} {
				pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: price}, {Base: "ETH", Quote: "USDT", Price: price / 15}}
				path := replaytest.Record(t, replay.Options{Exchange: name, Pairs: pairs, Seed: uint64(i + 1), Serve: serve.Options{NoRateLimit: true}}, genericSession(p))
				checkRecorded(t, p, path)
				paths = append(paths, path)
			}
			// A short stream may end before a kind of push (an update
			// after the snapshot, a heartbeat) comes on one side only:
			// compare the shapes of what both caught.
			r, err := drift.Diff(paths[0], paths[1], &drift.Options{OnlyShared: true})
			if err != nil {
				t.Fatal(err)
			}
			if r.Drift {
				t.Errorf("two recordings of %s differ:\n%s", name, text(r))
			}

			// The same session from an exchange that now quotes its bare
			// numbers and unquotes its numeric strings.
			up := replaytest.StartAltered(t, replay.Options{Exchange: name, Seed: 3, Serve: serve.Options{NoRateLimit: true}}, replaytest.Alter{
				REST: func(_ *http.Request, status int, v any) (int, any) {
					if status == 200 {
						v = flipQuotes(v)
					}
					return status, v
				},
				WS: func(_ string, v any) any { return flipQuotes(v) },
			})
			flipped := replaytest.RecordFrom(t, name, up, genericSession(p))
			r, err = drift.Diff(paths[0], flipped, &drift.Options{OnlyShared: true})
			if err != nil {
				t.Fatal(err)
			}
			rest := 0
			for _, c := range r.Changes {
				if c.Kind != drift.KindNumberFormat {
					t.Errorf("unexpected change: %s", c)
				}
				if !strings.HasPrefix(c.Where, "WS ") {
					rest++
				}
			}
			if rest == 0 {
				t.Errorf("no number format change in the candle answers:\n%s", text(r))
			}
		})
	}
}

// flipQuotes quotes every bare number of v and unquotes every numeric
// string.
func flipQuotes(v any) any {
	switch x := v.(type) {
	case json.Number:
		return string(x)
	case string:
		if _, err := strconv.ParseFloat(x, 64); err == nil && x != "" && !strings.ContainsAny(x, "xXnN_") {
			return json.Number(x)
		}
	case map[string]any:
		for k, e := range x {
			if k == "connId" {
				// A hex token, all digits now and then: an exchange
				// that unquotes its numbers keeps its ids quoted.
				continue
			}
			x[k] = flipQuotes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = flipQuotes(e)
		}
	}
	return v
}

// checkRecorded fails unless the session left its traces: the three
// requests and, for an exchange that streams klines, server frames.
func checkRecorded(t *testing.T, p plugins.Plugin, path string) {
	t.Helper()
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := f.Meta()
	if _, ok := p.(plugins.KlineSubscriber); ok && m.Frames < 2 {
		t.Errorf("%d frames recorded", m.Frames)
	}
	if m.Interactions < 3 {
		t.Errorf("%d interactions recorded", m.Interactions)
	}
}
