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
// after the subscription, then after the last one sent. A trade reaches
// the tape when its second closes, so the cursor is an id, not a time.
type TradeCursor struct {
	Symbol      string
	start, last int64 // µs; trade id
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
// oldest first, and moves past them.
func (c *TradeCursor) Next(ctx context.Context, tape cc.Tape, upTo int64, max int) ([]cc.Trade, error) {
	now := upTo*1000 + 999
	q := cc.TradeQuery{Symbol: c.Symbol, Start: c.start, End: now + 1, Limit: max, Now: now}
	if c.last != 0 {
		q.FromID = c.last + 1
	}
	ts, err := tape.Trades(ctx, q)
	if len(ts) > 0 {
		c.last = ts[len(ts)-1].ID
	}
	return ts, err
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
	return sess.Subscribe(key, symbol, cc.Interval1s, every, func(u cc.Update) []byte {
		for {
			ts, err := cur.Next(sess.Context(), env.Tape, u.EventTime, tradeBatch)
			if err != nil || len(ts) == 0 || !push(ts) || len(ts) < tradeBatch {
				return nil
			}
		}
	})
}
