package ascendex

import (
	"context"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// day is the ticker's rolling window, ms.
const day = 86_400_000

// maxTrades is the most trades /trades lists (its n).
const maxTrades = 100

// tickerOf is a symbol's ticker: the rolling 24h figures and the touch.
func (s *server) tickerOf(ctx context.Context, p cc.Pair, now int64) (map[string]any, error) {
	st, err := cc.RollingStats(ctx, s.env.Market, s.env.Tape, p.Symbol, day, now)
	if err != nil {
		return nil, err
	}
	// The touch right after the ticker's last trade (st.Through): a touch
	// taken at now straddled a price up to a second newer than its close,
	// 0.11 % off it in a fast second.
	t, err := kit.Touch(ctx, s.env, p.Symbol, st.Last, st.Through*1000)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"symbol": p.Symbol, "open": st.Open.String(), "close": st.Last.String(),
		"high": st.High.String(), "low": st.Low.String(), "volume": st.Volume.String(),
		"ask": []string{t.Ask.String(), t.AskSize.String()},
		"bid": []string{t.Bid.String(), t.BidSize.String()}, "type": "spot",
	}, nil
}

// trades lists the latest n trades (default 10, at most 100) oldest
// first, in AscendEX's {"m":"trades","symbol",...,"data":[...]} envelope;
// seqnum is the trade id, bm true when the buyer was the maker.
func (s *server) trades(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sym := q.Get("symbol")
	if sym == "" {
		apiError(w, 100001, "INVALID_HTTP_INPUT", "Http request is invalid: missing required parameter symbol")
		return
	}
	if _, found := s.env.PairBySymbol(sym); !found {
		apiError(w, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
		return
	}
	n, hasN, good := kit.NumParams(q, 0, func(name, v string) {
		apiError(w, 100013, "INVALID_NUM_FORMAT", "Invalid number format: "+name+"="+v)
	})("n")
	if !good {
		return
	}
	if !hasN {
		n = 10
	}
	if n < 1 {
		apiError(w, 100006, "INVALID_ARGUMENT", "n must be positive")
		return
	}
	if s.env.Tape == nil {
		resp := s.p.ServerError()
		kit.Raw(w, resp.Status, resp.Body)
		return
	}
	ts, err := s.env.Tape.Trades(r.Context(), cc.TradeQuery{Symbol: sym, Limit: int(min(n, maxTrades)), Newest: true, Now: s.now()*1000 + 999})
	if err != nil {
		s.failed(w, err)
		return
	}
	b := make([]byte, 0, 64+len(ts)*100)
	b = append(b, `{"code":0,"data":{"m":"trades","symbol":`...)
	b = strconv.AppendQuote(b, sym)
	b = append(b, `,"data":[`...)
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrade(b, t)
	}
	kit.Raw(w, http.StatusOK, append(b, "]}}"...))
}

// appendTrade writes one trade as the REST list and the trades channel
// carry it.
func appendTrade(b []byte, t cc.Trade) []byte {
	b = append(b, `{"seqnum":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"p":"`...)
	b = t.Price.Append(b, int(t.Price.Scale))
	b = append(b, `","q":"`...)
	b = t.Size.Append(b, int(t.Size.Scale))
	b = append(b, `","ts":`...)
	b = strconv.AppendInt(b, t.Millis(), 10)
	b = append(b, `,"bm":`...)
	b = strconv.AppendBool(b, t.BuyerMaker)
	return append(b, '}')
}
