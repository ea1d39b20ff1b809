package hyperliquid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The book decoder (plugins.BookDecoder): POST /info {"type":"l2Book"}
// bodies and the l2Book channel's pushes, {"coin","time","levels":
// [[bids],[asks]]} with levels {"px","sz","n"}: whole snapshots of the
// top 20 levels a side, timed in ms, without update ids (Seq 0). A REST
// request that aggregates (nSigFigs, mantissa) gives price buckets, not
// the book's levels, and is not decoded; a subscription's pushes do not
// say whether it aggregates, and are all taken for the book.

var _ plugins.BookDecoder = (*api)(nil)

type l2Body struct {
	Coin   string `json:"coin"`
	Time   int64  `json:"time"`
	Levels []([]struct {
		Px cc.Decimal `json:"px"`
		Sz cc.Decimal `json:"sz"`
	}) `json:"levels"`
}

func (b *l2Body) set() ([]plugins.BookSet, error) {
	if b.Coin == "" || len(b.Levels) != 2 {
		return nil, fmt.Errorf("%w: an l2Book of %d sides", plugins.ErrNotBook, len(b.Levels))
	}
	bk := cc.Book{Time: b.Time * 1000}
	for side, ls := range b.Levels {
		out := make([]cc.BookLevel, len(ls))
		for i, l := range ls {
			out[i] = cc.BookLevel{Price: l.Px, Size: l.Sz}
		}
		if side == 0 {
			bk.Bids = kit.BestFirst(out, true)
		} else {
			bk.Asks = kit.BestFirst(out, false)
		}
	}
	return []plugins.BookSet{{Symbol: b.Coin, Book: bk, Depth: l2Levels}}, nil
}

// DecodeBook implements plugins.BookDecoder; req's body must still be
// readable (GetBody or Body).
func (a *api) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/info" || !bytes.Contains(body, []byte(`"levels"`)) {
		return nil, plugins.ErrNotBook
	}
	var r struct {
		Type string `json:"type"`
		l2Opts
	}
	if err := json.Unmarshal(requestBody(req), &r); err != nil || r.Type != "l2Book" {
		return nil, plugins.ErrNotBook
	}
	if r.NSigFigs != nil || r.Mantissa != nil {
		return nil, fmt.Errorf("%w: an aggregated l2Book", plugins.ErrNotBook)
	}
	var b l2Body
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	return b.set()
}

// DecodeBookFrame implements plugins.BookDecoder.
func (a *api) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	data, ok := channelData(frame, "l2Book")
	if !ok {
		return nil, plugins.ErrNotBook
	}
	var b l2Body
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	return b.set()
}

// channelData is the data of a WS push of channel ({"channel":...,
// "data":...}); ok is false for any other frame.
func channelData(frame []byte, channel string) (data json.RawMessage, ok bool) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`"`+channel+`"`)) {
		return nil, false
	}
	var m struct {
		Channel string          `json:"channel"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(frame, &m); err != nil || m.Channel != channel {
		return nil, false
	}
	return m.Data, true
}
