package plugins_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var faultsT0 = time.Date(2026, 3, 18, 14, 37, 25, 0, time.UTC)

// bookFrame is what a family's book frame says about the chain: kind
// "snap" or "diff" ("" for other frames), the id the frame before must
// have ended on + 1 (first) and the id it ends on (last).
type bookFrame struct {
	kind        string
	first, last int64
	key         string // names the update across servers (for checksums)
	checksum    int64
}

type bookFamily struct {
	id, path, sub string
	parse         func(b []byte) bookFrame
	pairs         []cc.Pair // nil: the default
}

func num(v any) int64 {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return n
	case string:
		var n int64
		fmt.Sscan(x, &n)
		return n
	}
	return 0
}

func decode(b []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytesReader(b))
	d.UseNumber()
	d.Decode(&m)
	return m
}

var gapFamilies = []bookFamily{
	{"okx_spot", "/ws/v5/public", `{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}`, func(b []byte) bookFrame {
		m := decode(b)
		data, _ := m["data"].([]any)
		if len(data) == 0 {
			return bookFrame{}
		}
		d := data[0].(map[string]any)
		f := bookFrame{kind: "diff", first: num(d["prevSeqId"]) + 1, last: num(d["seqId"]), key: fmt.Sprint(d["seqId"]), checksum: num(d["checksum"])}
		if m["action"] == "snapshot" {
			f.kind = "snap"
		}
		return f
	}, nil},
	{"bybit_spot", "/v5/public/spot", `{"op":"subscribe","req_id":"1","args":["orderbook.50.BTCUSDT"]}`, func(b []byte) bookFrame {
		m := decode(b)
		d, ok := m["data"].(map[string]any)
		if !ok {
			return bookFrame{}
		}
		u := num(d["u"])
		if m["type"] == "snapshot" {
			return bookFrame{kind: "snap", first: u, last: u}
		}
		return bookFrame{kind: "diff", first: u, last: u}
	}, nil},
	{"gate_io_spot", "/ws/v4/", `{"id":1,"time":1,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}`, func(b []byte) bookFrame {
		m := decode(b)
		r, ok := m["result"].(map[string]any)
		if !ok || m["event"] != "update" {
			return bookFrame{}
		}
		f := bookFrame{kind: "diff", first: num(r["U"]), last: num(r["u"])}
		if r["full"] == true {
			f.kind = "snap"
		}
		return f
	}, nil},
	{"ascend_ex_spot", "/1/api/pro/v1/stream", `{"op":"sub","id":"d","ch":"depth:BTC/USDT"}`, func(b []byte) bookFrame {
		m := decode(b)
		d, ok := m["data"].(map[string]any)
		if !ok || m["m"] != "depth" {
			return bookFrame{}
		}
		s := num(d["seqnum"])
		return bookFrame{kind: "diff", first: s, last: s}
	}, nil},
	{"coinbase_advanced_trade", "/", `{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}`, func(b []byte) bookFrame {
		m := decode(b)
		if m["channel"] != "l2_data" {
			return bookFrame{}
		}
		s := num(m["sequence_num"])
		return bookFrame{kind: "diff", first: s, last: s}
	}, []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}},
}

// bookConn starts a server of fam on clock with the faults cond and
// subscribes; read returns its next n book frames.
func bookConn(t *testing.T, fam bookFamily, cond string, clock *cc.Clock) (read func(n int) []bookFrame, srv *replaytest.Server) {
	t.Helper()
	srv = replaytest.Start(t, fam.id, fam.pairs, clock)
	if err := srv.PatchConditions([]byte(cond)); err != nil {
		t.Fatal(err)
	}
	c := replaytest.Dial(t, srv.WSURL+fam.path)
	replaytest.Send(t, c, fam.sub)
	return func(n int) []bookFrame {
		t.Helper()
		var out []bookFrame
		deadline := time.Now().Add(20 * time.Second)
		for len(out) < n && time.Now().Before(deadline) {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, b, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("after %d frames: %v", len(out), err)
			}
			if f := fam.parse(b); f.kind != "" {
				out = append(out, f)
			}
		}
		if len(out) < n {
			t.Fatalf("%d book frames in 20 s, want %d", len(out), n)
		}
		return out
	}, srv
}

