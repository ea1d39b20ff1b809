package mexc_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/encoding/protowire"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var bookBase = time.Date(2025, 5, 6, 15, 0, 0, 0, time.UTC)

func decimal(t *testing.T, s string) cc.Decimal {
	t.Helper()
	d, err := cc.ParseDecimal(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

type spotDepth struct {
	LastUpdateID int64 `json:"lastUpdateId"`
	Bids, Asks   [][2]string
	Timestamp    int64
}

func (d spotDepth) book(t *testing.T) cc.Book {
	b := cc.Book{Time: d.Timestamp * 1000, Seq: d.LastUpdateID}
	for _, r := range d.Bids {
		b.Bids = append(b.Bids, cc.BookLevel{Price: decimal(t, r[0]), Size: decimal(t, r[1])})
	}
	for _, r := range d.Asks {
		b.Asks = append(b.Asks, cc.BookLevel{Price: decimal(t, r[0]), Size: decimal(t, r[1])})
	}
	return b
}

// pbMessage decodes a protobuf message with protowire (the reference for
// the plugin's hand-written encoder): fields by number, payloads and
// varints as they come.
func pbMessage(t *testing.T, b []byte) map[protowire.Number][][]byte {
	t.Helper()
	out := map[protowire.Number][][]byte{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				t.Fatal(protowire.ParseError(m))
			}
			out[num] = append(out[num], v)
			b = b[m:]
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				t.Fatal(protowire.ParseError(m))
			}
			out[num] = append(out[num], []byte(strconv.FormatUint(v, 10)))
			b = b[m:]
		default:
			t.Fatalf("field %d has wire type %d", num, typ)
		}
	}
	return out
}

// depthPush is a decoded publicAggreDepths or publicLimitDepths push.
type depthPush struct {
	channel, symbol, event string
	sendTime, from, to     int64
	bids, asks             []cc.BookLevel
}

func decodeDepth(t *testing.T, frame []byte) (depthPush, bool) {
	t.Helper()
	w := pbMessage(t, frame)
	var p depthPush
	p.channel, p.symbol = string(w[1][0]), string(w[3][0])
	p.sendTime, _ = strconv.ParseInt(string(w[6][0]), 10, 64)
	body, aggre := w[313], true
	if body == nil {
		body, aggre = w[303], false
	}
	if body == nil {
		return p, false
	}
	d := pbMessage(t, body[0])
	levels := func(items [][]byte) []cc.BookLevel {
		var out []cc.BookLevel
		for _, it := range items {
			f := pbMessage(t, it)
			out = append(out, cc.BookLevel{Price: decimal(t, string(f[1][0])), Size: decimal(t, string(f[2][0]))})
		}
		return out
	}
	p.asks, p.bids, p.event = levels(d[1]), levels(d[2]), string(d[3][0])
	p.from, _ = strconv.ParseInt(string(d[4][0]), 10, 64)
	p.to = p.from
	if aggre {
		p.to, _ = strconv.ParseInt(string(d[5][0]), 10, 64)
	}
	return p, true
}

