package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
	"github.com/candlecassette/candlecassette/synth"
)

// Several exchanges in one process (Options.Exchanges), as a bot that
// talks to several sees them through the proxy:
//
//   - One front (serve.NewMulti) routes each request by its hostname to
//     its exchange's Stack: every id keeps its own conditions, limits and
//     admin API (/__admin/ID/...). A direct request names no exchange and
//     is answered 421 with the hosts served.
//   - One market underneath: every id's synthetic market has the same
//     seed and pairs, and synth derives a pair's path from (seed, pair)
//     alone, the exchange adding a small basis of its own below the
//     6-hour level (synth's doc). So BTC-USDT on binance_spot, okx_spot
//     and bybit_perpetual move together, a few basis points apart, and
//     agree on every 6-hour candle. One clock gives them one "now".
//   - Hosts sibling ids share (www.okx.com for okx_spot and okx_perpetual)
//     are answered per request by the sibling the request is for
//     (plugins.SharedHostRouter). A connection for all of them at once
//     (an OKX business socket with spot and swap candles) is served by
//     the first sibling's plugin over the union of their Envs: markets
//     and feeds by symbol, pairs concatenated; where two siblings spell a
//     pair alike (Bybit's BTCUSDT), the first's wins, which is why Bybit
//     keeps its categories on separate sockets.

// newMulti builds the Server of opts.Exchanges over the synthetic market.
func newMulti(opts Options) (*Server, error) {
	switch {
	case opts.Cassette != "":
		return nil, errors.New("replay: Exchanges serve the synthetic market; a cassette names its own exchange")
	case opts.Market != nil:
		return nil, errors.New("replay: Exchanges each get their own synthetic market; Market serves one exchange")
	case opts.Exchange != "" && opts.Exchange != opts.Exchanges[0]:
		return nil, fmt.Errorf("replay: Exchange %s and Exchanges %v: give one or the other", opts.Exchange, opts.Exchanges)
	}
	exs := make([]serve.Exchange, 0, len(opts.Exchanges))
	for _, id := range opts.Exchanges {
		p, err := plugins.Lookup(id)
		if err != nil {
			return nil, err
		}
		exs = append(exs, serve.Exchange{Plugin: p})
	}
	so := opts.Serve
	if so.Seed == 0 {
		so.Seed = opts.Seed
	}
	if so.Logger == nil {
		so.Logger = slog.New(slog.DiscardHandler)
	}
	if so.Hosts == nil {
		so.Hosts = func(p plugins.Plugin) []string { return p.Defaults().Hosts }
	}
	front, err := serve.NewMulti(so, exs...)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	clock := opts.Clock
	if clock == nil {
		clock = speedClock(opts.Speed)
	}
	// Each exchange spells the pairs its own way.
	pairs := append([]cc.Pair(nil), opts.Pairs...)
	for i := range pairs {
		pairs[i].Symbol = ""
	}
	envs := make(map[string]*plugins.Env, len(exs))
	for _, st := range front.Exchanges() {
		p := st.Plugin()
		ps := spelled(p, pairs)
		market := synth.New(synth.Options{Seed: opts.Seed, Exchange: p.Name(), Pairs: ps})
		// Each exchange's clock is skewed by its own conditions.
		clock := plugins.SkewedClock(clock, st.Hub())
		env := &plugins.Env{
			Market: market,
			Feed:   &cc.MarketFeed{Market: market, Clock: clock},
			Clock:  clock,
			Derivs: derivs(p.Name(), opts.Seed, ps, market),
			Pairs:  ps,
			Hub:    st.Hub(),
			Logger: so.Logger,
			Tape:   market, Quotes: market, Books: market,
		}
		envs[p.Name()] = env
		st.Handle(serve.Sourced(serve.SourceSynthetic, p.Handler(env)))
		st.SetMarket(view(env, nil))
	}
	for _, st := range front.Exchanges() {
		others := front.SharedWith(st.Plugin().Name())
		if len(others) == 0 {
			continue
		}
		u := union(envs[st.Plugin().Name()], others, envs)
		u.Hub = st.Hub()
		st.HandleShared(serve.Sourced(serve.SourceSynthetic, st.Plugin().Handler(u)))
	}
	first := front.Exchanges()[0].Plugin()
	return &Server{Server: front, plugin: first, env: envs[first.Name()], envs: envs}, nil
}

