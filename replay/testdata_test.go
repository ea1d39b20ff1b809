package replay_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
)

var update = flag.Bool("update", false, "re-record the committed cassettes in ../cassettes/testdata/")

// exampleCassette is a small committed cassette of binance_spot: BTCUSDT
// 1m candles for 2024-03-01 00:00-03:20 UTC (two pages), exchangeInfo,
// and a few seconds of the btcusdt@kline_1s stream.
const exampleCassette = "../cassettes/testdata/binance_spot.cassette"

// TestCommittedCassette re-records the example cassette with -update, by
// the project's own record path from a synthetic upstream, and otherwise
// checks the committed file still opens and replays.
func TestCommittedCassette(t *testing.T) {
	if *update {
		recordExample(t, exampleCassette)
	}
	c, err := cassettes.Open(exampleCassette, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("committed cassette: %v (re-record with go test ./replay -run TestCommittedCassette -update)", err)
	}
	defer c.Close()
	if m := c.Meta(); m.Exchange != "binance_spot" || m.Interactions < 3 || m.Frames == 0 {
		t.Fatalf("committed cassette meta %+v", m)
	}
	cv, err := c.Coverage("BTCUSDT", "1m")
	if err != nil || cv.Total() < 200 {
		t.Fatalf("coverage %+v, %v", cv, err)
	}
}

func recordExample(t *testing.T, path string) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "new.cassette")
	up, err := replay.Start(replay.Options{Exchange: "binance_spot", Seed: 2024}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.Start(record.Options{Exchange: "binance_spot", Cassette: tmp, UpstreamREST: up.URL(), UpstreamWS: up.WSURL(), ToolVersion: "testdata"}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fetch(t, rec.URL()+"/api/v3/exchangeInfo?symbol=BTCUSDT")
	for page := int64(0); page < 2; page++ {
		fetch(t, fmt.Sprintf("%s/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&limit=100", rec.URL(), winStart+page*100*60000))
	}
	conn, _, err := websocket.DefaultDialer.Dial(rec.WSURL()+"/ws/btcusdt@kline_1s", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < 4; i++ {
		if _, _, err := conn.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	up.Close(ctx)
	b, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
