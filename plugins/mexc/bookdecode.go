package mexc

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

// The book decoder (plugins.BookDecoder). REST: spot GET /api/v3/depth
// (Seq lastUpdateId, the limit asked, default 100) and contract GET
// /api/v1/contract/depth/{symbol} (Seq version, default all levels). WS
// spot (protobuf): publicAggreDepths pushes are diffs covering
// fromVersion..toVersion, publicLimitDepths pushes snapshots of the
// channel's 5, 10 or 20 levels with their version; times are the
// wrapper's createTime. WS contract: push.depth (one version a message:
// a diff of that id, the extra changes of a step repeating the last) and
// push.depth.full (snapshots). Contract volumes are converted to the base
// asset with the contract size the plugin serves for the contract's base
// (cc.DefaultPairs' price), as the trade decoder converts them.

var _ plugins.BookDecoder = (*api)(nil)

// contractBook is a contract depth body's data and a depth push's data:
// levels [price, contracts, orders].
type contractBook struct {
	Asks      [][]cc.Decimal `json:"asks"`
	Bids      [][]cc.Decimal `json:"bids"`
	Version   int64          `json:"version"`
	Timestamp int64          `json:"timestamp"`
}

// side reads levels best first, sizes times size unless it is zero.
func depthSide(rows [][]cc.Decimal, size cc.Decimal, desc bool) ([]cc.BookLevel, error) {
	ls, ok := kit.Levels(rows)
	if !ok {
		return nil, fmt.Errorf("%w: a depth level of fewer than two fields", plugins.ErrNotBook)
	}
	if !size.IsZero() {
		for i := range ls {
			ls[i].Size = ls[i].Size.Mul(size)
		}
	}
	return kit.BestFirst(ls, desc), nil
}

func (c *contractBook) book(contract string) (cc.Book, error) {
	size, ok := contractSize(contract)
	if !ok {
		return cc.Book{}, fmt.Errorf("%w: contract size of %s unknown", plugins.ErrNotBook, contract)
	}
	bk := cc.Book{Seq: c.Version, Time: c.Timestamp * 1000}
	var err error
	if bk.Bids, err = depthSide(c.Bids, size, true); err != nil {
		return cc.Book{}, err
	}
	if bk.Asks, err = depthSide(c.Asks, size, false); err != nil {
		return cc.Book{}, err
	}
	return bk, nil
}

