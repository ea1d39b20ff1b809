package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// shiftedMarket serves inner's candles moved forward in time by shift
// milliseconds, for --clock now: the recording plays as if it were
// happening now.
type shiftedMarket struct {
	inner cc.Market
	shift int64
}

func (m shiftedMarket) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	cs, err := m.inner.Candles(ctx, symbol, iv, start-m.shift, end-m.shift, now-m.shift)
	for i := range cs {
		cs[i].OpenTime += m.shift
		cs[i].CloseTime += m.shift
	}
	return cs, err
}

// shiftAlignment is the shift for --clock now: the newest recorded candle
// becomes the current one. The shift is a whole number of the recorded
// intervals' common multiple (capped at a day), so every recorded series
// stays aligned to its interval's boundaries.
func shiftFor(newest, now int64, ivs []cc.Interval) int64 {
	step := int64(60_000)
	for _, iv := range ivs {
		if iv.Fixed() && iv.Millis() <= 86_400_000 {
			step = lcm(step, iv.Millis())
		} else {
			step = lcm(step, 86_400_000)
		}
	}
	step = min(step, 86_400_000)
	d := now - newest
	return d - ((d%step)+step)%step
}

func lcm(a, b int64) int64 {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// timeShifter moves the timestamps embedded in a recorded JSON body (server
// time, ticker times, ...) by shift. A value counts as a timestamp when it
// lies within a day of the recording's time range, as Unix milliseconds or
// seconds, whether sent as a number or a digit string.
type timeShifter struct {
	fromMs, toMs int64
	shift        int64 // ms
}

func (s timeShifter) body(b []byte) []byte {
	if s.shift == 0 || len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return b
	}
	changed := false
	v = s.walk(v, &changed)
	if !changed {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

func (s timeShifter) walk(v any, changed *bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = s.walk(e, changed)
		}
	case []any:
		for i, e := range x {
			x[i] = s.walk(e, changed)
		}
	case json.Number:
		if n, ok := s.shiftInt(string(x)); ok {
			*changed = true
			return json.Number(n)
		}
	case string:
		if n, ok := s.shiftInt(x); ok {
			*changed = true
			return n
		}
	}
	return v
}

func (s timeShifter) shiftInt(str string) (string, bool) {
	if len(str) < 10 || len(str) > 13 {
		return "", false
	}
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		return "", false
	}
	const day = 86_400_000
	switch {
	case n >= s.fromMs-day && n <= s.toMs+day:
		return strconv.FormatInt(n+s.shift, 10), true
	case n >= (s.fromMs-day)/1000 && n <= (s.toMs+day)/1000:
		return strconv.FormatInt(n+s.shift/1000, 10), true
	}
	return "", false
}
