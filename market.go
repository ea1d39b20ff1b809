package candlecassette

import (
	"context"
	"errors"
)

// ErrUnknownSymbol is returned by a Market for a symbol it does not serve.
var ErrUnknownSymbol = errors.New("candlecassette: unknown symbol")

// Market is the source of candles a plugin serves: the synthetic generator,
// a cassette's candle index with synthetic fill, or both. Symbols are the
// exchange-native spelling (Pair.Symbol).
//
// Candles returns the candles of iv whose open time lies in [start, end),
// oldest first, never past now: the candle containing now is returned
// in progress (Closed false, aggregated up to now) and later ones not at
// all. start and end must be aligned with iv.Truncate. Implementations must
// be safe for concurrent use and must return the same candles for the same
// arguments.
type Market interface {
	Candles(ctx context.Context, symbol string, iv Interval, start, end, now int64) ([]Candle, error)
}

// Update is one kline push: the candle as it stands at EventTime.
type Update struct {
	Symbol    string
	Interval  Interval
	EventTime int64 // virtual Unix ms
	Candle    Candle
}
