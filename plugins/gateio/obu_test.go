package gateio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// spot.obu (order book v2): the first push is the whole book at the
// stream's level (full=true, its id as u), then diffs whose U continues
// the last u, each leaving the book the market's at its t; the frames
// are Gate's ({"channel","result":{...},"time_ms","event":"update"}). A
// second subscribe fails with Gate's "Alert sub"; unsubscribing and
// subscribing again starts over with a new full push.
func TestSpotObuStartsWithTheFullBookThenContinuesIt(t *testing.T) {
	for _, synthetic := range []bool{false, true} {
		name := "fake"
		if synthetic {
			name = "synthetic"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			srv, f := startBooks(t, "gate_io_spot", 5, synthetic)
			ws := srv.Dial(t, "/ws/v4/")
			sub := `{"id":1,"time":1,"channel":"spot.obu","event":"subscribe","payload":["ob.BTC_USDT.50"]}`
			ws.Send(sub)
			ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["event"] == "subscribe" })
			if r, _ := ack["result"].(map[string]any); r["status"] != "success" || ack["channel"] != "spot.obu" {
				t.Fatalf("ack %v", ack)
			}
			// read returns the next push's result and raw frame.
			read := func() (map[string]any, []byte) {
				for {
					_, b := ws.Read(5 * time.Second)
					var m map[string]any
					d := json.NewDecoder(bytes.NewReader(b))
					d.UseNumber()
					if d.Decode(&m) == nil && m["channel"] == "spot.obu" && m["event"] == "update" {
						return m["result"].(map[string]any), b
					}
				}
			}
			id := func(r map[string]any, k string) int64 { n, _ := r[k].(json.Number).Int64(); return n }
			full, raw := read()
			if !bytes.HasPrefix(raw, []byte(`{"channel":"spot.obu","result":{"t":`)) || !bytes.HasSuffix(raw, []byte(`,"event":"update"}`)) || !bytes.Contains(raw, []byte(`,"full":true,"s":"ob.BTC_USDT.50","u":`)) {
				t.Fatalf("full push frame %s", raw)
			}
			if _, ok := full["U"]; ok {
				t.Fatalf("the full push has U: %s", raw)
			}
			ms, _ := full["t"].(json.Number).Int64()
			want, _ := f.Book(ctx, "BTC_USDT", ms*1000, 50)
			got := cc.Book{Bids: levels(t, full["b"]), Asks: levels(t, full["a"])}
			if err := booktest.Same(got, want); err != nil || want.Seq != id(full, "u") {
				t.Fatalf("full push (u %d, market %d): %v", id(full, "u"), want.Seq, err)
			}
			local := booktest.NewLocal(cc.Book{Seq: id(full, "u"), Bids: got.Bids, Asks: got.Asks})
			lastMs := ms
			for n := 0; n < 100; n++ {
				r, raw := read()
				if r["full"] != nil || !strings.Contains(string(raw), `,"s":"ob.BTC_USDT.50","U":`) {
					t.Fatalf("diff frame %s", raw)
				}
				if U := id(r, "U"); U != local.Seq+1 {
					t.Fatalf("diff %d..%d does not continue %d", U, id(r, "u"), local.Seq)
				}
				for _, l := range levels(t, r["b"]) {
					local.Set(true, l.Price, l.Size)
				}
				for _, l := range levels(t, r["a"]) {
					local.Set(false, l.Price, l.Size)
				}
				local.Seq = id(r, "u")
				local.Truncate(50)
				ms, _ := r["t"].(json.Number).Int64()
				lastMs = ms
				want, _ := f.Book(ctx, "BTC_USDT", ms*1000, 50)
				if want.Seq != local.Seq {
					t.Fatalf("diff to %d at %d: the market is at %d", local.Seq, ms, want.Seq)
				}
				if err := local.Equal(want, 0); err != nil {
					t.Fatal(err)
				}
			}
			ws.Send(sub)
			dup := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["event"] == "subscribe" })
			if e, _ := dup["error"].(map[string]any); e == nil || e["message"] != "Alert sub ob.BTC_USDT.50" || e["code"] != json.Number("2") {
				t.Fatalf("a second subscribe: %v", dup)
			}
			ws.Send(strings.Replace(sub, `"subscribe"`, `"unsubscribe"`, 1))
			ws.Send(sub)
			again := ws.ReadJSON(5*time.Second, func(m map[string]any) bool {
				r, _ := m["result"].(map[string]any)
				return m["channel"] == "spot.obu" && m["event"] == "update" && r["full"] == true
			})["result"].(map[string]any)
			// A stream starts on the 100 ms grid (where REST snapshots
			// are, so the documented sync always finds its update): the
			// new full push is the book there or later, never older than
			// the grid instant of the old stream's last diff.
			grid, _ := f.Book(ctx, "BTC_USDT", kit.BookTime(lastMs), 50)
			if id(again, "u") < grid.Seq {
				t.Fatalf("the new full push (u %d) is older than the stream's grid instant (%d; last diff %d)", id(again, "u"), grid.Seq, local.Seq)
			}
			ams, _ := again["t"].(json.Number).Int64()
			if want, _ := f.Book(ctx, "BTC_USDT", ams*1000, 50); want.Seq != id(again, "u") ||
				booktest.Same(cc.Book{Bids: levels(t, again["b"]), Asks: levels(t, again["a"])}, want) != nil {
				t.Fatalf("the new full push (u %d at %d) is not the market's book then (%d)", id(again, "u"), ams, want.Seq)
			}
		})
	}
}

// Bad spot.obu payloads get Gate's error, and futures has no spot.obu.
func TestSpotObuRejectsBadStreams(t *testing.T) {
	srv, _ := startBooks(t, "gate_io_spot", 5, false)
	ws := srv.Dial(t, "/ws/v4/")
	for _, p := range []string{`["ob.BTC_USDT.20"]`, `["BTC_USDT"]`, `["ob.NOPE_USDT.50"]`, `[]`, `"x"`} {
		ws.Send(`{"id":2,"time":1,"channel":"spot.obu","event":"subscribe","payload":` + p + `}`)
		m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["event"] == "subscribe" })
		if e, _ := m["error"].(map[string]any); e == nil || e["code"] != json.Number("2") {
			t.Fatalf("payload %s: %v", p, m)
		}
	}
}
