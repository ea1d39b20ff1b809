package kit

import (
	"context"
	"errors"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// ErrNoTape is SubscribeTrades' error in a mode without a trade tape.
var ErrNoTape = errors.New("no trade tape in this mode")

// tradeBatch bounds one tape query of a trade stream.
const tradeBatch = 1000

// TradeCursor is where a trade stream goes on from: the tape's trades
// after the subscription (or after a Snapshot), then after the last one
// handed out. A trade reaches the tape when its second closes, so the
// cursor is an id, not a time. A cursor is used by one stream at a time.
type TradeCursor struct {
	Symbol string
	// WholeAggregates keeps each aggregate (the prints of one taker order
	// at one price, cc.Trade.AggID) in one page, for streams that send an
	// event per aggregate (Binance's aggTrade, OKX's trades): a page that
	// its limit cut ends before the aggregate of its last print, which
	// opens the next page instead, as a later page cannot add to an event
	// already sent. Only a page limit can split an aggregate: its prints
	// share a time, so a poll's time bound takes all of them or none. A
	// page that is one aggregate and no more is handed out as it is.
	WholeAggregates bool

	start, last int64 // µs, 0 once a snapshot set last; trade id
}

// NewTradeCursor starts after now (Unix ms).
func NewTradeCursor(symbol string, now int64) *TradeCursor {
	return TradeCursorFrom(symbol, now*1000+1)
}

// TradeCursorFrom starts at the first trade at or after start (Unix µs).
func TradeCursorFrom(symbol string, start int64) *TradeCursor {
	return &TradeCursor{Symbol: symbol, start: start}
}

// Next returns up to max trades not returned yet, up to upTo (Unix ms),
// oldest first, and moves past them. A page shorter than max means none
// is left up to upTo, but with WholeAggregates a cut page is shorter too:
// Poll tells the two apart.
func (c *TradeCursor) Next(ctx context.Context, tape cc.Tape, upTo int64, max int) ([]cc.Trade, error) {
	ts, _, err := c.page(ctx, tape, upTo, max)
	return ts, err
}

// page is Next; full reports that the tape returned max trades, so more
// may follow up to upTo.
func (c *TradeCursor) page(ctx context.Context, tape cc.Tape, upTo int64, max int) (ts []cc.Trade, full bool, err error) {
	now := upTo*1000 + 999
	q := cc.TradeQuery{Symbol: c.Symbol, Start: c.start, End: now + 1, Limit: max, Now: now}
	if c.last != 0 {
		q.FromID = c.last + 1
	}
	ts, err = tape.Trades(ctx, q)
	full = len(ts) == max && max > 0
	if full && c.WholeAggregates {
		ts = wholeAggregates(ts)
	}
	if len(ts) > 0 {
		c.last = ts[len(ts)-1].ID
	}
	return ts, full, err
}

// wholeAggregates drops the prints of ts's last aggregate from its end,
// unless they are all of ts.
func wholeAggregates(ts []cc.Trade) []cc.Trade {
	cut := len(ts)
	for cut > 0 && ts[cut-1].AggID == ts[len(ts)-1].AggID {
		cut--
	}
	if cut == 0 {
		return ts
	}
	return ts[:cut]
}

// Poll hands push the trades not handed out yet up to upTo (Unix ms), in
// pages of at most max (oldest first, never empty), until none is left,
// push returns false (the stream unsubscribed, the connection gone) or
// the tape fails, whose error it returns. The cursor is past each page
// before push sees it.
func (c *TradeCursor) Poll(ctx context.Context, tape cc.Tape, upTo int64, max int, push func([]cc.Trade) bool) error {
	for {
		ts, full, err := c.page(ctx, tape, upTo, max)
		if err != nil || len(ts) == 0 || !push(ts) || !full {
			return err
		}
	}
}

// Snapshot returns the newest max trades up to upTo (Unix ms), oldest
// first, for streams that open with the latest trades, and moves the
// cursor past them: Next and Poll go on with the trade after the
// snapshot's last, whatever the cursor's start, so the stream neither
// repeats nor skips one. With no trade yet the cursor stays where it was.
func (c *TradeCursor) Snapshot(ctx context.Context, tape cc.Tape, upTo int64, max int) ([]cc.Trade, error) {
	ts, err := tape.Trades(ctx, cc.TradeQuery{Symbol: c.Symbol, Limit: max, Newest: true, Now: upTo*1000 + 999})
	if err != nil {
		return nil, err
	}
	if len(ts) > 0 {
		c.start, c.last = 0, ts[len(ts)-1].ID
	}
	return ts, nil
}

// SubscribeTrades pushes symbol's new trades under key as virtual time
// passes, looking every every: push gets each batch (oldest first, at
// most 1000) and returns false to stop early (the stream unsubscribed,
// the connection gone). push sends its own frames.
func SubscribeTrades(sess *plugins.Session, key, symbol string, every time.Duration, push func([]cc.Trade) bool) error {
	env := sess.Env()
	if env.Tape == nil {
		return ErrNoTape
	}
	cur := NewTradeCursor(symbol, env.Clock.NowMillis())
	return sess.SubscribeTicks(key, symbol, every, func(u cc.Update) []byte {
		_ = cur.Poll(sess.Context(), env.Tape, u.EventTime, tradeBatch, push)
		return nil
	})
}