// union is lead's Env with the markets, feeds and pairs of the exchanges
// named added: what a connection carrying all their streams is served
// from. A symbol already listed keeps its first exchange.
func union(lead *plugins.Env, others []string, envs map[string]*plugins.Env) *plugins.Env {
	u := *lead
	markets, feeds := unionMarket{}, unionFeed{}
	tapes, quotes, derivs, books := unionTape{}, unionQuoter{}, map[string]cc.Derivatives{}, unionBooks{}
	u.Pairs = nil
	for _, env := range append([]*plugins.Env{lead}, lookup(others, envs)...) {
		for _, p := range env.Pairs {
			if _, dup := markets[p.Symbol]; dup {
				continue
			}
			markets[p.Symbol], feeds[p.Symbol] = env.Market, env.Feed
			if env.Tape != nil {
				tapes[p.Symbol] = env.Tape
			}
			if env.Quotes != nil {
				quotes[p.Symbol] = env.Quotes
			}
			if env.Derivs != nil {
				derivs[p.Symbol] = env.Derivs
			}
			if env.Books != nil {
				books[p.Symbol] = env.Books
			}
			u.Pairs = append(u.Pairs, p)
		}
	}
	u.Market, u.Feed = markets, feeds
	// The trades, touch and perpetual side of each symbol come from its own
	// exchange too (a swap's trades and mark price on OKX's shared socket),
	// not from the lead's alone.
	u.Tape, u.Quotes, u.Derivs, u.Books = nil, nil, nil, nil
	if len(tapes) > 0 {
		u.Tape = tapes
	}
	if len(quotes) > 0 {
		u.Quotes = quotes
	}
	if len(derivs) > 0 {
		u.Derivs = newUnionDerivs(derivs)
	}
	if len(books) > 0 {
		u.Books = books
	}
	return &u
}

// unionTape serves each symbol's trades from its exchange's tape.
type unionTape map[string]cc.Tape

func (u unionTape) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	t, ok := u[q.Symbol]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, q.Symbol)
	}
	return t.Trades(ctx, q)
}

// FirstTradeID implements cc.TradeIDs for the symbols whose tape numbers
// its trades.
func (u unionTape) FirstTradeID(ctx context.Context, symbol string, t int64) (int64, error) {
	ids, ok := u[symbol].(cc.TradeIDs)
	if !ok {
		return 0, fmt.Errorf("%w: %s (no trade ids)", cc.ErrUnknownSymbol, symbol)
	}
	return ids.FirstTradeID(ctx, symbol, t)
}

// unionQuoter gives each symbol's touch from its exchange's quoter.
type unionQuoter map[string]cc.Quoter

func (u unionQuoter) Touch(ctx context.Context, symbol string, at int64) (cc.Touch, error) {
	q, ok := u[symbol]
	if !ok {
		return cc.Touch{}, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return q.Touch(ctx, symbol, at)
}

// unionBooks gives each symbol's order book from its exchange's.
type unionBooks map[string]cc.Books

func (u unionBooks) Book(ctx context.Context, symbol string, at int64, depth int) (cc.Book, error) {
	b, ok := u[symbol]
	if !ok {
		return cc.Book{}, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return b.Book(ctx, symbol, at, depth)
}

func (u unionBooks) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	b, ok := u[symbol]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return b.Diffs(ctx, symbol, from, to, step, depth)
}

// RecordedFrom implements cc.RecordedBooks with symbol's exchange's.
func (u unionBooks) RecordedFrom(ctx context.Context, symbol string) (int64, bool) {
	if r, ok := u[symbol].(cc.RecordedBooks); ok {
		return r.RecordedFrom(ctx, symbol)
	}
	return 0, false
}

// unionDerivs is the perpetual side of each symbol whose exchange has one.
// prices holds each known price kind's union market, built once by
// newUnionDerivs: Prices is asked on every mark/index request.
type unionDerivs struct {
	bySym  map[string]cc.Derivatives
	prices [cc.PremiumIndex + 1]unionMarket
}

func newUnionDerivs(bySym map[string]cc.Derivatives) *unionDerivs {
	u := &unionDerivs{bySym: bySym}
	for k := range u.prices {
		u.prices[k] = u.market(cc.PriceKind(k))
	}
	return u
}

// market is the union of each symbol's kind series.
func (u *unionDerivs) market(kind cc.PriceKind) unionMarket {
	m := make(unionMarket, len(u.bySym))
	for sym, d := range u.bySym {
		m[sym] = d.Prices(kind)
	}
	return m
}

func (u *unionDerivs) Prices(kind cc.PriceKind) cc.Market {
	if int(kind) < len(u.prices) {
		return u.prices[kind]
	}
	return u.market(kind) // a kind this build does not know: each its own answer
}

func (u *unionDerivs) FundingHistory(ctx context.Context, symbol string, start, end, now int64) ([]cc.Funding, error) {
	d, ok := u.bySym[symbol]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return d.FundingHistory(ctx, symbol, start, end, now)
}

func (u *unionDerivs) Perp(ctx context.Context, symbol string, now int64) (cc.PerpState, error) {
	d, ok := u.bySym[symbol]
	if !ok {
		return cc.PerpState{}, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return d.Perp(ctx, symbol, now)
}

func lookup(ids []string, envs map[string]*plugins.Env) []*plugins.Env {
	out := make([]*plugins.Env, len(ids))
	for i, id := range ids {
		out[i] = envs[id]
	}
	return out
}

// unionMarket serves each symbol from its exchange's market.
type unionMarket map[string]cc.Market

func (u unionMarket) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	m, ok := u[symbol]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return m.Candles(ctx, symbol, iv, start, end, now)
}

// unionFeed streams each symbol from its exchange's feed.
type unionFeed map[string]cc.Feed

func (u unionFeed) Subscribe(ctx context.Context, symbol string, iv cc.Interval, every time.Duration) (<-chan cc.Update, error) {
	f, ok := u[symbol]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return f.Subscribe(ctx, symbol, iv, every)
}
