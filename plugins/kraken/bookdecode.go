package kraken

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

// The book decoder (plugins.BookDecoder): /0/public/Depth bodies
// ({"<key>":{"asks":[[price, volume, time]...],"bids":...}}: a snapshot
// of the count asked, default 100, without a time of its own — each
// level has the second it last changed) and the WS v2 book channel: a
// "snapshot" (checked against its checksum; of the depth subscribed, read
// as the least of 10, 25, 100, 500 and 1000 that holds its levels) and
// "update" diffs timed by their timestamp; the v2 symbol (BTC/USD) is
// given as the native wsname (XBT/USD) the REST key also reads as. Kraken names no update ids
// (Seq, FirstSeq and LastSeq 0); an update's checksum holds for the book
// it leads to, which one message alone does not give, so it is not
// checked here. Levels pushed out of the depth are not announced: a
// client truncates to its depth after every update.

var _ plugins.BookDecoder = (*Plugin)(nil)

// DecodeBook implements plugins.BookDecoder.
func (*Plugin) DecodeBook(req *http.Request, body []byte) ([]plugins.BookSet, error) {
	if req == nil || req.URL == nil || req.URL.Path != "/0/public/Depth" {
		return nil, plugins.ErrNotBook
	}
	var resp struct {
		Error  []string `json:"error"`
		Result map[string]struct {
			Asks [][]json.RawMessage `json:"asks"`
			Bids [][]json.RawMessage `json:"bids"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Error) > 0 || len(resp.Result) == 0 {
		return nil, fmt.Errorf("%w: Depth body: %v", plugins.ErrNotBook, err)
	}
	depth := depthDefault
	if n, err := strconv.Atoi(req.URL.Query().Get("count")); err == nil && n > 0 {
		depth = min(n, depthMax)
	}
	var out []plugins.BookSet
	for key, r := range resp.Result {
		sym, ok := symbolOfKey(key)
		if !ok {
			return nil, fmt.Errorf("%w: unknown pair key %q", plugins.ErrNotBook, key)
		}
		var bk cc.Book
		for side, rows := range [][][]json.RawMessage{r.Bids, r.Asks} {
			ls := make([]cc.BookLevel, len(rows))
			for i, row := range rows {
				if len(row) < 2 {
					return nil, fmt.Errorf("%w: a Depth level of %d fields", plugins.ErrNotBook, len(row))
				}
				if err := ls[i].Price.UnmarshalJSON(row[0]); err != nil {
					return nil, fmt.Errorf("%w: price %s", plugins.ErrNotBook, row[0])
				}
				if err := ls[i].Size.UnmarshalJSON(row[1]); err != nil {
					return nil, fmt.Errorf("%w: volume %s", plugins.ErrNotBook, row[1])
				}
			}
			if side == 0 {
				bk.Bids = kit.BestFirst(ls, true)
			} else {
				bk.Asks = kit.BestFirst(ls, false)
			}
		}
		out = append(out, plugins.BookSet{Symbol: sym, Book: bk, Depth: depth})
	}
	return out, nil
}

type v2Level struct {
	Price json.Number `json:"price"`
	Qty   json.Number `json:"qty"`
}

// v2Side reads levels best first, and their wire text for the checksum.
func v2Side(ls []v2Level, desc bool) ([]cc.BookLevel, [][2]string, error) {
	out := make([]cc.BookLevel, len(ls))
	wire := make([][2]string, len(ls))
	for i, l := range ls {
		px, err := cc.ParseDecimal(string(l.Price))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: price %q", plugins.ErrNotBook, l.Price)
		}
		q, err := cc.ParseDecimal(string(l.Qty))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: qty %q", plugins.ErrNotBook, l.Qty)
		}
		out[i], wire[i] = cc.BookLevel{Price: px, Size: q}, [2]string{string(l.Price), string(l.Qty)}
	}
	if len(out) == 0 {
		return nil, nil, nil
	}
	return kit.BestFirst(out, desc), wire, nil
}

// DecodeBookFrame implements plugins.BookDecoder.
func (*Plugin) DecodeBookFrame(path string, frame []byte) ([]plugins.BookSet, error) {
	if len(frame) == 0 || frame[0] != '{' || !bytes.Contains(frame, []byte(`"book"`)) {
		return nil, plugins.ErrNotBook
	}
	var m struct {
		Channel string `json:"channel"`
		Type    string `json:"type"`
		Data    []struct {
			Symbol    string    `json:"symbol"`
			Bids      []v2Level `json:"bids"`
			Asks      []v2Level `json:"asks"`
			Checksum  *uint32   `json:"checksum"`
			Timestamp string    `json:"timestamp"`
		} `json:"data"`
	}
	d := json.NewDecoder(bytes.NewReader(frame))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", plugins.ErrNotBook, err)
	}
	if m.Channel != "book" || (m.Type != "snapshot" && m.Type != "update") {
		return nil, plugins.ErrNotBook
	}
	var out []plugins.BookSet
	for _, r := range m.Data {
		if r.Symbol == "" {
			return nil, fmt.Errorf("%w: a book message without a symbol", plugins.ErrNotBook)
		}
		var at int64
		if r.Timestamp != "" {
			t, err := time.Parse(time.RFC3339Nano, r.Timestamp)
			if err != nil {
				return nil, fmt.Errorf("%w: timestamp %q", plugins.ErrNotBook, r.Timestamp)
			}
			at = t.UnixMicro()
		}
		bids, wb, err := v2Side(r.Bids, true)
		if err != nil {
			return nil, err
		}
		asks, wa, err := v2Side(r.Asks, false)
		if err != nil {
			return nil, err
		}
		// The v2 symbol (BTC/USD) as the native wsname (XBT/USD).
		sym := namesOfSymbol(r.Symbol).wsname
		if m.Type == "update" {
			out = append(out, plugins.BookSet{Symbol: sym, Diff: &cc.BookDiff{Time: at, Bids: bids, Asks: asks}})
			continue
		}
		// The wire order is the book's (asks lowest first, bids highest
		// first); the checksum is over the top ten of each as sent.
		if r.Checksum != nil && Checksum(wa, wb) != *r.Checksum {
			return nil, fmt.Errorf("%w: %s snapshot checksum %d, its levels give %d", plugins.ErrNotBook, r.Symbol, *r.Checksum, Checksum(wa, wb))
		}
		depth := bookDepths[len(bookDepths)-1]
		for _, n := range bookDepths {
			if len(bids) <= n && len(asks) <= n {
				depth = n
				break
			}
		}
		out = append(out, plugins.BookSet{Symbol: sym, Book: cc.Book{Time: at, Bids: bids, Asks: asks}, Depth: depth})
	}
	if len(out) == 0 {
		return nil, plugins.ErrNotBook
	}
	return out, nil
}
