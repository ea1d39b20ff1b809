package record_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/record"
)

// A book snapshot that names no time of its own (Kraken's v2 book
// snapshot) is recorded at an instant before the diffs the stream sent
// after it, however late it came: the upstream's diffs here are timed 10 s
// before the recorder sees them (a skewed clock, a slow link), and the
// snapshot stamped when it came lay after them, so replay took the
// instants of the stream's first diffs for ones before the recording. A
// snapshot no timed record follows keeps the instant it came.
func TestATimelessSnapshotComesBeforeTheDiffsAfterIt(t *testing.T) {
	early := time.Now().Add(-10 * time.Second).UTC()
	d1, d2 := early, early.Add(50*time.Millisecond)
	frames := []string{
		`{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USDT","bids":[{"price":50000.1,"qty":1.5}],"asks":[{"price":50000.2,"qty":2}]}]}`,
		`{"channel":"book","type":"update","data":[{"symbol":"BTC/USDT","bids":[{"price":50000.1,"qty":1.25}],"asks":[],"timestamp":"` + d1.Format(time.RFC3339Nano) + `"}]}`,
		`{"channel":"book","type":"update","data":[{"symbol":"BTC/USDT","bids":[],"asks":[{"price":50000.3,"qty":0.5}],"timestamp":"` + d2.Format(time.RFC3339Nano) + `"}]}`,
		`{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USDT","bids":[{"price":50000.0,"qty":1}],"asks":[{"price":50000.2,"qty":2}]}]}`,
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil { // the subscribe
			return
		}
		for _, f := range frames {
			if c.WriteMessage(websocket.TextMessage, []byte(f)) != nil {
				return
			}
		}
		c.ReadMessage() // until the client goes
	}))
	defer up.Close()
	path := filepath.Join(t.TempDir(), "books.cassette")
	srv, err := record.Start(record.Options{
		Exchange: "kraken_spot", Cassette: path,
		UpstreamREST: up.URL, UpstreamWS: "ws" + strings.TrimPrefix(up.URL, "http"),
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/v2", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USDT"]}}`))
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for range frames {
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	arrived := time.Now()
	ws.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}

	c, err := cassettes.Open(path, 0o644, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	recs, err := c.BookRecords("XBT/USDT", math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range recs {
		k := "diff"
		if r.Snapshot {
			k = "snapshot"
		}
		kinds = append(kinds, k)
	}
	if strings.Join(kinds, ",") != "snapshot,diff,diff,snapshot" {
		t.Fatalf("records in time order: %v, want the first snapshot before the diffs", kinds)
	}
	if got, want := recs[0].Time, d1.UnixMicro()-1; got != want {
		t.Errorf("first snapshot at %d, want %d (1 µs before the diff after it)", got, want)
	}
	if last := recs[3].Time; last < early.Add(5*time.Second).UnixMicro() || last > arrived.UnixMicro() {
		t.Errorf("second snapshot at %d, want when it came (about %d)", last, arrived.UnixMicro())
	}
}
