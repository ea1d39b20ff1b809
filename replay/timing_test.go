package replay_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/replay"
)

// streamCassette writes a cassette holding one recorded connection with n
// kline frames of btcusdt@kline_1m, spaced every apart.
func streamCassette(tb testing.TB, n int, every time.Duration) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "stream.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	id, err := c.BeginConn("/ws/btcusdt@kline_1m", start)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		off := time.Duration(i) * every
		open := start.UnixMilli()
		ev := fmt.Sprintf(`{"e":"kline","E":%d,"s":"BTCUSDT","k":{"t":%d,"T":%d,"s":"BTCUSDT","i":"1m","f":-1,"L":-1,"o":"50000.00000000","c":"%d.00000000","h":"60000.00000000","l":"40000.00000000","v":"1.00000000","n":%d,"x":false,"q":"50000.00000000","V":"0.50000000","Q":"25000.00000000","B":"0"}}`,
			start.Add(off).UnixMilli(), open, open+59999, 50000+i, i)
		if err := c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromServer, Opcode: websocket.TextMessage, Offset: off, Stream: "BTCUSDT 1m", Payload: []byte(ev)}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := c.EndConn(id, start.Add(time.Duration(n)*every), websocket.CloseNormalClosure); err != nil {
		tb.Fatal(err)
	}
	if err := c.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// replayTiming subscribes to the recorded stream and returns each frame's
// timing error: how far its arrival, relative to the first frame's, is
// from its recorded offset divided by speed.
func replayTiming(tb testing.TB, path string, n int, every time.Duration, speed float64) []time.Duration {
	tb.Helper()
	srv := startReplay(tb, replay.Options{Cassette: path, Speed: speed})
	conn, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(time.Duration(float64(n)*float64(every)/speed) + 10*time.Second))
	var first time.Time
	errs := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		_, b, err := conn.ReadMessage()
		if err != nil {
			tb.Fatalf("frame %d: %v", i, err)
		}
		at := time.Now()
		var ev struct {
			K struct {
				N int `json:"n"`
			} `json:"k"`
		}
		if err := json.Unmarshal(b, &ev); err != nil || ev.K.N != i {
			tb.Fatalf("frame %d arrived as %s (lost or reordered)", i, b)
		}
		if i == 0 {
			first = at
		}
		want := time.Duration(float64(time.Duration(i)*every) / speed)
		errs = append(errs, (at.Sub(first) - want).Abs())
	}
	return errs
}

// percentile returns the q-quantile (0 < q <= 1) of ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(q*float64(len(s))))-1)]
}

func TestReplayedStreamKeepsRecordedTiming(t *testing.T) {
	const n, every = 100, 20 * time.Millisecond
	path := streamCassette(t, n, every)
	for _, speed := range []float64{1, 4} {
		errs := replayTiming(t, path, n, every, speed)
		// The target is 5 ms p99, reported by BenchmarkReplayedStreamTiming.
		// The test checks the median, which a stall of a loaded CI machine
		// cannot move far, yet a replay that ignored offsets (1 s late at
		// the median frame) or speed (0.75 s at 4×) would miss by far.
		if got := percentile(errs, 0.5); got > 100*time.Millisecond {
			t.Fatalf("speed %v: median timing error %s", speed, got)
		}
	}
}

func BenchmarkReplayedStreamTiming(b *testing.B) {
	const n, every = 200, 10 * time.Millisecond
	path := streamCassette(b, n, every)
	var all []time.Duration
	for b.Loop() {
		all = append(all, replayTiming(b, path, n, every, 1)...)
	}
	b.ReportMetric(float64(percentile(all, 0.99))/1e6, "p99-ms")
	b.ReportMetric(float64(percentile(all, 0.5))/1e6, "p50-ms")
}