// bookFrames subscribes on a fresh server of fam (faults cond) and
// returns its first n book frames.
func bookFrames(t *testing.T, fam bookFamily, cond string, n int) ([]bookFrame, *replaytest.Server) {
	t.Helper()
	read, srv := bookConn(t, fam, cond, replaytest.Clock(faultsT0, 10))
	return read(n), srv
}

// With book_gap on, every family's diff stream shows a sequence jump (the
// frame does not continue the one before) where a diff was dropped, and
// none without the fault.
func TestABookGapShowsAsASequenceJump(t *testing.T) {
	for _, fam := range gapFamilies {
		t.Run(fam.id, func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				cond string
				gap  bool
			}{{`{}`, false}, {`{"book_gap":{"every":4}}`, true}} {
				fs, srv := bookFrames(t, fam, tc.cond, 14)
				jumps := 0
				for i := 1; i < len(fs); i++ {
					if fs[i].first <= fs[i-1].last && fs[i].kind == "diff" {
						t.Fatalf("%s: frame %d starts at %d, not past %d", tc.cond, i, fs[i].first, fs[i-1].last)
					}
					if fs[i].kind == "diff" && fs[i].first != fs[i-1].last+1 {
						jumps++
					}
				}
				counted := srv.Status().Faults.ProtocolTotals()["book_gap"]
				if tc.gap && (jumps == 0 || counted == 0) {
					t.Errorf("%s: no sequence jump in %d frames (%d gaps counted): %+v", tc.cond, len(fs), counted, fs)
				}
				if !tc.gap && jumps != 0 {
					t.Errorf("no fault: %d jumps: %+v", jumps, fs)
				}
			}
		})
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// With book_corrupt on, OKX's and Kraken's book updates carry a checksum
// other than the one the same update has without the fault (the right
// one: their own tests check it against the book), and nothing else of
// the stream changes.
func TestABookCorruptMakesTheChecksumWrong(t *testing.T) {
	kraken := bookFamily{"kraken_spot", "/v2", `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10},"req_id":7}`, func(b []byte) bookFrame {
		m := decode(b)
		data, _ := m["data"].([]any)
		if m["channel"] != "book" || len(data) == 0 {
			return bookFrame{}
		}
		d := data[0].(map[string]any)
		if m["type"] == "snapshot" {
			return bookFrame{kind: "snap", key: "snapshot", checksum: num(d["checksum"])}
		}
		return bookFrame{kind: "diff", key: fmt.Sprint(d["timestamp"]), checksum: num(d["checksum"])}
	}, []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}}
	for _, fam := range []bookFamily{gapFamilies[0], kraken} {
		t.Run(fam.id, func(t *testing.T) {
			t.Parallel()
			// Both servers on one clock, subscribed before either is
			// read, so their streams cover the same updates.
			clock := replaytest.Clock(faultsT0, 10)
			readClean, _ := bookConn(t, fam, `{}`, clock)
			readBad, srv := bookConn(t, fam, `{"book_corrupt":{"every":3}}`, clock)
			// On a busy machine the second subscription can start well
			// after the first: read on in both until they share updates.
			right := map[string]int64{}
			var bad []bookFrame
			same, wrong := 0, 0
			for round := 0; round < 8 && same+wrong < 20; round++ {
				for _, f := range readClean(30) {
					if f.kind == "diff" {
						right[f.key] = f.checksum
					}
				}
				bad = append(bad, readBad(30)...)
				same, wrong = 0, 0
				for _, f := range bad {
					want, ok := right[f.key]
					if f.kind != "diff" || !ok {
						continue
					}
					if f.checksum == want {
						same++
					} else {
						wrong++
					}
				}
			}
			n := srv.Status().Faults.ProtocolTotals()["book_corrupt"]
			if wrong == 0 || same == 0 || n == 0 {
				t.Errorf("of the updates both streams sent, %d checksums right, %d wrong (%d corrupted counted); want some of each", same, wrong, n)
			}
		})
	}
}