// DecodeBook implements plugins.BookDecoder.
func (a *api) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil {
		return nil, plugins.ErrNotBook
	}
	q := req.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if contract, ok := strings.CutPrefix(req.URL.Path, "/api/v1/contract/depth/"); ok && contract != "" {
		var m struct {
			Success bool          `json:"success"`
			Data    *contractBook `json:"data"`
		}
		if err := json.Unmarshal(body, &m); err != nil || !m.Success || m.Data == nil {
			return nil, fmt.Errorf("%w: contract depth body: %v", plugins.ErrNotBook, err)
		}
		bk, err := m.Data.book(contract)
		if err != nil {
			return nil, err
		}
		return []plugins.BookSet{{Symbol: contract, Book: bk, Depth: max(limit, 0)}}, nil
	}
	sym := q.Get("symbol")
	if req.URL.Path != "/api/v3/depth" || sym == "" {
		return nil, plugins.ErrNotBook
	}
	var d struct {
		LastUpdateID *int64         `json:"lastUpdateId"`
		Bids         [][]cc.Decimal `json:"bids"`
		Asks         [][]cc.Decimal `json:"asks"`
		Timestamp    int64          `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.LastUpdateID == nil {
		return nil, fmt.Errorf("%w: depth body: %v", plugins.ErrNotBook, err)
	}
	bk := cc.Book{Seq: *d.LastUpdateID, Time: d.Timestamp * 1000}
	var err error
	if bk.Bids, err = depthSide(d.Bids, cc.Decimal{}, true); err != nil {
		return nil, err
	}
	if bk.Asks, err = depthSide(d.Asks, cc.Decimal{}, false); err != nil {
		return nil, err
	}
	depth := 100
	if limit > 0 {
		depth = min(limit, maxSpotDepth)
	}
	return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: depth}}, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (a *api) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 {
		return nil, plugins.ErrNotBook
	}
	if frame[0] == '{' {
		return decodeContractDepth(frame)
	}
	var channel, sym string
	var at int64
	var body []byte
	var field int
	err := fields(frame, func(num, wire int, v uint64, p []byte) error {
		switch {
		case num == fChannel && wire == wireBytes:
			channel = string(p)
		case num == fSymbol && wire == wireBytes:
			sym = string(p)
		case num == fCreateTime && wire == wireVarint:
			at = int64(v)
		case (num == fPublicAggreDepths || num == fPublicLimitDepths) && wire == wireBytes:
			body, field = p, num
		}
		return nil
	})
	if err != nil || body == nil || sym == "" {
		return nil, plugins.ErrNotBook
	}
	var bids, asks []cc.BookLevel
	var from, to, version int64
	err = fields(body, func(num, wire int, v uint64, p []byte) error {
		switch {
		case (num == 1 || num == 2) && wire == wireBytes:
			var l cc.BookLevel
			var ferr error
			if err := fields(p, func(num, wire int, v uint64, q []byte) error {
				switch {
				case num == 1 && wire == wireBytes:
					l.Price, ferr = cc.ParseDecimal(string(q))
				case num == 2 && wire == wireBytes:
					l.Size, ferr = cc.ParseDecimal(string(q))
				}
				return ferr
			}); err != nil {
				return err
			}
			if num == 1 {
				asks = append(asks, l)
			} else {
				bids = append(bids, l)
			}
		case num == 4 && wire == wireBytes:
			n, err := strconv.ParseInt(string(p), 10, 64)
			from, version = n, n
			return err
		case num == 5 && wire == wireBytes:
			n, err := strconv.ParseInt(string(p), 10, 64)
			to = n
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	bids, asks = kit.BestFirst(bids, true), kit.BestFirst(asks, false)
	if field == fPublicAggreDepths {
		if to == 0 {
			return nil, fmt.Errorf("%w: an aggre depth push without toVersion", plugins.ErrNotBook)
		}
		d := &cc.BookDiff{Time: at * 1000, FirstSeq: from, LastSeq: to, Bids: bids, Asks: asks}
		return []plugins.BookSet{{Symbol: sym, Diff: d}}, nil
	}
	depth := 0
	if i := strings.LastIndexByte(channel, '@'); i >= 0 {
		depth, _ = strconv.Atoi(channel[i+1:])
	}
	bk := cc.Book{Time: at * 1000, Seq: version, Bids: bids, Asks: asks}
	return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: depth}}, nil
}

// decodeContractDepth reads a contract push.depth or push.depth.full.
func decodeContractDepth(frame []byte) ([]plugins.BookSet, error) {
	if !bytes.Contains(frame, []byte(`"push.depth`)) {
		return nil, plugins.ErrNotBook
	}
	var m struct {
		Channel string       `json:"channel"`
		Data    contractBook `json:"data"`
		Symbol  string       `json:"symbol"`
		Ts      int64        `json:"ts"`
	}
	if err := json.Unmarshal(frame, &m); err != nil || m.Symbol == "" {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	if m.Data.Timestamp == 0 {
		m.Data.Timestamp = m.Ts
	}
	bk, err := m.Data.book(m.Symbol)
	if err != nil {
		return nil, err
	}
	switch m.Channel {
	case "push.depth.full":
		// The limit asked (5, 10 or 20) is not in the push: the least
		// that holds its levels.
		depth := 20
		for _, n := range []int{5, 10} {
			if len(bk.Bids) <= n && len(bk.Asks) <= n {
				depth = n
				break
			}
		}
		return []plugins.BookSet{{Symbol: m.Symbol, Book: bk, Depth: depth}}, nil
	case "push.depth":
		if bk.Seq <= 0 {
			return nil, fmt.Errorf("%w: a push.depth without a version", plugins.ErrNotBook)
		}
		d := &cc.BookDiff{Time: bk.Time, FirstSeq: bk.Seq, LastSeq: bk.Seq, Bids: bk.Bids, Asks: bk.Asks}
		return []plugins.BookSet{{Symbol: m.Symbol, Diff: d}}, nil
	}
	return nil, plugins.ErrNotBook
}
