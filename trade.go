package candlecassette

import "context"

// Trade is one print on a symbol's tape: a taker order filling against a
// resting order at one price. The synthetic tape aggregates exactly to the
// 1s candles (and so to every coarser one): within a candle the first,
// highest, lowest and last prices are its OHLC, the sizes sum to its
// volume, Σ price×size to its quote volume, the count to its trade count,
// and the taker-buy sizes (BuyerMaker false) to its taker-buy volume.
type Trade struct {
	// ID increases by one along a symbol's tape: the trades of a candle
	// are the ids [first, first+candle.Trades).
	ID int64
	// AggID is the aggregate trade (Binance's aggTrades, others' "fills")
	// this print belongs to: consecutive prints of one taker order at one
	// price. It is the ID of the aggregate's first print, so aggregates
	// are increasing and are ranges of IDs.
	AggID int64
	// Time is Unix microseconds; several prints of one aggregate share it.
	Time  int64
	Price Decimal
	Size  Decimal // base asset
	// BuyerMaker is true when the taker sold (the print hit the bid).
	BuyerMaker bool
}

// Millis is the trade's time in Unix milliseconds.
func (t Trade) Millis() int64 { return floorDivInt64(t.Time, 1000) }

// Quote is the trade's quote amount, price×size, exact.
func (t Trade) Quote() Decimal { return t.Price.Mul(t.Size) }

func floorDivInt64(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// TradeQuery selects trades of one symbol. The bounds combine: a trade is
// returned when it lies in every range that is set. At most Limit trades
// are returned (0 means no limit), oldest first: the first Limit of the
// selection, or with Newest the last Limit.
type TradeQuery struct {
	Symbol string // exchange-native
	// Start and End bound Time to [Start, End) in Unix microseconds; 0 is
	// unset.
	Start, End int64
	// FromID and ToID bound ID to [FromID, ToID); 0 is unset.
	FromID, ToID int64
	Limit        int
	Newest       bool
	// Now (Unix microseconds) is the present: no trade after it exists.
	Now int64
}

// Tape is the source of trades a plugin serves: the synthetic tape, or a
// cassette's recorded trades joined to it. Implementations must be safe for
// concurrent use and deterministic.
type Tape interface {
	Trades(ctx context.Context, q TradeQuery) ([]Trade, error)
}

// Touch is the best bid and ask of a symbol at an instant. The last trade
// printed at the touch: at the bid when its taker sold, at the ask when
// its taker bought, and the other side is a realistic spread away.
type Touch struct {
	Time    int64 // Unix microseconds
	Bid     Decimal
	BidSize Decimal
	Ask     Decimal
	AskSize Decimal
}

// Quoter gives the touch at any instant.
type Quoter interface {
	Touch(ctx context.Context, symbol string, at int64) (Touch, error)
}

// PriceKind names a perpetual's price series.
type PriceKind uint8

const (
	LastPrice    PriceKind = iota // the traded price: the candles
	MarkPrice                     // the exchange's mark price
	IndexPrice                    // the spot index the contract tracks
	PremiumIndex                  // (mark-ish − index)/index, a rate
)

// Funding is one funding settlement, or the estimate for the next one.
type Funding struct {
	Time      int64   // Unix ms of the settlement
	Rate      Decimal // e.g. 0.0001 = 0.01%
	MarkPrice Decimal // at settlement
}

// PerpState is a perpetual's state at an instant.
type PerpState struct {
	Time         int64 // Unix ms
	Mark         Decimal
	Index        Decimal
	Premium      Decimal // premium index
	FundingRate  Decimal // estimated rate of the next settlement
	NextFunding  int64   // Unix ms
	OpenInterest Decimal // base asset
}

// Derivatives is the perpetual side of a market.
type Derivatives interface {
	// Prices returns the candles of another price series of the same
	// symbols (LastPrice gives the traded candles themselves).
	Prices(kind PriceKind) Market
	// FundingHistory lists the settlements with Time in [start, end),
	// oldest first, none after now.
	FundingHistory(ctx context.Context, symbol string, start, end, now int64) ([]Funding, error)
	// Perp is the state at now.
	Perp(ctx context.Context, symbol string, now int64) (PerpState, error)
}

// TradeIDs numbers a market's trades by time, for the candle fields that
// carry trade ids (Binance's kline "f" and "L", ticker "F" and "L"). A
// Tape that numbers its trades implements it.
type TradeIDs interface {
	// FirstTradeID is the id of the first trade at or after t (Unix
	// microseconds): a candle [open, close] holds the ids
	// [FirstTradeID(open), FirstTradeID(close+1)).
	FirstTradeID(ctx context.Context, symbol string, t int64) (int64, error)
}
