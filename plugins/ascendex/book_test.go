package ascendex_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var bookBase = time.Date(2025, 5, 6, 15, 0, 0, 0, time.UTC)

func decimal(t *testing.T, v any) cc.Decimal {
	t.Helper()
	s, _ := v.(string)
	d, err := cc.ParseDecimal(s)
	if err != nil {
		t.Fatalf("%v: %v", v, err)
	}
	return d
}

type depthMsg struct {
	M, Symbol string
	Data      struct {
		Seqnum, Ts int64
		Asks, Bids [][2]string
	}
}

func (m depthMsg) book(t *testing.T) cc.Book {
	b := cc.Book{Time: m.Data.Ts * 1000, Seq: m.Data.Seqnum}
	for _, r := range m.Data.Bids {
		b.Bids = append(b.Bids, cc.BookLevel{Price: decimal(t, r[0]), Size: decimal(t, r[1])})
	}
	for _, r := range m.Data.Asks {
		b.Asks = append(b.Asks, cc.BookLevel{Price: decimal(t, r[0]), Size: decimal(t, r[1])})
	}
	return b
}

func TestRESTDepthIsTheMarketsBook(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(bookBase, 1e-9))
	var r struct {
		Code int
		Data depthMsg
	}
	s.GetJSON(t, "/api/pro/v1/depth?symbol=BTC/USDT", &r)
	got := r.Data.book(t)
	want, err := s.Env.Books.Book(context.Background(), "BTC/USDT", bookBase.UnixMicro()/100_000*100_000, 500)
	if err != nil || r.Code != 0 || r.Data.M != "depth-snapshot" || r.Data.Symbol != "BTC/USDT" || got.Seq != want.Seq || len(got.Bids) != 500 {
		t.Fatalf("%v %+v: seqnum %d want %d, %d bids", err, r.Code, got.Seq, want.Seq, len(got.Bids))
	}
	if err := booktest.Same(got, want); err != nil {
		t.Fatal(err)
	}
	_, body := s.Get(t, "/api/pro/v1/depth?symbol=NOPE/USDT")
	if !strings.Contains(string(body), `"SYMBOL_ERROR"`) {
		t.Fatalf("unknown symbol: %s", body)
	}
	_, body = s.Get(t, "/api/pro/v1/depth")
	if !strings.Contains(string(body), `"code":100001`) {
		t.Fatalf("no symbol: %s", body)
	}
}

// depth:BTC/USDT synced as AscendEX documents it on the synthetic market:
// subscribe, ask for the depth-snapshot, drop the messages up to its
// seqnum, then require each seqnum to be one more than the last. The
// book (500 levels a side: the stream removes the levels that leave them)
// equals the market's after every step and the
// REST depth at its seqnum, over 12 s of market time.
func TestDepthSyncsWithTheSnapshot(t *testing.T) {
	ctx := context.Background()
	s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(bookBase, 5))
	ws := s.Dial(t, "/1/api/pro/v1/stream")
	ws.Send(`{"op":"sub","id":"d","ch":"depth:BTC/USDT"}`)
	read := func() depthMsg {
		for {
			_, b := ws.Read(5 * time.Second)
			var m depthMsg
			if json.Unmarshal(b, &m) == nil && (m.M == "depth" || m.M == "depth-snapshot") {
				return m
			}
		}
	}
	buf := []depthMsg{read()}
	ws.Send(`{"op":"req","action":"depth-snapshot","id":"s","args":{"symbol":"BTC/USDT"}}`)
	var snap depthMsg
	for snap.M == "" {
		m := read()
		if m.M == "depth-snapshot" {
			snap = m
		} else {
			buf = append(buf, m)
		}
	}
	local := booktest.NewLocal(snap.book(t))
	check := func(at int64) {
		t.Helper()
		want, _ := s.Env.Books.Book(ctx, "BTC/USDT", at*1000, 500)
		if err := local.Equal(want, 0); err != nil {
			t.Fatalf("at %d: %v", at, err)
		}
		if err := local.Check(); err != nil {
			t.Fatal(err)
		}
	}
	var start, at int64
	var rest []cc.Book
	steps, matches := 0, 0
	for start == 0 || at < start+12_000 || (matches < 2 && at < start+60_000) {
		var m depthMsg
		if len(buf) > 0 {
			m, buf = buf[0], buf[1:]
		} else {
			m = read()
		}
		if m.M != "depth" || m.Symbol != "BTC/USDT" || m.Data.Seqnum <= snap.Data.Seqnum {
			continue
		}
		if m.Data.Seqnum != local.Seq+1 {
			t.Fatalf("seqnum %d after %d", m.Data.Seqnum, local.Seq)
		}
		if at != 0 && m.Data.Ts != at {
			check(at) // the step before is complete
			steps++
			for len(rest) > 0 && rest[0].Seq <= local.Seq {
				if rest[0].Seq == local.Seq {
					if err := local.Equal(rest[0], 0); err != nil {
						t.Fatalf("REST depth %d: %v", local.Seq, err)
					}
					matches++
				}
				rest = rest[1:]
			}
			if steps%10 == 0 && len(rest) < 3 {
				var r struct{ Data depthMsg }
				s.GetJSON(t, "/api/pro/v1/depth?symbol=BTC/USDT", &r)
				rest = append(rest, r.Data.book(t))
			}
		}
		for _, r := range m.Data.Bids {
			local.Set(true, decimal(t, r[0]), decimal(t, r[1]))
		}
		for _, r := range m.Data.Asks {
			local.Set(false, decimal(t, r[0]), decimal(t, r[1]))
		}
		local.Seq, at = m.Data.Seqnum, m.Data.Ts
		if start == 0 {
			start = at
		}
	}
	if steps < 100 || matches < 2 {
		t.Fatalf("%d steps, %d REST depths met", steps, matches)
	}
}
