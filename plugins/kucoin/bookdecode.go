package kucoin

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

// The book decoder (plugins.BookDecoder). REST: spot level2_20,
// level2_100 and the full /api/v3/market/orderbook/level2 (Seq the
// "sequence" string, time ms), futures /api/v1/level2/snapshot, depth20
// and depth100 (Seq sequence, ts ns). WS: spot /market/level2: changes
// (a diff covering sequenceStart..sequenceEnd, time ms; each change's own
// sequence orders changes at one price) and /spotMarket/level2Depth5:/50:
// (snapshots of that depth, no sequence), futures /contractMarket/level2:
// (one change "price,side,size" a message: a diff of its one sequence)
// and /contractMarket/level2Depth5:/50: (snapshots with their sequence).
// Futures sizes are contracts: times the contract's multiplier, as the
// plugin's encoder counts them.

// bookRESTDepths are the REST book paths and the depth each lists (0:
// the whole book).
var bookRESTDepths = map[string]struct {
	depth   int
	futures bool
}{
	"/api/v1/market/orderbook/level2_20":  {20, false},
	"/api/v1/market/orderbook/level2_100": {100, false},
	"/api/v3/market/orderbook/level2":     {0, false},
	"/api/v1/level2/snapshot":             {0, true},
	"/api/v1/level2/depth20":              {20, true},
	"/api/v1/level2/depth100":             {100, true},
}

// bookData is a REST book's data and a WS book message's data.
type bookData struct {
	Sequence  json.RawMessage `json:"sequence"`  // spot REST "123", futures 123
	Time      int64           `json:"time"`      // spot REST and level2, ms
	Ts        int64           `json:"ts"`        // futures, ns
	Timestamp int64           `json:"timestamp"` // depth topics and futures level2, ms
	Bids      [][]cc.Decimal  `json:"bids"`
	Asks      [][]cc.Decimal  `json:"asks"`
	Changes   *struct {
		Asks [][]cc.Decimal `json:"asks"`
		Bids [][]cc.Decimal `json:"bids"`
	} `json:"changes"`
	SequenceStart int64  `json:"sequenceStart"`
	SequenceEnd   int64  `json:"sequenceEnd"`
	Symbol        string `json:"symbol"`
	Change        string `json:"change"` // futures level2: "price,side,size"
}

// seq reads the sequence, a string or a number; 0 without one.
func (d *bookData) seq() (int64, error) {
	s := strings.Trim(string(d.Sequence), `"`)
	if s == "" || s == "null" {
		return 0, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// side reads levels, sizes in contracts of mult when mult is not zero.
func bookSide(rows [][]cc.Decimal, mult cc.Decimal, desc bool) ([]cc.BookLevel, error) {
	ls, ok := kit.Levels(rows)
	if !ok {
		return nil, fmt.Errorf("%w: a book level of fewer than two fields", plugins.ErrNotBook)
	}
	if !mult.IsZero() {
		for i := range ls {
			ls[i].Size = ls[i].Size.Mul(mult)
		}
	}
	return kit.BestFirst(ls, desc), nil
}

// book reads d's bids and asks as a book (futures: sizes times mult).
func (d *bookData) book(mult cc.Decimal) (cc.Book, error) {
	if d.Bids == nil && d.Asks == nil {
		return cc.Book{}, fmt.Errorf("%w: a book without bids or asks", plugins.ErrNotBook)
	}
	seq, err := d.seq()
	if err != nil {
		return cc.Book{}, fmt.Errorf("%w: sequence %s", plugins.ErrNotBook, d.Sequence)
	}
	bk := cc.Book{Seq: seq}
	switch {
	case d.Ts != 0:
		bk.Time = d.Ts / 1000
	case d.Time != 0:
		bk.Time = d.Time * 1000
	default:
		bk.Time = d.Timestamp * 1000
	}
	if bk.Bids, err = bookSide(d.Bids, mult, true); err != nil {
		return cc.Book{}, err
	}
	if bk.Asks, err = bookSide(d.Asks, mult, false); err != nil {
		return cc.Book{}, err
	}
	return bk, nil
}

// DecodeBook implements plugins.BookDecoder.
func (p *Plugin) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil {
		return nil, plugins.ErrNotBook
	}
	rp, ok := bookRESTDepths[req.URL.Path]
	sym := req.URL.Query().Get("symbol")
	if !ok || sym == "" {
		return nil, plugins.ErrNotBook
	}
	var env struct {
		Code string    `json:"code"`
		Data *bookData `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Code != "200000" || env.Data == nil {
		return nil, fmt.Errorf("%w: book body: %v", plugins.ErrNotBook, err)
	}
	var mult cc.Decimal
	if rp.futures {
		mult = multiplier(sym)
	}
	bk, err := env.Data.book(mult)
	if err != nil {
		return nil, err
	}
	return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: rp.depth}}, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (p *Plugin) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`level2`)) {
		return nil, plugins.ErrNotBook
	}
	var m struct {
		Topic string   `json:"topic"`
		Type  string   `json:"type"`
		Data  bookData `json:"data"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	if m.Type != "message" {
		return nil, plugins.ErrNotBook
	}
	for _, bt := range bookTopics {
		sym, ok := strings.CutPrefix(m.Topic, bt.prefix)
		if !ok || sym == "" || strings.Contains(sym, ",") {
			continue
		}
		var mult cc.Decimal
		if bt.futures {
			mult = multiplier(sym)
		}
		d := &m.Data
		switch {
		case bt.depth > 0:
			bk, err := d.book(mult)
			if err != nil {
				return nil, err
			}
			return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: bt.depth}}, nil
		case bt.futures:
			return futuresChange(sym, d, mult)
		case d.Changes != nil:
			df := &cc.BookDiff{Time: d.Time * 1000, FirstSeq: d.SequenceStart, LastSeq: d.SequenceEnd}
			var err error
			if df.Bids, err = changeSide(d.Changes.Bids, true); err != nil {
				return nil, err
			}
			if df.Asks, err = changeSide(d.Changes.Asks, false); err != nil {
				return nil, err
			}
			return []plugins.BookSet{{Symbol: sym, Diff: df}}, nil
		}
	}
	return nil, plugins.ErrNotBook
}

