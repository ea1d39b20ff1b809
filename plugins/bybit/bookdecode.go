package bybit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The book decoder (plugins.BookDecoder): GET /v5/market/orderbook
// results (a snapshot of limit levels, default spot 1, else 25; Seq the
// cross sequence seq, the book's update id) and orderbook.{depth}.{sym}
// messages: "snapshot" (depth the topic's) and "delta" (a diff whose
// LastSeq is seq; Bybit names no first id, so FirstSeq is 0). Times are
// the book's cts (ms).

type bookData struct {
	S   string          `json:"s"`
	B   [][2]cc.Decimal `json:"b"`
	A   [][2]cc.Decimal `json:"a"`
	Seq int64           `json:"seq"`
	Cts int64           `json:"cts"`
}

func bookLevels(ls [][2]cc.Decimal) []cc.BookLevel {
	if len(ls) == 0 {
		return nil
	}
	out := make([]cc.BookLevel, len(ls))
	for i, l := range ls {
		out[i] = cc.BookLevel{Price: l[0], Size: l[1]}
	}
	return out
}

// DecodeBook implements plugins.BookDecoder.
func (e *Exchange) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/v5/market/orderbook" {
		return nil, plugins.ErrNotBook
	}
	var r struct {
		RetCode *int     `json:"retCode"`
		Result  bookData `json:"result"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.RetCode == nil || *r.RetCode != 0 || r.Result.S == "" {
		return nil, fmt.Errorf("%w: orderbook body: %v", plugins.ErrNotBook, err)
	}
	q := req.URL.Query()
	depth := 25
	if q.Get("category") == "spot" {
		depth = 1
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		depth = n
	}
	d := r.Result
	bk := cc.Book{Time: d.Cts * 1000, Seq: d.Seq, Bids: bookLevels(d.B), Asks: bookLevels(d.A)}
	return []plugins.BookSet{{Symbol: d.S, Book: bk, Depth: depth}}, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (e *Exchange) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' {
		return nil, plugins.ErrNotBook
	}
	var m struct {
		Topic string   `json:"topic"`
		Type  string   `json:"type"`
		Data  bookData `json:"data"`
		Cts   int64    `json:"cts"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	rest, ok := strings.CutPrefix(m.Topic, "orderbook.")
	if !ok || m.Data.S == "" {
		return nil, plugins.ErrNotBook
	}
	depthName, _, _ := strings.Cut(rest, ".")
	depth, _ := strconv.Atoi(depthName)
	d := m.Data
	switch m.Type {
	case "snapshot":
		bk := cc.Book{Time: m.Cts * 1000, Seq: d.Seq, Bids: bookLevels(d.B), Asks: bookLevels(d.A)}
		return []plugins.BookSet{{Symbol: d.S, Book: bk, Depth: depth}}, nil
	case "delta":
		df := &cc.BookDiff{Time: m.Cts * 1000, LastSeq: d.Seq, Bids: bookLevels(d.B), Asks: bookLevels(d.A)}
		return []plugins.BookSet{{Symbol: d.S, Diff: df}}, nil
	}
	return nil, plugins.ErrNotBook
}
