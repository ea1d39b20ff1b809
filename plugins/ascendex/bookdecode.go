package ascendex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The book decoder (plugins.BookDecoder): GET /api/pro/v1/depth bodies
// and the WS depth-snapshot reply ({"m":"depth-snapshot","symbol","data":
// {"seqnum","ts","asks","bids"}}: snapshots with seqnum as Seq, as deep
// as the stream keeps), and depth:SYMBOL messages ({"m":"depth",...}):
// one seqnum each, a diff of that id ([price, size] strings, size "0"
// removes the level).

var _ plugins.BookDecoder = (*Spot)(nil)

type depthMsg struct {
	M      string `json:"m"`
	Symbol string `json:"symbol"`
	Data   struct {
		Seqnum *int64         `json:"seqnum"`
		Ts     int64          `json:"ts"`
		Asks   [][]cc.Decimal `json:"asks"`
		Bids   [][]cc.Decimal `json:"bids"`
	} `json:"data"`
}

func (m *depthMsg) set() ([]plugins.BookSet, error) {
	if m.Symbol == "" || m.Data.Seqnum == nil {
		return nil, fmt.Errorf("%w: %s without a symbol or seqnum", plugins.ErrNotBook, m.M)
	}
	bids, ok1 := kit.Levels(m.Data.Bids)
	asks, ok2 := kit.Levels(m.Data.Asks)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: a depth level of fewer than two fields", plugins.ErrNotBook)
	}
	bids, asks = kit.BestFirst(bids, true), kit.BestFirst(asks, false)
	seq, at := *m.Data.Seqnum, m.Data.Ts*1000
	switch m.M {
	case "depth-snapshot":
		return []plugins.BookSet{{Symbol: m.Symbol, Book: cc.Book{Time: at, Seq: seq, Bids: bids, Asks: asks}}}, nil
	case "depth":
		return []plugins.BookSet{{Symbol: m.Symbol, Diff: &cc.BookDiff{Time: at, FirstSeq: seq, LastSeq: seq, Bids: bids, Asks: asks}}}, nil
	}
	return nil, plugins.ErrNotBook
}

// DecodeBook implements plugins.BookDecoder.
func (*Spot) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/api/pro/v1/depth" {
		return nil, plugins.ErrNotBook
	}
	var r struct {
		Code int      `json:"code"`
		Data depthMsg `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Code != 0 || r.Data.M != "depth-snapshot" {
		return nil, fmt.Errorf("%w: depth body: %v", plugins.ErrNotBook, err)
	}
	return r.Data.set()
}

// DecodeBookFrame implements plugins.BookDecoder.
func (*Spot) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`"depth`)) {
		return nil, plugins.ErrNotBook
	}
	var m depthMsg
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	if m.M != "depth" && m.M != "depth-snapshot" {
		return nil, plugins.ErrNotBook
	}
	return m.set()
}