// changeSide reads spot level2 changes [price, size, sequence] in
// sequence order, best first (the latest change at a price wins).
func changeSide(rows [][]cc.Decimal, desc bool) ([]cc.BookLevel, error) {
	type change struct {
		l   cc.BookLevel
		seq cc.Decimal
	}
	cs := make([]change, 0, len(rows))
	for _, r := range rows {
		if len(r) < 2 {
			return nil, fmt.Errorf("%w: a level2 change of fewer than two fields", plugins.ErrNotBook)
		}
		c := change{l: cc.BookLevel{Price: r[0], Size: r[1]}}
		if len(r) > 2 {
			c.seq = r[2]
		}
		cs = append(cs, c)
	}
	// Sequence order (stable: equal or missing sequences keep theirs).
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].seq.Cmp(cs[j-1].seq) < 0; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	ls := make([]cc.BookLevel, len(cs))
	for i, c := range cs {
		ls[i] = c.l
	}
	return kit.BestFirst(ls, desc), nil
}

// futuresChange reads a /contractMarket/level2 message: one change.
func futuresChange(sym string, d *bookData, mult cc.Decimal) ([]plugins.BookSet, error) {
	seq, err := d.seq()
	f := strings.Split(d.Change, ",")
	if err != nil || seq <= 0 || len(f) != 3 || (f[1] != "buy" && f[1] != "sell") {
		return nil, fmt.Errorf("%w: level2 change %q sequence %s", plugins.ErrNotBook, d.Change, d.Sequence)
	}
	px, err := cc.ParseDecimal(f[0])
	if err != nil {
		return nil, fmt.Errorf("%w: level2 change price %q", plugins.ErrNotBook, f[0])
	}
	sz, err := cc.ParseDecimal(f[2])
	if err != nil {
		return nil, fmt.Errorf("%w: level2 change size %q", plugins.ErrNotBook, f[2])
	}
	l := []cc.BookLevel{{Price: px, Size: sz.Mul(mult)}}
	df := &cc.BookDiff{Time: d.Timestamp * 1000, FirstSeq: seq, LastSeq: seq}
	if f[1] == "buy" {
		df.Bids = l
	} else {
		df.Asks = l
	}
	return []plugins.BookSet{{Symbol: sym, Diff: df}}, nil
}

var _ plugins.BookDecoder = (*Plugin)(nil)
