package binance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The book decoder (plugins.BookDecoder): GET /api/v3/depth and
// /fapi/v1/depth bodies (a snapshot whose Seq is lastUpdateId, its depth
// the limit asked, USD-M's time T), <s>@depth diff events (U, u; USD-M's
// pu is the previous event's u and is not needed to apply one) and the
// partial streams <s>@depth5/10/20 (spot {"lastUpdateId",...}, USD-M a
// depthUpdate event holding the whole top N): snapshots of that depth.
// The symbol of a spot partial event comes from the stream name (the
// combined stream's "stream" or the /ws/<name> path).

var depthPaths = map[string]bool{"/api/v3/depth": true, "/fapi/v1/depth": true}

// depthBody is a REST depth body, a spot partial event and a depthUpdate
// event (and the combined stream wrapper).
type depthBody struct {
	LastUpdateID *int64          `json:"lastUpdateId"`
	T            int64           `json:"T"`
	Bids         [][2]cc.Decimal `json:"bids"`
	Asks         [][2]cc.Decimal `json:"asks"`
	E            string          `json:"e"`
	S            string          `json:"s"`
	First        int64           `json:"U"`
	Last         int64           `json:"u"`
	B            [][2]cc.Decimal `json:"b"`
	A            [][2]cc.Decimal `json:"a"`
	Strm         string          `json:"stream"`
	Inner        json.RawMessage `json:"data"`
	// Fields whose names differ from the above only in case.
	EvTime int64 `json:"E"`
	Prev   int64 `json:"pu"`
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
func (p *Plugin) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil || !depthPaths[req.URL.Path] {
		return nil, plugins.ErrNotBook
	}
	q := req.URL.Query()
	sym := strings.ToUpper(q.Get("symbol"))
	if sym == "" {
		return nil, plugins.ErrNotBook
	}
	var d depthBody
	if err := json.Unmarshal(body, &d); err != nil || d.LastUpdateID == nil {
		return nil, fmt.Errorf("%w: depth body: %v", plugins.ErrNotBook, err)
	}
	depth := depthSpotDefault
	if p.kind == Perpetual {
		depth = depthFuturesDefault
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		depth = n
	}
	bk := cc.Book{Seq: *d.LastUpdateID, Time: d.T * 1000, Bids: bookLevels(d.Bids), Asks: bookLevels(d.Asks)}
	return []plugins.BookSet{{Symbol: sym, Book: bk, Depth: depth}}, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (p *Plugin) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' {
		return nil, plugins.ErrNotBook
	}
	var d depthBody
	if err := json.Unmarshal(frame, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	if d.Strm != "" && len(d.Inner) > 0 {
		name = d.Strm
		inner := d.Inner
		d = depthBody{}
		if err := json.Unmarshal(inner, &d); err != nil {
			return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
		}
	}
	// A connection that subscribed by message (/ws, /stream) names no
	// stream: its depthUpdate events are taken for diffs.
	sym, kind, _ := strings.Cut(name, "@")
	st, ok := p.streamDepth(kind)
	if !ok && d.E != "depthUpdate" {
		return nil, plugins.ErrNotBook
	}
	switch {
	case d.E == "depthUpdate" && d.S != "" && st > 0: // USD-M partial
		bk := cc.Book{Time: d.T * 1000, Seq: d.Last, Bids: bookLevels(d.B), Asks: bookLevels(d.A)}
		return []plugins.BookSet{{Symbol: strings.ToUpper(d.S), Book: bk, Depth: st}}, nil
	case d.E == "depthUpdate" && d.S != "":
		t := d.T
		if t == 0 {
			t = d.EvTime
		}
		df := &cc.BookDiff{Time: t * 1000, FirstSeq: d.First, LastSeq: d.Last, Bids: bookLevels(d.B), Asks: bookLevels(d.A)}
		return []plugins.BookSet{{Symbol: strings.ToUpper(d.S), Diff: df}}, nil
	case d.LastUpdateID != nil && st > 0 && sym != "":
		bk := cc.Book{Seq: *d.LastUpdateID, Bids: bookLevels(d.Bids), Asks: bookLevels(d.Asks)}
		return []plugins.BookSet{{Symbol: strings.ToUpper(sym), Book: bk, Depth: st}}, nil
	}
	return nil, plugins.ErrNotBook
}

// streamDepth reads the kind of a stream name (depth, depth5@100ms, ...):
// ok for a depth stream, levels 0 for diffs.
func (p *Plugin) streamDepth(kind string) (levels int, ok bool) {
	rest, ok := strings.CutPrefix(kind, "depth")
	if !ok {
		return 0, false
	}
	rest, _, _ = strings.Cut(rest, "@")
	switch rest {
	case "":
		return 0, true
	case "5", "10", "20":
		n, _ := strconv.Atoi(rest)
		return n, true
	}
	return 0, false
}
