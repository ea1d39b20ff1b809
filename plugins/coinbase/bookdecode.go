package coinbase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The book decoder (plugins.BookDecoder): GET /api/v3/brokerage/market/
// product_book (and the signed /api/v3/brokerage/product_book) bodies, a
// snapshot of the limit asked (0: the whole book) timed by pricebook.time,
// and the level2 channel's l2_data messages: a "snapshot" event (the
// whole book) and "update" events (new_quantity "0" removes a level),
// timed by the message's timestamp. Coinbase's level2 has no book update
// ids — sequence_num counts a connection's messages of every channel —
// so Seq, FirstSeq and LastSeq are 0. The Exchange feed's level2 shape
// ({"type":"snapshot","bids","asks"}, {"type":"l2update","changes",
// "time"}) is read as well.

var _ plugins.BookDecoder = (*Plugin)(nil)

type cbLevel struct {
	Price cc.Decimal `json:"price"`
	Size  cc.Decimal `json:"size"`
}

func cbSide(ls []cbLevel, desc bool) []cc.BookLevel {
	if len(ls) == 0 {
		return nil
	}
	out := make([]cc.BookLevel, len(ls))
	for i, l := range ls {
		out[i] = cc.BookLevel{Price: l.Price, Size: l.Size}
	}
	return kit.BestFirst(out, desc)
}

func parseTime(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%w: time %q", plugins.ErrNotBook, s)
	}
	return t.UnixMicro(), nil
}

// DecodeBook implements plugins.BookDecoder.
func (*Plugin) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil || (req.URL.Path != "/api/v3/brokerage/market/product_book" && req.URL.Path != "/api/v3/brokerage/product_book") {
		return nil, plugins.ErrNotBook
	}
	var r struct {
		Pricebook *struct {
			ProductID string    `json:"product_id"`
			Bids      []cbLevel `json:"bids"`
			Asks      []cbLevel `json:"asks"`
			Time      string    `json:"time"`
		} `json:"pricebook"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Pricebook == nil || r.Pricebook.ProductID == "" {
		return nil, fmt.Errorf("%w: product_book body: %v", plugins.ErrNotBook, err)
	}
	at, err := parseTime(r.Pricebook.Time)
	if err != nil {
		return nil, err
	}
	depth, _ := strconv.Atoi(req.URL.Query().Get("limit"))
	bk := cc.Book{Time: at, Bids: cbSide(r.Pricebook.Bids, true), Asks: cbSide(r.Pricebook.Asks, false)}
	return []plugins.BookSet{{Symbol: r.Pricebook.ProductID, Book: bk, Depth: max(depth, 0)}}, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (*Plugin) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' {
		return nil, plugins.ErrNotBook
	}
	if !bytes.Contains(frame, []byte(`"l2_data"`)) {
		return decodeExchangeL2(frame)
	}
	var m struct {
		Channel   string `json:"channel"`
		Timestamp string `json:"timestamp"`
		Events    []struct {
			Type      string `json:"type"`
			ProductID string `json:"product_id"`
			Updates   []struct {
				Side        string     `json:"side"`
				PriceLevel  cc.Decimal `json:"price_level"`
				NewQuantity cc.Decimal `json:"new_quantity"`
			} `json:"updates"`
		} `json:"events"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	if m.Channel != "l2_data" {
		return nil, plugins.ErrNotBook
	}
	at, err := parseTime(m.Timestamp)
	if err != nil {
		return nil, err
	}
	var out []plugins.BookSet
	for _, e := range m.Events {
		if e.ProductID == "" || (e.Type != "snapshot" && e.Type != "update") {
			return nil, fmt.Errorf("%w: l2_data event %q of %q", plugins.ErrNotBook, e.Type, e.ProductID)
		}
		var bids, asks []cc.BookLevel
		for _, u := range e.Updates {
			l := cc.BookLevel{Price: u.PriceLevel, Size: u.NewQuantity}
			switch u.Side {
			case "bid":
				bids = append(bids, l)
			case "offer", "ask":
				asks = append(asks, l)
			default:
				return nil, fmt.Errorf("%w: l2_data side %q", plugins.ErrNotBook, u.Side)
			}
		}
		bids, asks = kit.BestFirst(bids, true), kit.BestFirst(asks, false)
		if e.Type == "snapshot" {
			out = append(out, plugins.BookSet{Symbol: e.ProductID, Book: cc.Book{Time: at, Bids: bids, Asks: asks}})
		} else {
			out = append(out, plugins.BookSet{Symbol: e.ProductID, Diff: &cc.BookDiff{Time: at, Bids: bids, Asks: asks}})
		}
	}
	if len(out) == 0 {
		return nil, plugins.ErrNotBook
	}
	return out, nil
}

// decodeExchangeL2 reads the Exchange feed's level2 messages: snapshot
// {"product_id","bids":[[price,size]],"asks"} (no time) and l2update
// {"product_id","time","changes":[[side,price,size]]}.
func decodeExchangeL2(frame []byte) ([]plugins.BookSet, error) {
	if !bytes.Contains(frame, []byte(`"snapshot"`)) && !bytes.Contains(frame, []byte(`"l2update"`)) {
		return nil, plugins.ErrNotBook
	}
	var m struct {
		Type      string         `json:"type"`
		ProductID string         `json:"product_id"`
		Time      string         `json:"time"`
		Bids      [][]cc.Decimal `json:"bids"`
		Asks      [][]cc.Decimal `json:"asks"`
		Changes   [][3]string    `json:"changes"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	if m.ProductID == "" {
		return nil, plugins.ErrNotBook
	}
	at, err := parseTime(m.Time)
	if err != nil {
		return nil, err
	}
	switch m.Type {
	case "snapshot":
		bids, ok1 := kit.Levels(m.Bids)
		asks, ok2 := kit.Levels(m.Asks)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: a snapshot level of fewer than two fields", plugins.ErrNotBook)
		}
		bk := cc.Book{Time: at, Bids: kit.BestFirst(bids, true), Asks: kit.BestFirst(asks, false)}
		return []plugins.BookSet{{Symbol: m.ProductID, Book: bk}}, nil
	case "l2update":
		var bids, asks []cc.BookLevel
		for _, c := range m.Changes {
			px, err1 := cc.ParseDecimal(c[1])
			sz, err2 := cc.ParseDecimal(c[2])
			if err1 != nil || err2 != nil || (c[0] != "buy" && c[0] != "sell") {
				return nil, fmt.Errorf("%w: l2update change %q", plugins.ErrNotBook, c)
			}
			if c[0] == "buy" {
				bids = append(bids, cc.BookLevel{Price: px, Size: sz})
			} else {
				asks = append(asks, cc.BookLevel{Price: px, Size: sz})
			}
		}
		d := &cc.BookDiff{Time: at, Bids: kit.BestFirst(bids, true), Asks: kit.BestFirst(asks, false)}
		return []plugins.BookSet{{Symbol: m.ProductID, Diff: d}}, nil
	}
	return nil, plugins.ErrNotBook
}
