package okx

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The book decoder (plugins.BookDecoder): /api/v5/market/books and
// books-full bodies (a snapshot of sz levels; OKX's REST names no seqId,
// so its Seq is 0 and its time ts) and the book channels' pushes: books,
// books-l2-tbt and books50-l2-tbt "snapshot" (Seq seqId, depth the
// channel's) and "update" (a diff covering prevSeqId+1 .. seqId), books5
// and bbo-tbt (each push the whole top 5 or 1: a snapshot). Swap sizes
// are contracts, converted as the trade decoder converts them.

type bookRow struct {
	Asks      [][]string `json:"asks"`
	Bids      [][]string `json:"bids"`
	Ts        string     `json:"ts"`
	SeqID     *int64     `json:"seqId"`
	PrevSeqID *int64     `json:"prevSeqId"`
}

type booksBody struct {
	Code string    `json:"code"`
	Data []bookRow `json:"data"`
}

type booksPush struct {
	Arg    wsArg     `json:"arg"`
	Action string    `json:"action"`
	Data   []bookRow `json:"data"`
}

// bookSide reads [[px,sz,"0",orders],...] with sizes shifted by exp.
func bookSide(rows [][]string, exp int) ([]cc.BookLevel, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]cc.BookLevel, len(rows))
	for i, r := range rows {
		if len(r) < 2 {
			return nil, fmt.Errorf("%w: book level %d", plugins.ErrNotBook, i)
		}
		px, err := cc.ParseDecimal(r[0])
		if err != nil {
			return nil, err
		}
		sz, err := cc.ParseDecimal(r[1])
		if err != nil {
			return nil, err
		}
		if exp != 0 {
			sz = shift(sz, exp)
		}
		out[i] = cc.BookLevel{Price: px, Size: sz}
	}
	return out, nil
}

// book reads a row of instID's book.
func (r bookRow) book(instID string) (cc.Book, error) {
	exp := 0
	if isSwap(instID) {
		e, ok := swapExp(instID)
		if !ok {
			return cc.Book{}, fmt.Errorf("%w: contract value of %s unknown", plugins.ErrNotBook, instID)
		}
		exp = e
	}
	ms, err := strconv.ParseInt(r.Ts, 10, 64)
	if err != nil {
		return cc.Book{}, fmt.Errorf("%w: ts %q", plugins.ErrNotBook, r.Ts)
	}
	bk := cc.Book{Time: ms * 1000}
	if r.SeqID != nil {
		bk.Seq = *r.SeqID
	}
	if bk.Bids, err = bookSide(r.Bids, exp); err != nil {
		return cc.Book{}, err
	}
	if bk.Asks, err = bookSide(r.Asks, exp); err != nil {
		return cc.Book{}, err
	}
	return bk, nil
}

// DecodeBook implements plugins.BookDecoder.
func (e *Exchange) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil || (req.URL.Path != "/api/v5/market/books" && req.URL.Path != "/api/v5/market/books-full") {
		return nil, plugins.ErrNotBook
	}
	q := req.URL.Query()
	id := q.Get("instId")
	var b booksBody
	if err := json.Unmarshal(body, &b); err != nil || b.Code != "0" || len(b.Data) != 1 || id == "" {
		return nil, fmt.Errorf("%w: books body: %v", plugins.ErrNotBook, err)
	}
	bk, err := b.Data[0].book(id)
	if err != nil {
		return nil, err
	}
	depth := 1
	if n, err := strconv.Atoi(q.Get("sz")); err == nil && n > 0 {
		depth = n
	}
	return []plugins.BookSet{{Symbol: id, Book: bk, Depth: depth}}, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (e *Exchange) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' {
		return nil, plugins.ErrNotBook
	}
	var f booksPush
	if err := json.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	ch, ok := bookChans[f.Arg.Channel]
	if !ok || len(f.Data) != 1 || f.Arg.InstID == "" {
		return nil, plugins.ErrNotBook
	}
	bk, err := f.Data[0].book(f.Arg.InstID)
	if err != nil {
		return nil, err
	}
	set := plugins.BookSet{Symbol: f.Arg.InstID}
	switch {
	case ch.full || f.Action == "snapshot":
		set.Book, set.Depth = bk, ch.depth
	case f.Action == "update" && f.Data[0].PrevSeqID != nil:
		set.Diff = &cc.BookDiff{Time: bk.Time, FirstSeq: *f.Data[0].PrevSeqID + 1, LastSeq: bk.Seq, Bids: bk.Bids, Asks: bk.Asks}
	default:
		return nil, plugins.ErrNotBook
	}
	return []plugins.BookSet{set}, nil
}
