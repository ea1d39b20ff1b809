package kraken

import (
	"context"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// Trades: /0/public/Trades from env.Tape. Rows are [price, volume, time,
// side, type, misc, trade_id]; `last` is the cursor to pass back as
// since: a nanosecond timestamp whose sub-microsecond digits count the
// prints of that microsecond already sent, so pages join without a gap or
// a repeat even where one taker order printed several trades at once.

const (
	tradesMaxCount = 1000
	// secondsBelow: a since under this is Unix seconds (Kraken accepts
	// both); at or above, nanoseconds.
	secondsBelow = 1e11
)

// cursor is a parsed since: trades at or after micros, skipping the first
// skip prints at exactly micros.
type cursor struct {
	micros int64
	skip   int
}

func parseSince(s string) (cursor, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		// Kraken also takes fractional seconds.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < 0 || f >= secondsBelow {
			return cursor{}, false
		}
		return cursor{micros: int64(f * 1e6)}, true
	}
	if v < secondsBelow {
		return cursor{micros: v * 1e6}, true
	}
	return cursor{micros: v / 1000, skip: int(v % 1000)}, true
}

// tradesAfter are at most count trades from c on, oldest first, none
// after now (µs).
func tradesAfter(ctx context.Context, tape cc.Tape, sym string, c cursor, count int, now int64) ([]cc.Trade, error) {
	ts, err := tape.Trades(ctx, cc.TradeQuery{Symbol: sym, Start: c.micros, Limit: count + c.skip, Now: now})
	if err != nil {
		return nil, err
	}
	skip := 0
	for skip < c.skip && skip < len(ts) && ts[skip].Time == c.micros {
		skip++
	}
	ts = ts[skip:]
	return ts[:min(len(ts), count)], nil
}

// lastCursor is the since that goes on after t: its time in ns plus how
// many prints of its microsecond up to it have gone out.
func lastCursor(ctx context.Context, tape cc.Tape, sym string, t cc.Trade, now int64) (int64, error) {
	same, err := tape.Trades(ctx, cc.TradeQuery{Symbol: sym, Start: t.Time, End: t.Time + 1, ToID: t.ID + 1, Now: now})
	if err != nil {
		return 0, err
	}
	return t.Time*1000 + int64(len(same)), nil
}

// trades serves /0/public/Trades: count (1..1000, default 1000) trades
// from since on, oldest first; without since, the most recent ones.
func (h *handler) trades(w http.ResponseWriter, r *http.Request) {
	form, p, n, ok := h.pairRequest(w, r, h.env.Tape != nil)
	if !ok {
		return
	}
	count, ok := countParam(w, form, tradesMaxCount, tradesMaxCount)
	if !ok {
		return
	}
	now := h.env.Clock.Now().UnixMicro()
	ctx := r.Context()
	var ts []cc.Trade
	var err error
	var last int64
	if s := get(form, "since"); s != "" {
		c, good := parseSince(s)
		if !good {
			fail(w, "EGeneral:Invalid arguments:since")
			return
		}
		last = c.micros*1000 + int64(c.skip)
		if c.micros < Launch*1000 {
			// No trade before Kraken opened: since=0 is its first.
			c = cursor{micros: Launch * 1000}
		}
		ts, err = tradesAfter(ctx, h.env.Tape, p.Symbol, c, count, now)
	} else {
		ts, err = h.env.Tape.Trades(ctx, cc.TradeQuery{Symbol: p.Symbol, Limit: count, Newest: true, Now: now})
		last = now * 1000
	}
	if err == nil && len(ts) > 0 {
		last, err = lastCursor(ctx, h.env.Tape, p.Symbol, ts[len(ts)-1], now)
	}
	if err != nil {
		fail(w, "EGeneral:Internal error")
		return
	}
	places := h.priceDecimals(ctx, p)
	b := append([]byte(`{"error":[],"result":{"`), n.key...)
	b = append(b, `":[`...)
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrade(b, t, places)
	}
	b = append(b, `],"last":"`...)
	b = strconv.AppendInt(b, last, 10)
	b = append(b, `"}}`...)
	writeRaw(w, http.StatusOK, b)
}

// side is the taker's: b when it bought, s when it sold.
func side(t cc.Trade) string {
	if t.BuyerMaker {
		return "s"
	}
	return "b"
}

// orderType is the taker order's type, one per aggregate (all its prints
// come from one order): a quarter marketable limit orders, the rest
// market orders.
func orderType(t cc.Trade) string {
	if t.AggID%4 == 0 {
		return "l"
	}
	return "m"
}

// appendTrade writes ["price","volume",time,"b|s","m|l","",trade_id].
func appendTrade(b []byte, t cc.Trade, places int) []byte {
	b = append(b, `["`...)
	b = t.Price.Append(b, places)
	b = append(b, `","`...)
	b = t.Size.Append(b, 8)
	b = append(b, `",`...)
	b = cc.NewDecimal(t.Time, 6).Append(b, 6)
	b = append(b, `,"`...)
	b = append(b, side(t)...)
	b = append(b, `","`...)
	b = append(b, orderType(t)...)
	b = append(b, `","",`...)
	b = strconv.AppendInt(b, t.ID, 10)
	return append(b, ']')
}

// spreadRows is how many seconds of the touch Spread answers at most.
const spreadRows = 50

// spread serves /0/public/Spread: the touch at the end of each of the
// recent seconds (after since, in seconds, when given), [time, "bid",
// "ask"], with `last` the newest row's time.
func (h *handler) spread(w http.ResponseWriter, r *http.Request) {
	form, p, n, ok := h.pairRequest(w, r, h.env.Quotes != nil)
	if !ok {
		return
	}
	now := h.env.Clock.NowMillis() / 1000 // the newest closed second ends at now
	from := now - spreadRows + 1
	if s := get(form, "since"); s != "" {
		c, good := parseSince(s)
		if !good {
			fail(w, "EGeneral:Invalid arguments:since")
			return
		}
		from = max(from, c.micros/1_000_000+1)
	}
	places := h.priceDecimals(r.Context(), p)
	b := append([]byte(`{"error":[],"result":{"`), n.key...)
	b = append(b, `":[`...)
	last := now
	for sec := from; sec <= now; sec++ {
		t, err := h.env.Quotes.Touch(r.Context(), p.Symbol, sec*1_000_000-1)
		if err != nil {
			fail(w, "EGeneral:Internal error")
			return
		}
		if sec > from {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, sec, 10)
		b = append(b, `,"`...)
		b = t.Bid.Append(b, places)
		b = append(b, `","`...)
		b = t.Ask.Append(b, places)
		b = append(b, `"]`...)
	}
	b = append(b, `],"last":`...)
	b = strconv.AppendInt(b, last, 10)
	b = append(b, `}}`...)
	writeRaw(w, http.StatusOK, b)
}