func TestSpotDepthIsTheMarketsBook(t *testing.T) {
	ctx := context.Background()
	s := replaytest.Start(t, "mexc_spot", nil, replaytest.Clock(bookBase, 1e-9))
	grid := bookBase.UnixMicro() / 100_000 * 100_000
	for path, n := range map[string]int{"/api/v3/depth?symbol=BTCUSDT": 100, "/api/v3/depth?symbol=BTCUSDT&limit=5000": 5000, "/api/v3/depth?symbol=BTCUSDT&limit=7": 7} {
		var d spotDepth
		s.GetJSON(t, path, &d)
		want, _ := s.Env.Books.Book(ctx, "BTCUSDT", grid, n)
		got := d.book(t)
		if got.Seq != want.Seq || got.Time != grid || len(got.Bids) != len(want.Bids) || len(want.Bids) > n {
			t.Fatalf("%s: id %d at %d (%d bids), want %d at %d (%d)", path, got.Seq, got.Time, len(got.Bids), want.Seq, grid, len(want.Bids))
		}
		if err := booktest.Same(got, want); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	for path, code := range map[string]string{
		"/api/v3/depth":                           "-1102",
		"/api/v3/depth?symbol=NOPEUSDT":           "-1121",
		"/api/v3/depth?symbol=BTCUSDT&limit=x":    "-1100",
		"/api/v3/depth?symbol=BTCUSDT&limit=0":    "-1130",
		"/api/v1/contract/depth/NOPE_USDT":        "1001",
		"/api/v1/contract/depth/BTC_USDT?limit=x": "600",
	} {
		status, body := s.Get(t, path)
		if !strings.Contains(string(body), `"code":`+code) || (code[0] == '-' && status != 400) {
			t.Fatalf("%s: %d %s", path, status, body)
		}
	}
}

// The aggregated depth stream synced as MEXC documents it: buffer the
// pushes, take /api/v3/depth (5000 levels: the whole book), drop pushes
// up to its lastUpdateId, start at the one with fromVersion <= id+1 <=
// toVersion and then require fromVersion == last toVersion + 1. The book
// is never crossed, equals the market's after every 5th push (the whole
// 5,000-level book: every push is too slow under -race on a loaded
// machine) and the REST depth at its id, over 12 s of market time.
func TestSpotAggreDepthSyncsWithTheRESTDepth(t *testing.T) {
	ctx := context.Background()
	s := replaytest.Start(t, "mexc_spot", nil, replaytest.Clock(bookBase, 2))
	c := replaytest.Dial(t, s.WSURL+"/ws")
	defer c.Close()
	ch := "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"
	c.WriteJSON(map[string]any{"method": "SUBSCRIPTION", "params": []string{ch}, "id": 1})
	pinged := time.Now()
	read := func() depthPush {
		if time.Since(pinged) > 5*time.Second { // MEXC drops a silent client after a minute
			c.WriteJSON(map[string]any{"method": "PING"})
			pinged = time.Now()
		}
		for {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			typ, b, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			if typ != websocket.BinaryMessage {
				continue
			}
			if p, ok := decodeDepth(t, b); ok {
				if p.channel != ch || p.symbol != "BTCUSDT" || p.event != "spot@public.aggre.depth.v3.api.pb@100ms" {
					t.Fatalf("push %+v", p)
				}
				return p
			}
		}
	}
	buf := []depthPush{read()}
	var snap spotDepth
	s.GetJSON(t, "/api/v3/depth?symbol=BTCUSDT&limit=5000", &snap)
	local := booktest.NewLocal(snap.book(t))
	var rest []cc.Book
	var start int64
	synced, steps, matches := false, 0, 0
	for at := int64(0); start == 0 || at < start+12_000 || (matches < 2 && at < start+60_000); {
		var p depthPush
		if len(buf) > 0 {
			p, buf = buf[0], buf[1:]
		} else {
			p = read()
		}
		if p.to <= local.Seq {
			continue
		}
		if !synced && p.from > local.Seq+1 || synced && p.from != local.Seq+1 {
			t.Fatalf("push %d..%d does not continue %d (synced %v)", p.from, p.to, local.Seq, synced)
		}
		synced = true
		for _, l := range p.bids {
			local.Set(true, l.Price, l.Size)
		}
		for _, l := range p.asks {
			local.Set(false, l.Price, l.Size)
		}
		local.Seq, at = p.to, p.sendTime
		if start == 0 {
			start = at
		}
		if err := local.Check(); err != nil {
			t.Fatal(err)
		}
		if steps%5 == 0 { // the whole book every 5th push: 10,000 levels
			want, _ := s.Env.Books.Book(ctx, "BTCUSDT", at*1000, 0)
			if want.Seq != p.to {
				t.Fatalf("push to %d at %d: the market is at %d", p.to, at, want.Seq)
			}
			if err := local.Equal(want, 0); err != nil {
				t.Fatal(err)
			}
		}
		steps++
		if steps%10 == 0 && len(rest) < 3 {
			var d spotDepth
			s.GetJSON(t, "/api/v3/depth?symbol=BTCUSDT&limit=5000", &d)
			rest = append(rest, d.book(t))
		}
		for len(rest) > 0 && rest[0].Seq <= local.Seq {
			if rest[0].Seq == local.Seq {
				if err := local.Equal(rest[0], 0); err != nil {
					t.Fatalf("REST depth %d: %v", local.Seq, err)
				}
				matches++
			}
			rest = rest[1:]
		}
	}
	if steps < 100 || matches < 2 {
		t.Fatalf("%d pushes, %d REST depths met", steps, matches)
	}
}

// The limit depth stream pushes the market's top levels with their
// version.
func TestSpotLimitDepthPushesTheTopLevels(t *testing.T) {
	ctx := context.Background()
	s := replaytest.Start(t, "mexc_spot", nil, replaytest.Clock(bookBase, 5))
	c := replaytest.Dial(t, s.WSURL+"/ws")
	defer c.Close()
	ch := "spot@public.limit.depth.v3.api.pb@BTCUSDT@5"
	c.WriteJSON(map[string]any{"method": "SUBSCRIPTION", "params": []string{ch, "spot@public.limit.depth.v3.api.pb@BTCUSDT@7"}, "id": 1})
	acks := 0
	var prev int64
	for n := 0; n < 5; {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, b, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if typ == websocket.TextMessage {
			if strings.Contains(string(b), "@7") != strings.Contains(string(b), "Not Subscribed") {
				t.Fatalf("ack %s", b)
			}
			acks++
			continue
		}
		p, ok := decodeDepth(t, b)
		if !ok {
			continue
		}
		want, _ := s.Env.Books.Book(ctx, "BTCUSDT", p.sendTime*1000, 5)
		got := cc.Book{Bids: p.bids, Asks: p.asks}
		if p.channel != ch || p.from != want.Seq || p.sendTime <= prev || len(got.Bids) != 5 {
			t.Fatalf("push %+v, want version %d", p, want.Seq)
		}
		if err := booktest.Same(got, want); err != nil {
			t.Fatal(err)
		}
		prev = p.sendTime
		n++
	}
	if acks != 2 {
		t.Fatalf("%d acks", acks)
	}
}

type contractDepth struct {
	Asks, Bids [][3]json.Number
	Version    int64
	Timestamp  int64
}

// book is the depth in contracts, sizes as they come.
func (d contractDepth) book(t *testing.T) cc.Book {
	b := cc.Book{Time: d.Timestamp * 1000, Seq: d.Version}
	for side, rows := range [][][3]json.Number{d.Bids, d.Asks} {
		for _, r := range rows {
			n := decimal(t, r[1].String())
			if cnt := r[2].String(); n.Scale != 0 || (n.IsZero() != (cnt == "0")) {
				t.Fatalf("level %v", r)
			}
			l := cc.BookLevel{Price: decimal(t, r[0].String()), Size: n}
			if side == 0 {
				b.Bids = append(b.Bids, l)
			} else {
				b.Asks = append(b.Asks, l)
			}
		}
	}
	return b
}

// inContracts is the market's book with sizes in whole contracts.
func inContracts(b cc.Book, size cc.Decimal) cc.Book {
	conv := func(ls []cc.BookLevel) []cc.BookLevel {
		out := make([]cc.BookLevel, len(ls))
		for i, l := range ls {
			out[i] = cc.BookLevel{Price: l.Price, Size: cc.NewDecimal(kit.BookContracts(l.Size, size), 0)}
		}
		return out
	}
	b.Bids, b.Asks = conv(b.Bids), conv(b.Asks)
	return b
}

// push.depth synced as MEXC documents it: buffer, take the contract
// depth, apply the pushes after its version, each version one more than
// the last. The book (in contracts) is never crossed, equals the market's
// after every 5th step and the REST depth at its version, over 12 s of
// market time.
func TestContractDepthSyncsWithTheRESTDepth(t *testing.T) {
	ctx := context.Background()
	s := replaytest.Start(t, "mexc_perpetual", nil, replaytest.Clock(bookBase, 2))
	size := kit.ContractSize(s.Env.Pairs[0].Price)
	ws := s.Dial(t, "/edge")
	ws.Send(`{"method":"sub.depth","param":{"symbol":"BTC_USDT"}}`)
	type push struct {
		Channel, Symbol string
		Data            contractDepth
		Ts              int64
	}
	pinged := time.Now()
	read := func() push {
		if time.Since(pinged) > 5*time.Second { // MEXC drops a silent client after a minute
			ws.Send(`{"method":"ping"}`)
			pinged = time.Now()
		}
		for {
			_, b := ws.Read(10 * time.Second)
			var p push
			if json.Unmarshal(b, &p) == nil && p.Channel == "push.depth" {
				return p
			}
		}
	}
	rest := func() cc.Book {
		var r struct {
			Success bool
			Data    contractDepth
		}
		s.GetJSON(t, "/api/v1/contract/depth/BTC_USDT", &r)
		return r.Data.book(t)
	}
	buf := []push{read()}
	local := booktest.NewLocal(rest())
	snap := local.Seq
	steps, matches := 0, 0
	check := func(at int64) {
		t.Helper()
		if err := local.Check(); err != nil {
			t.Fatal(err)
		}
		if steps%5 != 0 {
			return // the whole book every 5th step: 10,000 levels
		}
		want, _ := s.Env.Books.Book(ctx, "BTC_USDT", at*1000, 0)
		if err := local.Equal(inContracts(want, size), 0); err != nil {
			t.Fatalf("at %d: %v", at, err)
		}
	}
	var start, at int64
	var pending []cc.Book
	for start == 0 || at < start+12_000 || (matches < 2 && at < start+60_000) {
		var p push
		if len(buf) > 0 {
			p, buf = buf[0], buf[1:]
		} else {
			p = read()
		}
		if p.Data.Version <= snap {
			continue
		}
		if p.Symbol != "BTC_USDT" || p.Data.Version != local.Seq+1 {
			t.Fatalf("version %d after %d", p.Data.Version, local.Seq)
		}
		if at != 0 && p.Ts != at {
			check(at)
			steps++
			if steps%10 == 0 && len(pending) < 3 {
				pending = append(pending, rest())
			}
			for len(pending) > 0 && pending[0].Seq <= local.Seq {
				if pending[0].Seq == local.Seq {
					if err := local.Equal(pending[0], 0); err != nil {
						t.Fatalf("REST depth %d: %v", local.Seq, err)
					}
					matches++
				}
				pending = pending[1:]
			}
		}
		b := p.Data.book(t)
		for _, l := range b.Bids {
			local.Set(true, l.Price, l.Size)
		}
		for _, l := range b.Asks {
			local.Set(false, l.Price, l.Size)
		}
		local.Seq, at = p.Data.Version, p.Ts
		if start == 0 {
			start = at
		}
	}
	if steps < 100 || matches < 2 {
		t.Fatalf("%d steps, %d REST depths met", steps, matches)
	}
	// depth.full: the top levels.
	ws.Send(`{"method":"sub.depth.full","param":{"symbol":"BTC_USDT","limit":5}}`)
	for n := 0; n < 3; {
		_, b := ws.Read(5 * time.Second)
		var p push
		if json.Unmarshal(b, &p) != nil || p.Channel != "push.depth.full" {
			continue
		}
		got := p.Data.book(t)
		want, _ := s.Env.Books.Book(ctx, "BTC_USDT", p.Ts*1000, 5)
		if got.Seq != want.Seq || len(got.Bids) != 5 {
			t.Fatalf("depth.full %s", b)
		}
		if err := booktest.Same(got, inContracts(want, size)); err != nil {
			t.Fatal(err)
		}
		n++
	}
}
