package gateio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The book decoder (plugins.BookDecoder). REST: GET /api/v4/spot/
// order_book ([price, amount] strings, update in ms) and /api/v4/futures/
// {settle}/order_book ({"p","s"} levels with s in contracts, update in
// seconds with ms decimals): snapshots of the limit asked (default 10),
// Seq the with_id "id" (0 without it). WS: spot.order_book_update and
// futures.order_book_update diffs covering U..u (t in ms; spot's
// full=true push is a snapshot with id u, of the stream's 20 or 100
// levels), spot.order_book (lastUpdateId) and futures.order_book ("all",
// id) snapshots of the level "l" asked. Futures contract counts become
// the base asset with the contract size the plugin serves for the
// contract's base (as the trade decoder converts them).

var _ plugins.BookDecoder = (*api)(nil)

// gateLevel is a futures level {"p","s"}, or a spot [price, amount].
type gateLevel struct {
	P cc.Decimal `json:"p"`
	S cc.Decimal `json:"s"`
}

func (l *gateLevel) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var a []cc.Decimal
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		if len(a) < 2 {
			return fmt.Errorf("%w: a level of %d fields", plugins.ErrNotBook, len(a))
		}
		l.P, l.S = a[0], a[1]
		return nil
	}
	type plain gateLevel
	return json.Unmarshal(b, (*plain)(l))
}

// gateBook is a REST book and every book push's result.
type gateBook struct {
	ID           *int64      `json:"id"`
	LastUpdateID *int64      `json:"lastUpdateId"`
	Update       cc.Decimal  `json:"update"` // REST: spot ms, futures s
	T            int64       `json:"t"`      // pushes, ms
	Full         bool        `json:"full"`
	S            string      `json:"s"`
	Contract     string      `json:"contract"`
	First        int64       `json:"U"`
	Last         int64       `json:"u"`
	L            string      `json:"l"`
	Bids         []gateLevel `json:"bids"`
	Asks         []gateLevel `json:"asks"`
	B            []gateLevel `json:"b"`
	A            []gateLevel `json:"a"`
}

// gateSide reads levels best first, sizes times mult unless it is zero.
func gateSide(ls []gateLevel, mult cc.Decimal, desc bool) []cc.BookLevel {
	if len(ls) == 0 {
		return nil
	}
	out := make([]cc.BookLevel, len(ls))
	for i, l := range ls {
		out[i] = cc.BookLevel{Price: l.P, Size: l.S}
		if !mult.IsZero() {
			out[i].Size = l.S.Mul(mult)
		}
	}
	return kit.BestFirst(out, desc)
}

// futuresMult is the contract size of a futures contract.
func futuresMult(contract string) (cc.Decimal, error) {
	m, ok := contractSize(contract)
	if !ok {
		return cc.Decimal{}, fmt.Errorf("%w: contract size of %s unknown", plugins.ErrNotBook, contract)
	}
	return m, nil
}

