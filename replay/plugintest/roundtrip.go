package plugintest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// roundTripUpdates is how many kline updates of the stream the round trip
// compares.
const roundTripUpdates = 3

// checkRoundTrip records p through the real recording proxy in front of a
// synthetic upstream (both on 127.0.0.1:0) — a candles page for two
// pairs, and the first kline updates of a stream —, closes both, then
// replays the cassette with nothing left listening upstream, as go-vcr's
// key test does: the replay must answer the same pages (asked in the
// other order) byte for byte,
// decode to the candles the upstream answered directly, serve a window
// inside a page (never asked verbatim) from the candle index, and stream
// the recorded updates.
func checkRoundTrip(t *testing.T, p plugins.Plugin, opts Options) {
	d := p.Defaults()
	iv := pickIntervals(d.Intervals)[0]
	k := min(50, d.MaxLimit)
	cur := iv.Truncate(time.Now().UnixMilli())
	first := iv.Add(cur, -2*k)
	upstream := replay.Options{Exchange: p.Name(), Pairs: opts.Pairs, Seed: opts.Seed, Speed: 10, Serve: serve.Options{NoRateLimit: true}}
	var queries []plugins.Query
	for _, pair := range opts.Pairs[:2] {
		queries = append(queries, plugins.Query{Symbol: p.Symbol(pair), Interval: iv, Start: first, End: iv.Add(first, k-1), Limit: k})
	}
	ks, streams := p.(plugins.KlineSubscriber)
	var recorded [][]byte       // the pages through the proxy
	var direct [][]cc.Candle    // the pages straight from the upstream
	var recordedUps []cc.Update // the stream through the proxy
	path := replaytest.Record(t, upstream, func(t *testing.T, proxy, up string) {
		for _, q := range queries {
			body := fetch(t, p, proxy, q)
			recorded = append(recorded, body)
			direct = append(direct, decodeWindow(t, p, q, fetch(t, p, up, q)))
		}
		if streams {
			recordedUps = klineUpdates(t, p, ks, proxy, queries[0].Symbol, iv)
		}
	})
	srv := replaytest.Replay(t, path, replay.Options{Speed: 10, Serve: serve.Options{NoRateLimit: true}})
	// In the reverse order of the recording: a replay that matched requests
	// by their order, not their content, would answer the wrong pair.
	for i := len(queries) - 1; i >= 0; i-- {
		q := queries[i]
		body := fetch(t, p, srv.URL, q)
		if !bytes.Equal(body, recorded[i]) {
			t.Errorf("%s: the replay answers %.300s\nthe recording holds %.300s", q.Symbol, body, recorded[i])
			continue
		}
		got := decodeWindow(t, p, q, body)
		if len(got) != len(direct[i]) || len(got) == 0 {
			t.Fatalf("%s: %d candles replayed, the upstream answered %d", q.Symbol, len(got), len(direct[i]))
		}
		for j := range got {
			if !sameCandle(got[j], direct[i][j]) {
				t.Fatalf("%s: candle %d replayed as %+v, the upstream answered %+v", q.Symbol, j, got[j], direct[i][j])
			}
		}
		// A window inside the page, never asked verbatim: from the index.
		n := min(10, len(got)/2)
		sub := plugins.Query{Symbol: q.Symbol, Interval: iv, Start: got[n].OpenTime, End: got[2*n-1].OpenTime, Limit: n}
		in := decodeWindow(t, p, sub, fetch(t, p, srv.URL, sub))
		if len(in) != n {
			t.Fatalf("%s: window inside the recorded page: %d candles, want %d", q.Symbol, len(in), n)
		}
		for j, c := range in {
			if !sameCandle(c, got[n+j]) {
				t.Fatalf("%s: window inside the recorded page: candle %d is %+v, recorded %+v", q.Symbol, j, c, got[n+j])
			}
		}
	}
	if !streams {
		return
	}
	replayed := klineUpdates(t, p, ks, srv.URL, queries[0].Symbol, iv)
	for i := range recordedUps {
		if a, b := replayed[i].Candle, recordedUps[i].Candle; !sameCandle(a, b) || a.Closed != b.Closed {
			t.Errorf("kline update %d replayed as %+v, recorded %+v", i, a, b)
		}
	}
}

// fetch sends p's request for q to base and returns the body of its 2xx
// answer.
func fetch(t *testing.T, p plugins.Plugin, base string, q plugins.Query) []byte {
	t.Helper()
	req, err := p.CandlesRequest(q)
	if err != nil {
		t.Fatalf("CandlesRequest(%+v): %v", q, err)
	}
	status, body := replaytest.At(base).Do(t, req)
	if status < 200 || status >= 300 {
		t.Fatalf("%s %s: %d %.300s", req.Method, req.URL, status, body)
	}
	return body
}

// decodeWindow decodes an answer to q, keeping the candles of the window
// asked (a plugin may ignore the limit and answer a fixed page).
func decodeWindow(t *testing.T, p plugins.Plugin, q plugins.Query, body []byte) []cc.Candle {
	t.Helper()
	req, _ := p.CandlesRequest(q)
	set, err := p.DecodeCandles(req, body)
	if err != nil {
		t.Fatalf("DecodeCandles: %v\n%.300s", err, body)
	}
	var out []cc.Candle
	for _, c := range set.Candles {
		if c.OpenTime >= q.Start && (q.End == 0 || c.OpenTime <= q.End) {
			out = append(out, c)
		}
	}
	return out
}

// klineUpdates subscribes on base through ks's recipe and returns the
// first roundTripUpdates kline updates of sym at iv.
func klineUpdates(t *testing.T, p plugins.Plugin, ks plugins.KlineSubscriber, base, sym string, iv cc.Interval) []cc.Update {
	t.Helper()
	path, msgs := ks.KlineSubscription(sym, iv)
	conn := replaytest.Dial(t, base+path)
	defer conn.Close()
	for _, m := range msgs {
		if err := conn.WriteMessage(websocket.TextMessage, m); err != nil {
			t.Fatal(err)
		}
	}
	var out []cc.Update
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for len(out) < roundTripUpdates {
		_, frame, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("after %d kline updates: %v", len(out), err)
		}
		ups, err := p.DecodeFrame(path, frame)
		if errors.Is(err, plugins.ErrNotCandles) {
			continue
		}
		if err != nil {
			t.Fatalf("DecodeFrame(%.200s): %v", frame, err)
		}
		for _, u := range ups {
			if u.Interval == iv || u.Interval == "" {
				out = append(out, u)
			}
		}
	}
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return out[:roundTripUpdates]
}

// sameCandle reports whether two decodings carry the same candle. The
// closed flag is not compared: a REST decoder may have to guess it (the
// last row of a page is open for Binance's).
func sameCandle(a, b cc.Candle) bool {
	return a.OpenTime == b.OpenTime && a.Trades == b.Trades &&
		a.Open.Cmp(b.Open) == 0 && a.High.Cmp(b.High) == 0 && a.Low.Cmp(b.Low) == 0 && a.Close.Cmp(b.Close) == 0 &&
		a.Volume.Cmp(b.Volume) == 0 && a.QuoteVolume.Cmp(b.QuoteVolume) == 0
}
