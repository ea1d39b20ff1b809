package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	_ "github.com/candlecassette/candlecassette/plugins/all"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// 2024-03-01T00:00:00Z: a fixed, historical window start.
const winStart = int64(1709251200000)

func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

type kline struct {
	open       int64
	o, h, l, c string
	closeTime  int64
	raw        []json.RawMessage
}

func klines(t *testing.T, body []byte) []kline {
	t.Helper()
	var rows [][]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatalf("klines body %s: %v", body, err)
	}
	out := make([]kline, len(rows))
	for i, r := range rows {
		var k kline
		json.Unmarshal(r[0], &k.open)
		json.Unmarshal(r[1], &k.o)
		json.Unmarshal(r[2], &k.h)
		json.Unmarshal(r[3], &k.l)
		json.Unmarshal(r[4], &k.c)
		json.Unmarshal(r[6], &k.closeTime)
		k.raw = r
		out[i] = k
	}
	return out
}

// recordSession records REST calls and a short WS stream from a synthetic
// upstream, then stops the upstream: nothing can answer but the cassette.
func recordSession(t *testing.T, path string, calls []string, wsStream string, wsFrames int) (bodies map[string][]byte, frames [][]byte) {
	t.Helper()
	up, err := replay.Start(replay.Options{Exchange: "binance_spot", Seed: 42}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.Start(record.Options{
		Exchange: "binance_spot", Cassette: path,
		UpstreamREST: up.URL(), UpstreamWS: up.WSURL(),
		CassetteOptions: cassettes.Options{NoSync: true},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bodies = map[string][]byte{}
	for _, c := range calls {
		bodies[c] = fetch(t, rec.URL()+c)
	}
	if wsStream != "" {
		conn, _, err := websocket.DefaultDialer.Dial(rec.WSURL()+"/ws/"+wsStream, nil)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for len(frames) < wsFrames {
			_, b, err := conn.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, b)
		}
		conn.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := up.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return bodies, frames
}

func startReplay(t testing.TB, opts replay.Options) *replay.Server {
	t.Helper()
	return replaytest.StartWith(t, opts).Server
}

func TestRecordThenReplayOffline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "btc.db")
	win := fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=100", winStart)
	calls := []string{"/api/v3/exchangeInfo", win, "/api/v3/klines?symbol=ETHUSDT&interval=1h&startTime=1709251200000&limit=24"}
	bodies, _ := recordSession(t, path, calls, "", 0)

	srv := startReplay(t, replay.Options{Cassette: path})
	if srv.Plugin().Name() != "binance_spot" {
		t.Fatalf("replay serves %s, want the cassette's exchange", srv.Plugin().Name())
	}

	t.Run("identical requests get byte-identical bodies", func(t *testing.T) {
		for _, c := range calls {
			if got := fetch(t, srv.URL()+c); string(got) != string(bodies[c]) {
				t.Fatalf("%s: replayed body differs from the recorded one", c)
			}
		}
	})

	t.Run("a window never requested verbatim comes from the index", func(t *testing.T) {
		rec := klines(t, bodies[win])
		sub := fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d", rec[10].open, rec[19].open)
		got := klines(t, fetch(t, srv.URL()+sub))
		if len(got) != 10 {
			t.Fatalf("%d rows, want 10", len(got))
		}
		for i := range got {
			if string(mustJSON(got[i].raw)) != string(mustJSON(rec[10+i].raw)) {
				t.Fatalf("row %d differs from the recording", i)
			}
		}
	})

	t.Run("a window half outside the recording joins smoothly", func(t *testing.T) {
		rec := klines(t, bodies[win])
		half := fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=100", rec[50].open)
		got := klines(t, fetch(t, srv.URL()+half))
		if len(got) != 100 {
			t.Fatalf("%d rows, want 100", len(got))
		}
		for i := 0; i < 50; i++ {
			if string(mustJSON(got[i].raw)) != string(mustJSON(rec[50+i].raw)) {
				t.Fatalf("recorded row %d changed", i)
			}
		}
		for i := 1; i < 100; i++ {
			if got[i].open != got[i-1].open+60000 {
				t.Fatalf("row %d: open %d after %d", i, got[i].open, got[i-1].open)
			}
		}
		if got[50].o != got[49].c {
			t.Fatalf("first synthetic open %s, want the last recorded close %s", got[50].o, got[49].c)
		}
	})
}

func mustJSON(rs []json.RawMessage) []byte {
	b, _ := json.Marshal(rs)
	return b
}

func TestReplayClockNowMakesNewestCandleCurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "btc.db")
	win := fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=60", winStart)
	bodies, _ := recordSession(t, path, []string{win, "/api/v3/exchangeInfo"}, "", 0)
	rec := klines(t, bodies[win])
	newest := rec[len(rec)-1]
	time.Sleep(1500 * time.Millisecond) // so an unshifted serverTime would show

	srv := startReplay(t, replay.Options{Cassette: path, ClockMode: replay.ClockNow})
	got := klines(t, fetch(t, srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2"))
	if len(got) != 2 {
		t.Fatalf("%d rows", len(got))
	}
	cur := got[1]
	now := time.Now().UnixMilli()
	if cur.open != cc.Interval1m.Truncate(now) && cur.open != cc.Interval1m.Truncate(now)-60000 {
		t.Fatalf("latest candle opens at %s, want the current minute", time.UnixMilli(cur.open).UTC())
	}
	if cur.open == cc.Interval1m.Truncate(now) && (cur.o != newest.o || cur.h != newest.h || cur.l != newest.l) {
		t.Fatalf("current candle %+v is not the newest recorded one %+v", cur, newest)
	}
	for _, p := range []string{"/api/v3/time", "/api/v3/exchangeInfo"} {
		var st struct {
			ServerTime int64 `json:"serverTime"`
		}
		json.Unmarshal(fetch(t, srv.URL()+p), &st)
		if d := st.ServerTime - now; d < -1000 || d > 1000 {
			t.Fatalf("%s: server time %d is %d ms from now", p, st.ServerTime, d)
		}
	}
}

func eventTime(t *testing.T, frame []byte) int64 {
	t.Helper()
	var ev struct {
		Type string `json:"e"` // declared so "e" does not land in E
		E    int64  `json:"E"`
	}
	if err := json.Unmarshal(frame, &ev); err != nil || ev.E == 0 {
		t.Fatalf("frame %s has no event time: %v", frame, err)
	}
	return ev.E
}

func TestReplayWSStreamAtSpeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "btc.db")
	const n = 6
	_, recorded := recordSession(t, path, nil, "btcusdt@kline_1s", n)

	for _, speed := range []float64{1, 10} {
		t.Run("speed "+strconv.FormatFloat(speed, 'g', -1, 64), func(t *testing.T) {
			srv := startReplay(t, replay.Options{Cassette: path, Speed: speed})
			conn, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/btcusdt@kline_1s", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			start := time.Now()
			var got []map[string]any
			for len(got) < n {
				_, b, err := conn.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				var ev map[string]any
				json.Unmarshal(b, &ev)
				got = append(got, ev)
			}
			elapsed := time.Since(start)
			for i := range got {
				var want map[string]any
				json.Unmarshal(recorded[i], &want)
				wk, gk := want["k"].(map[string]any), got[i]["k"].(map[string]any)
				for _, f := range []string{"t", "o", "h", "l", "c", "x"} {
					if fmt.Sprint(wk[f]) != fmt.Sprint(gk[f]) {
						t.Fatalf("frame %d field %s = %v, recorded %v", i, f, gk[f], wk[f])
					}
				}
			}
			// The frames' event times say how long they spanned when recorded.
			span := time.Duration(float64(eventTime(t, recorded[n-1])-eventTime(t, recorded[0])) * float64(time.Millisecond) / speed)
			if elapsed < span/2 || elapsed > span*2+300*time.Millisecond {
				t.Fatalf("%d frames took %s at speed %v, want about %s", n, elapsed, speed, span)
			}
		})
	}
}

