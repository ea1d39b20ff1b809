package hyperliquid

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// day is the window of the asset contexts' day figures, ms.
const day = 86_400_000

// hourMs is Hyperliquid's funding period.
const hourMs = 3_600_000

// recentTradesN is how many trades recentTrades lists.
const recentTradesN = 10

// fundingPage is how many settlements one fundingHistory answer holds.
const fundingPage = 500

// mid is (bid+ask)/2, exact.
func mid(t cc.Touch) cc.Decimal {
	sum := t.Bid.Add(t.Ask)
	return cc.Decimal{Units: sum.Units * 5, Scale: sum.Scale + 1}
}

// dayStats are the rolling 24h figures and the touch at now.
func (s *server) dayStats(ctx context.Context, sym string, now int64) (cc.Stats, cc.Touch, error) {
	st, err := cc.RollingStats(ctx, s.env.Market, s.env.Tape, sym, day, now)
	if err != nil {
		return st, cc.Touch{}, err
	}
	// At now, not right after the figures' last trade (st.Through): no
	// asset context shows a last price with a bid and ask (a perpetual's
	// markPx is its mark; a spot market's, the last price, comes with
	// midPx alone), and allMids and bbo, the book now, keep agreeing with
	// the contexts' midPx.
	t, err := kit.Touch(ctx, s.env, sym, st.Last, now*1000+999)
	return st, t, err
}

// perp is the perpetual's state at now; without derivatives, the last
// price as mark and oracle and no funding.
func (s *server) perp(ctx context.Context, sym string, last cc.Decimal, now int64) (cc.PerpState, error) {
	if s.env.Derivs != nil {
		return s.env.Derivs.Perp(ctx, sym, now)
	}
	return cc.PerpState{Time: now, Mark: last, Index: last, NextFunding: (now/hourMs + 1) * hourMs}, nil
}

// hexID is a deterministic 0x-prefixed hex string of n bytes for seed.
func hexID(seed int64, n int) string {
	b := make([]byte, 0, 2+2*n)
	b = append(b, "0x"...)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	for i := 0; i < n; i += 8 {
		x ^= x >> 31
		x *= 0xBF58476D1CE4E5B9
		x ^= x >> 29
		for j := 0; j < 8 && i+j < n; j++ {
			const digits = "0123456789abcdef"
			v := byte(x >> (8 * j))
			b = append(b, digits[v>>4], digits[v&15])
		}
	}
	return string(b)
}

// coinReq reads a request's "coin", answering Hyperliquid's errors: a
// missing field is a deserialize error, an unknown coin a 500 null.
func (s *server) coinReq(w http.ResponseWriter, body []byte, top map[string]json.RawMessage) (string, bool) {
	raw, ok := top["coin"]
	if !ok {
		deserializeError(w, body, "missing field `coin`")
		return "", false
	}
	var coin string
	if json.Unmarshal(raw, &coin) != nil {
		deserializeError(w, body, "coin: invalid type: expected a string")
		return "", false
	}
	p, ok := s.env.PairBySymbol(coin)
	if !ok {
		kit.Raw(w, http.StatusInternalServerError, []byte("null"))
		return "", false
	}
	return p.Symbol, true
}

// recentTrades lists the coin's latest trades, oldest first.
func (s *server) recentTrades(w http.ResponseWriter, r *http.Request, body []byte, top map[string]json.RawMessage) {
	coin, ok := s.coinReq(w, body, top)
	if !ok {
		return
	}
	if s.env.Tape == nil {
		kit.Raw(w, http.StatusInternalServerError, []byte("null"))
		return
	}
	ts, err := s.env.Tape.Trades(r.Context(), cc.TradeQuery{Symbol: coin, Limit: recentTradesN, Newest: true, Now: s.now()*1000 + 999})
	if err != nil {
		s.failed(w, err)
		return
	}
	b := []byte{'['}
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrade(b, coin, t)
	}
	kit.Raw(w, http.StatusOK, append(b, ']'))
}

// appendTrade writes a trade as Hyperliquid lists and pushes it: side B
// when the taker bought, A when it sold; users are [buyer, seller].
func appendTrade(b []byte, coin string, t cc.Trade) []byte {
	b = append(b, `{"coin":"`...)
	b = append(b, coin...)
	b = append(b, `","side":"`...)
	if t.BuyerMaker {
		b = append(b, 'A')
	} else {
		b = append(b, 'B')
	}
	b = append(b, `","px":"`...)
	b = append(b, hlNum(t.Price)...)
	b = append(b, `","sz":"`...)
	b = append(b, hlNum(t.Size)...)
	b = append(b, `","time":`...)
	b = strconv.AppendInt(b, t.Millis(), 10)
	b = append(b, `,"hash":"`...)
	b = append(b, hexID(t.AggID, 32)...)
	b = append(b, `","tid":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"users":["`...)
	b = append(b, hexID(t.ID*2, 20)...)
	b = append(b, `","`...)
	b = append(b, hexID(t.ID*2+1, 20)...)
	return append(b, `"]}`...)
}

// fundingHistory lists the coin's hourly settlements in [startTime,
// endTime] oldest first, at most fundingPage of them, each with the
// premium of the hour it settles.
func (s *server) fundingHistory(w http.ResponseWriter, r *http.Request, body []byte, top map[string]json.RawMessage) {
	coin, ok := s.coinReq(w, body, top)
	if !ok {
		return
	}
	var req struct {
		StartTime *int64 `json:"startTime"`
		EndTime   *int64 `json:"endTime"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		deserializeError(w, body, "startTime: invalid type: expected u64")
		return
	}
	if req.StartTime == nil {
		deserializeError(w, body, "missing field `startTime`")
		return
	}
	if s.env.Derivs == nil {
		kit.Raw(w, http.StatusInternalServerError, []byte("null"))
		return
	}
	now := s.now()
	end := now + 1
	if req.EndTime != nil {
		end = min(end, *req.EndTime+1)
	}
	start := *req.StartTime
	if start >= end {
		kit.Raw(w, http.StatusOK, []byte("[]"))
		return
	}
	end = min(end, start+fundingPage*hourMs)
	fs, err := s.env.Derivs.FundingHistory(r.Context(), coin, start, end, now)
	if err != nil {
		s.failed(w, err)
		return
	}
	fs = fs[:min(len(fs), fundingPage)]
	premium := map[int64]cc.Decimal{}
	if len(fs) > 0 {
		ps, err := s.env.Derivs.Prices(cc.PremiumIndex).Candles(r.Context(), coin, cc.Interval1h, fs[0].Time-hourMs, fs[len(fs)-1].Time, now)
		if err != nil {
			s.failed(w, err)
			return
		}
		for _, c := range ps {
			premium[c.OpenTime+hourMs] = c.Close
		}
	}
	b := []byte{'['}
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"coin":"`...)
		b = append(b, coin...)
		b = append(b, `","fundingRate":"`...)
		b = append(b, hlNum(f.Rate)...)
		b = append(b, `","premium":"`...)
		b = append(b, hlNum(premium[f.Time])...)
		b = append(b, `","time":`...)
		b = strconv.AppendInt(b, f.Time, 10)
		b = append(b, '}')
	}
	kit.Raw(w, http.StatusOK, append(b, ']'))
}