// DecodeBook implements plugins.BookDecoder.
func (a *api) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil {
		return nil, plugins.ErrNotBook
	}
	path, q := req.URL.Path, req.URL.Query()
	futures := strings.HasPrefix(path, "/api/v4/futures/") && strings.HasSuffix(path, "/order_book") && strings.Count(path, "/") == 5
	if path != "/api/v4/spot/order_book" && !futures {
		return nil, plugins.ErrNotBook
	}
	sym := q.Get("currency_pair")
	var mult cc.Decimal
	if futures {
		sym = q.Get("contract")
	}
	if sym == "" {
		return nil, plugins.ErrNotBook
	}
	if futures {
		var err error
		if mult, err = futuresMult(sym); err != nil {
			return nil, err
		}
	}
	var g gateBook
	if err := json.Unmarshal(body, &g); err != nil || (g.Bids == nil && g.Asks == nil) {
		return nil, fmt.Errorf("%w: order_book body: %v", plugins.ErrNotBook, err)
	}
	bk := cc.Book{Bids: gateSide(g.Bids, mult, true), Asks: gateSide(g.Asks, mult, false)}
	if g.ID != nil {
		bk.Seq = *g.ID
	}
	if futures {
		bk.Time = g.Update.Rescale(6).Units // seconds
	} else {
		bk.Time = g.Update.Rescale(0).Units * 1000 // ms
	}
	depth := 10
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		depth = min(n, maxBookLimit)
	}
	return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: depth}}, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (a *api) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !(bytes.Contains(frame, []byte(".order_book")) || bytes.Contains(frame, []byte(`"spot.obu"`))) {
		return nil, plugins.ErrNotBook
	}
	var m struct {
		Channel string          `json:"channel"`
		Event   string          `json:"event"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	if (m.Event != "update" && m.Event != "all") || len(m.Result) == 0 || m.Result[0] != '{' {
		return nil, plugins.ErrNotBook // acks, errors
	}
	var g gateBook
	if err := json.Unmarshal(m.Result, &g); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	futures := strings.HasPrefix(m.Channel, "futures.")
	sym := g.S
	if g.Contract != "" {
		sym = g.Contract
	}
	obuDepth := 0
	if m.Channel == "spot.obu" {
		// "s" is the stream, ob.{pair}.{level}.
		st, ok := parseObu(g.S)
		if !ok {
			return nil, fmt.Errorf("%w: spot.obu stream %q", plugins.ErrNotBook, g.S)
		}
		sym, obuDepth = st.pair, st.depth
	}
	if sym == "" {
		return nil, plugins.ErrNotBook
	}
	var mult cc.Decimal
	if futures {
		var err error
		if mult, err = futuresMult(sym); err != nil {
			return nil, err
		}
	}
	switch m.Channel {
	case "spot.obu":
		// A full push (the book at its first instant, or again after
		// the stream restarted) or a diff of ids U..u.
		if g.Last == 0 {
			return nil, fmt.Errorf("%w: a spot.obu push without u", plugins.ErrNotBook)
		}
		if g.Full {
			bk := cc.Book{Time: g.T * 1000, Seq: g.Last, Bids: gateSide(g.B, mult, true), Asks: gateSide(g.A, mult, false)}
			return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: obuDepth}}, nil
		}
		d := &cc.BookDiff{Time: g.T * 1000, FirstSeq: g.First, LastSeq: g.Last, Bids: gateSide(g.B, mult, true), Asks: gateSide(g.A, mult, false)}
		return []plugins.BookSet{{Symbol: sym, Diff: d}}, nil
	case "spot.order_book_update", "futures.order_book_update":
		if g.Full {
			bk := cc.Book{Time: g.T * 1000, Seq: g.Last, Bids: gateSide(g.B, mult, true), Asks: gateSide(g.A, mult, false)}
			depth := 100
			if len(bk.Bids) <= 20 && len(bk.Asks) <= 20 {
				depth = 20
			}
			if n, err := strconv.Atoi(g.L); err == nil && n > 0 {
				depth = n
			}
			return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: depth}}, nil
		}
		if g.Last == 0 {
			return nil, fmt.Errorf("%w: an order_book_update without u", plugins.ErrNotBook)
		}
		d := &cc.BookDiff{Time: g.T * 1000, FirstSeq: g.First, LastSeq: g.Last, Bids: gateSide(g.B, mult, true), Asks: gateSide(g.A, mult, false)}
		return []plugins.BookSet{{Symbol: sym, Diff: d}}, nil
	case "spot.order_book", "futures.order_book":
		bk := cc.Book{Time: g.T * 1000, Bids: gateSide(g.Bids, mult, true), Asks: gateSide(g.Asks, mult, false)}
		switch {
		case g.LastUpdateID != nil:
			bk.Seq = *g.LastUpdateID
		case g.ID != nil:
			bk.Seq = *g.ID
		}
		depth, _ := strconv.Atoi(g.L)
		return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: depth}}, nil
	}
	return nil, plugins.ErrNotBook
}