func TestReplayRepeatsInRecordedOrderAndIgnoresVolatileParams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "btc.db")
	// The upstream's clock moves between the calls, so each recorded body
	// differs; the volatile params differ too.
	calls := []string{"/api/v3/time?timestamp=1&recvWindow=5000", "/api/v3/time?timestamp=2&recvWindow=5000"}
	var bodies []string
	up, err := replay.Start(replay.Options{Exchange: "binance_spot"}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.Start(record.Options{Exchange: "binance_spot", Cassette: path, UpstreamREST: up.URL(), UpstreamWS: up.WSURL(),
		CassetteOptions: cassettes.Options{NoSync: true}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		bodies = append(bodies, string(fetch(t, rec.URL()+c)))
		time.Sleep(5 * time.Millisecond)
	}
	ctx := context.Background()
	rec.Close(ctx)
	up.Close(ctx)
	if bodies[0] == bodies[1] {
		t.Fatalf("upstream answered the same time twice: %s", bodies[0])
	}

	// Two replays share the cassette: it is opened read-only.
	a := startReplay(t, replay.Options{Cassette: path})
	b := startReplay(t, replay.Options{Cassette: path})
	for _, srv := range []*replay.Server{a, b} {
		want := []string{bodies[0], bodies[1], bodies[1], bodies[1]}
		for i, w := range want {
			got := string(fetch(t, fmt.Sprintf("%s/api/v3/time?timestamp=%d&recvWindow=60000&signature=x%d", srv.URL(), 100+i, i)))
			if got != w {
				t.Fatalf("call %d got %s, want %s (recorded order, then the last again)", i, got, w)
			}
		}
	}
}

func TestReplayClockAtAnInstant(t *testing.T) {
	path := filepath.Join(t.TempDir(), "btc.db")
	recordSession(t, path, []string{fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=10", winStart)}, "", 0)
	at := time.Date(2024, 3, 1, 0, 5, 30, 0, time.UTC)
	srv := startReplay(t, replay.Options{Cassette: path, ClockMode: at.Format(time.RFC3339)})
	var st struct {
		ServerTime int64 `json:"serverTime"`
	}
	json.Unmarshal(fetch(t, srv.URL()+"/api/v3/time"), &st)
	if d := st.ServerTime - at.UnixMilli(); d < 0 || d > 5000 {
		t.Fatalf("server time %s, want %s", time.UnixMilli(st.ServerTime).UTC(), at)
	}
	// The latest candles end at the clock: the 00:05 candle is in progress.
	got := klines(t, fetch(t, srv.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=3"))
	if len(got) != 3 || got[2].open != at.Truncate(time.Minute).UnixMilli() {
		t.Fatalf("latest candles %v, want the last opening at 00:05", got)
	}
}

func TestReplayStreamBySubscribeMessage(t *testing.T) {
	srv := startReplay(t, replay.Options{Cassette: exampleCassette, Speed: 5})
	conn, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	conn.WriteJSON(map[string]any{"method": "SUBSCRIBE", "params": []string{"btcusdt@kline_1s"}, "id": 7})
	var ack map[string]any
	if err := conn.ReadJSON(&ack); err != nil || ack["id"] != float64(7) {
		t.Fatalf("ack %v, %v", ack, err)
	}
	// Binance's keys differ only by case ("e"/"E", "t"/"T"), so both of
	// each pair are declared for encoding/json's case-insensitive matching.
	var ev struct {
		E         string `json:"e"`
		EventTime int64  `json:"E"`
		K         struct {
			T         int64  `json:"t"`
			CloseTime int64  `json:"T"`
			I         string `json:"i"`
		} `json:"k"`
	}
	if err := conn.ReadJSON(&ev); err != nil || ev.E != "kline" || ev.K.I != "1s" {
		t.Fatalf("event %+v, %v", ev, err)
	}
	c, err := cassettes.Open(exampleCassette, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cv, _ := c.Coverage("BTCUSDT", "1s")
	if len(cv.Ranges) == 0 || ev.K.T < cv.Ranges[0].Start || ev.K.T >= cv.Ranges[len(cv.Ranges)-1].End {
		t.Fatalf("first pushed candle %d is not a recorded one (%+v)", ev.K.T, cv.Ranges)
	}
}
