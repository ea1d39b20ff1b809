package synth

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"

	cc "github.com/candlecassette/candlecassette"
)

// Options configure a Market. The zero value serves DefaultPairs with seed 0.
type Options struct {
	Seed     uint64
	Exchange string
	// Pairs are the symbols served, with Symbol set to the exchange's
	// spelling; their Price pins the price at RefTime.
	Pairs []cc.Pair
	// RefTime (Unix ms) is when each pair trades at its Price; 0 means
	// 2024-01-01T00:00:00Z.
	RefTime int64
}

// Market is the synthetic market. It implements cc.Market.
type Market struct {
	opts    Options
	symbols map[string]symbolParams
}

type symbolParams struct {
	price float64
	tick  int // price decimals
	lot   int // volume decimals
	key   uint64
}

var _ cc.Market = (*Market)(nil)

// New returns a Market for opts.
func New(opts Options) *Market {
	if len(opts.Pairs) == 0 {
		opts.Pairs = cc.DefaultPairs
	}
	if opts.RefTime == 0 {
		opts.RefTime = 1704067200000
	}
	m := &Market{opts: opts, symbols: map[string]symbolParams{}}
	for _, p := range opts.Pairs {
		sym := p.Symbol
		if sym == "" {
			sym = p.Name()
		}
		price := p.Price
		if price <= 0 {
			price = 100
		}
		m.symbols[sym] = symbolParams{price: price, tick: priceDecimals(price), lot: 5, key: hashString(p.Name())}
	}
	return m
}

func priceDecimals(p float64) int {
	d := 2 - int(math.Floor(math.Log10(p)))
	return max(2, min(8, d+4))
}

// Candles implements cc.Market.
func (m *Market) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	sp, ok := m.symbols[symbol]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	if !iv.Valid() {
		return nil, fmt.Errorf("synth: invalid interval %q", iv)
	}
	var out []cc.Candle
	for open := iv.Truncate(start); open < end && open <= now; open = iv.Next(open) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, m.candle(sp, iv, open, now))
	}
	return out, nil
}

// candle aggregates the base candles (1s for the 1s interval, 1m otherwise)
// inside [open, next) up to now.
func (m *Market) candle(sp symbolParams, iv cc.Interval, open, now int64) cc.Candle {
	base := cc.Interval1m
	if iv == cc.Interval1s {
		base = cc.Interval1s
	}
	next := iv.Next(open)
	var agg cc.Candle
	first := true
	for t := open; t < next && t <= now; t = base.Next(t) {
		c := m.base(sp, base, t, now)
		if first {
			agg, first = c, false
		} else {
			agg = agg.Merge(c)
		}
	}
	agg.OpenTime = open
	agg.CloseTime = next - 1
	agg.Closed = now >= next-1
	return agg
}

func (m *Market) priceAt(sp symbolParams, t int64) float64 {
	// A sum of value-noise octaves: smooth at long scales, rough at short.
	x := float64(t-m.opts.RefTime) / 60000
	var n float64
	amp := 0.002
	for scale := 1.0; scale < 1e7; scale *= 4 {
		n += amp * valueNoise(m.opts.Seed^sp.key, x/scale, scale)
		amp *= 2
	}
	return sp.price * math.Exp(n-valueNoise(m.opts.Seed^sp.key, 0, 0)*0)
}

func (m *Market) base(sp symbolParams, iv cc.Interval, open, now int64) cc.Candle {
	next := iv.Next(open)
	end := next
	closed := now >= next-1
	if !closed {
		end = now
	}
	o := m.priceAt(sp, open)
	c := m.priceAt(sp, end)
	k := uint64(open) ^ sp.key ^ m.opts.Seed
	hi := math.Max(o, c) * (1 + 0.0005*unit(k^0x9e37))
	lo := math.Min(o, c) * (1 - 0.0005*unit(k^0x7f4a))
	frac := float64(end-open) / float64(next-open)
	vol := (0.5 + 2*unit(k^0x1234)) * 1000 / sp.price * frac * float64(next-open) / 60000
	vol = math.Max(vol, 1e-5)
	vd := cc.DecimalFromFloat(vol, sp.lot)
	mid := (o + c) / 2
	tb := cc.DecimalFromFloat(vol*(0.3+0.4*unit(k^0x55)), sp.lot)
	return cc.Candle{
		OpenTime:      open,
		CloseTime:     next - 1,
		Open:          cc.DecimalFromFloat(o, sp.tick),
		High:          cc.DecimalFromFloat(hi, sp.tick),
		Low:           cc.DecimalFromFloat(lo, sp.tick),
		Close:         cc.DecimalFromFloat(c, sp.tick),
		Volume:        vd,
		QuoteVolume:   cc.DecimalFromFloat(vd.Float64()*mid, 8),
		Trades:        int64(1 + vol*sp.price/50),
		TakerBuyBase:  tb,
		TakerBuyQuote: cc.DecimalFromFloat(tb.Float64()*mid, 8),
		Closed:        closed,
	}
}

func valueNoise(seed uint64, x, scale float64) float64 {
	i := math.Floor(x)
	f := x - i
	a := unit(seed^uint64(int64(i))*0x9E3779B97F4A7C15^math.Float64bits(scale)) - 0.5
	b := unit(seed^uint64(int64(i)+1)*0x9E3779B97F4A7C15^math.Float64bits(scale)) - 0.5
	f = f * f * (3 - 2*f)
	return a + (b-a)*f
}

// unit maps k to [0,1) with splitmix64.
func unit(k uint64) float64 {
	k += 0x9E3779B97F4A7C15
	k = (k ^ (k >> 30)) * 0xBF58476D1CE4E5B9
	k = (k ^ (k >> 27)) * 0x94D049BB133111EB
	k ^= k >> 31
	return float64(k>>11) / (1 << 53)
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
