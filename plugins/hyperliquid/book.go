package hyperliquid

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books from env.Books: POST /info {"type":"l2Book","coin",
// "nSigFigs"?, "mantissa"?} and the l2Book subscription, both the top 20
// levels a side as {"px","sz","n"}. Hyperliquid has no update ids: every
// push is a whole snapshot (one a block; here every l2Every of market time
// when the levels changed), and the REST book is the one at the 100 ms
// grid instant (kit.BookTime). nSigFigs (2 to 5) rounds prices to that
// many significant figures, bids down and asks up, summing sizes and
// counts; mantissa (1, 2 or 5, with nSigFigs 5) widens the bucket. The
// order count n is 1 a level, the market modelling levels, not orders.

const (
	l2Levels = 20
	l2Every  = 500 * time.Millisecond
)

// l2Opts are the aggregation options of an l2Book request.
type l2Opts struct {
	NSigFigs *int `json:"nSigFigs,omitempty"`
	Mantissa *int `json:"mantissa,omitempty"`
}

// check reports what is wrong with o, as Hyperliquid's error text.
func (o l2Opts) check() error {
	if o.NSigFigs != nil && (*o.NSigFigs < 2 || *o.NSigFigs > 5) {
		return fmt.Errorf("Invalid nSigFigs %d", *o.NSigFigs)
	}
	if o.Mantissa != nil && (o.NSigFigs == nil || *o.NSigFigs != 5 || (*o.Mantissa != 1 && *o.Mantissa != 2 && *o.Mantissa != 5)) {
		return fmt.Errorf("Invalid mantissa %d", *o.Mantissa)
	}
	return nil
}

type l2Level struct {
	px, sz cc.Decimal
	n      int
}

// l2Book is the book of sym at at (µs) as Hyperliquid levels.
func (s *server) l2Book(ctx context.Context, sym string, at int64, o l2Opts) (bids, asks []l2Level, err error) {
	depth := l2Levels
	if o.NSigFigs != nil {
		depth = 0 // buckets may hold many levels
	}
	b, err := s.env.Books.Book(ctx, sym, at, depth)
	if err != nil {
		return nil, nil, err
	}
	if o.NSigFigs == nil {
		return plain(b.Bids), plain(b.Asks), nil
	}
	if len(b.Bids)+len(b.Asks) == 0 {
		return nil, nil, nil
	}
	ref := b.Asks
	if len(b.Bids) > 0 {
		ref = b.Bids
	}
	width := bucket(ref[0].Price, *o.NSigFigs, o.Mantissa)
	return aggregate(b.Bids, width, false), aggregate(b.Asks, width, true), nil
}

func plain(ls []cc.BookLevel) []l2Level {
	out := make([]l2Level, len(ls))
	for i, l := range ls {
		out[i] = l2Level{px: l.Price, sz: l.Size, n: 1}
	}
	return out
}

// bucket is the price step nSig significant figures of px leave, times
// the mantissa: a power of ten, as a decimal (10^-2 is 0.01).
func bucket(px cc.Decimal, nSig int, mantissa *int) cc.Decimal {
	digits := int(math.Floor(math.Log10(px.Float64()))) + 1 // of the integer part; <= 0 below 1
	e := digits - nSig                                      // width 10^e
	m := int64(1)
	if mantissa != nil {
		m = int64(*mantissa)
	}
	if e >= 0 {
		w := m
		for range e {
			w *= 10
		}
		return cc.NewDecimal(w, 0)
	}
	return cc.NewDecimal(m, -e)
}

// aggregate sums ls (best first) into buckets of width: bids on the
// bucket's floor, asks on its ceiling; at most l2Levels buckets.
func aggregate(ls []cc.BookLevel, width cc.Decimal, up bool) []l2Level {
	sc := int(max(width.Scale, 0))
	for _, l := range ls {
		sc = max(sc, int(l.Price.Scale))
	}
	w := width.Rescale(sc).Units
	var out []l2Level
	for _, l := range ls {
		u := l.Price.Rescale(sc).Units
		k := u / w * w
		if up && k != u {
			k += w
		}
		px := cc.NewDecimal(k, sc)
		if n := len(out); n > 0 && out[n-1].px.Cmp(px) == 0 {
			out[n-1].sz = out[n-1].sz.Add(l.Size)
			out[n-1].n++
			continue
		}
		if len(out) == l2Levels {
			break
		}
		out = append(out, l2Level{px: px, sz: l.Size, n: 1})
	}
	return out
}

// appendL2 writes {"coin","time","levels":[[bids],[asks]]}.
func appendL2(b []byte, coin string, ms int64, bids, asks []l2Level) []byte {
	b = append(b, `{"coin":`...)
	b = strconv.AppendQuote(b, coin)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, `,"levels":[`...)
	for side, ls := range [][]l2Level{bids, asks} {
		if side > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for i, l := range ls {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"px":"`...)
			b = append(b, hlNum(l.px)...)
			b = append(b, `","sz":"`...)
			b = append(b, hlNum(l.sz)...)
			b = append(b, `","n":`...)
			b = strconv.AppendInt(b, int64(l.n), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

// l2BookInfo serves {"type":"l2Book"}: null with a 500 for a coin it
// does not list, as for the other coin requests.
func (s *server) l2BookInfo(w http.ResponseWriter, r *http.Request, body []byte, top map[string]json.RawMessage) {
	coin, ok := s.coinReq(w, body, top)
	if !ok {
		return
	}
	var o l2Opts
	if err := json.Unmarshal(body, &o); err != nil {
		deserializeError(w, body, "nSigFigs: invalid type: expected an integer")
		return
	}
	if err := o.check(); err != nil || s.env.Books == nil {
		kit.Raw(w, http.StatusInternalServerError, []byte("null"))
		return
	}
	var name string
	json.Unmarshal(top["coin"], &name)
	at := kit.BookTime(s.env.SnapshotTime(r).UnixMilli())
	bids, asks, err := s.l2Book(r.Context(), coin, at, o)
	if err != nil {
		s.failed(w, err)
		return
	}
	kit.Raw(w, http.StatusOK, appendL2(nil, name, at/1000, bids, asks))
}

// l2BookSub serves the l2Book subscription.
func (p *proto) l2BookSub(sess *plugins.Session, method string, sub candleSub, key string) {
	pair, found := p.s.pairByCoin(sub.Coin)
	if !found || sub.Coin == "" || sub.l2Opts.check() != nil {
		wsError(sess, "Invalid subscription "+key)
		return
	}
	if method == "unsubscribe" {
		if !sess.Unsubscribe(key) {
			wsError(sess, "Already unsubscribed: "+key)
			return
		}
		sess.SendJSON(map[string]any{"channel": "subscriptionResponse", "data": map[string]any{"method": "unsubscribe", "subscription": json.RawMessage(key)}})
		return
	}
	if sess.Subscribed(key) {
		wsError(sess, "Already subscribed: "+key)
		return
	}
	if p.s.env.Books == nil {
		wsError(sess, "Internal error: "+kit.ErrNoBooks.Error())
		return
	}
	sess.SendJSON(map[string]any{"channel": "subscriptionResponse", "data": map[string]any{"method": "subscribe", "subscription": json.RawMessage(key)}})
	step := l2Every.Microseconds()
	var last []byte
	err := sess.SubscribeTicks(key, pair.Symbol, l2Every, func(u cc.Update) []byte {
		at := u.EventTime * 1000 / step * step
		bids, asks, err := p.s.l2Book(sess.Context(), pair.Symbol, at, sub.l2Opts)
		if err != nil {
			return nil
		}
		levels := appendL2(nil, "", 0, bids, asks)
		if string(levels) == string(last) {
			return nil
		}
		last = levels
		b := append([]byte(`{"channel":"l2Book","data":`), appendL2(nil, sub.Coin, at/1000, bids, asks)...)
		return append(b, '}')
	})
	if err != nil {
		wsError(sess, fmt.Sprintf("Internal error: %v", err))
	}
}
