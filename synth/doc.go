// Package synth is the deterministic synthetic market: candles are a pure
// function of (seed, exchange, pair, interval, open time), so any two
// requests, and the WS stream, agree, and any window is generated directly.
//
// # Construction
//
// Time is a tree of epoch-aligned blocks: 4096 days, 256 days, 16 days, 4
// days, a day, 6 hours, an hour, 15 minutes, a minute, 10 seconds and a
// second. Each node carries open, high, low, close, a variance budget,
// volume, quote volume, trades and taker volumes, and its children are
// drawn from a generator seeded by a hash of (seed, pair, level, index),
// conditioned on the node: a Brownian bridge from open to close pinned at
// the node's high and low inside the children where a raw bridge peaks and
// troughs, with the children's extremes drawn from the exact law of a
// bridge's maximum truncated to the node's range; the variance budget is
// shared among children by log-normal weights (a multiplicative cascade,
// which makes volatility cluster and returns fat-tailed) and an intraday
// and weekly seasonal profile; volume follows volatility, the size of the
// move and the season; trades follow activity (the volume targets before
// they are tilted to meet the parent's VWAP), down to the minutes to the
// power 0.35 (trade counts vary far less than volume); the taker-buy share leans
// with the return. Now and then (about four times a month) a jump pours
// a burst of variance into one minute, carried down from the day through
// one node of each level: the rare extreme 1m returns that give returns
// their kurtosis, while the cascade stays mild enough for the bulk of
// the distribution (q99.9 of |r| over its median about 26, real BTCUSDT
// 21). Root boundaries are stationary draws, so the price level never
// depends on a distance from some origin.
//
// From the day level down every quantity is an integer (price ticks, lots,
// lot×tick quote units) and a node's integers are exactly the aggregate of
// its children's, so an hourly candle is exactly the aggregate of its
// minutes, and those of their seconds. An interval's candle is one node or
// the aggregate of consecutive nodes of the coarsest level that tiles it
// (weeks, 3-day candles and calendar months aggregate days). The cost of a
// window is proportional to its length plus the depth of the tree.
//
// Pairs share a market stream: with probability equal to a pair's market
// loading (BTC 0.98, ETH 0.96, other majors 0.6–0.7) a node's children
// take their shape from the market's draws, so ETH follows BTC in part.
// The same pair on another exchange shares every draw above the 6-hour
// level and adds a little noise of the venue's own below it: a small
// basis. A pair's price at Options.RefTime is its start price.
//
// Derivatives (NewDerivatives) is a perpetual's side of a Market: an
// index (the pair on a virtual spot venue, within ±0.3% of the last
// price), a premium index, a mark price (index times a smoothed premium,
// within the venue's band of the index), funding on the venue's schedule
// and cap (perpRules: 8-hourly at 00, 08 and 16 UTC, Hyperliquid hourly)
// and open interest. Mark and index candles aggregate exactly across
// intervals like the market's own; see perp.go.
//
// Market.Bridge serves replay's gap filling: the market's own path for a
// stretch, shifted so that it starts on a recorded close and ends on the
// next recorded open.
//
// Tick and lot sizes follow the price: about five significant digits of
// price (at least cents) and a lot worth ten cents to a dollar. Without a
// start price a pair takes a default for its base asset (BTC 50000, ETH
// 3000, ...); unknown assets trade like a mid-cap altcoin at 100.
//
// # Trades and the touch
//
// Market is also a cc.Tape, a cc.Quoter and a cc.TradeIDs (and a cc.Books,
// below). The trades of
// a 1s leaf are generated from the leaf node alone, with draws seeded by
// (seed, exchange, pair, second), so any window is generated directly.
// A leaf's trades are taker orders at distinct microseconds strictly
// inside the second, in bursts; an order fills against one or more
// resting orders (prints) at one price level, or sweeps two or three
// adjacent levels (upward for a buy, downward for a sell), all its
// prints sharing its time. Prints of one order at one price form an
// aggregate (AggID is its first print's ID). Sizes are heavy tailed
// (log-normal with a Pareto tail), at least a lot. The first print is at
// the leaf's open, the last at its close, one at its high and one at its
// low (single-level orders); a bridge through those gives the other
// orders' prices, which are then moved, order by order, so that the
// buys' Σ price×size is the leaf's taker-buy quote volume and the sells'
// the rest. Where that misses, an exact repair in integers (tick×lot)
// takes over: each side gets two free prints (not holding o, h, l or c)
// where the leaf has them (a pinned order gives up prints, a pin trades
// sides with a free print, or a free print moves over with a lot), the
// other free orders and lots move toward the target, and one or two free
// orders take the rest at two adjacent prices (an order holding both is
// a sweep of two levels). It always succeeds when the side's target lies
// between what its prices allow with its pins holding a lot per print.
// The trades then aggregate exactly to the leaf (count, OHLC, volume,
// quote volume, taker-buy volumes) whenever the leaf allows it.
// The splits see to it that leaves do: every trading node has a trade per
// distinct open, high, low and close (where a block has too few trades
// for its children's moves, one child carries the whole move and the
// others hold the price: fitPins), a leaf of one trade takes one side
// (fixTakers, then oneSided across the minute), and a minute's quote
// volumes go to its leaves directly (minuteLeaves): every 10s block of
// the minute is split ahead, a leaf that cannot absorb (fewer than four
// trades beyond its pins, or a side of one or two lots) takes the quote
// volumes of its natural tape, laid out without solving, the leaves with
// four or more (absorbs) share the rest of the minute's, per side, in
// proportion to their room (what the side reaches whichever of the
// leaf's pinned prices it holds: absorbBand), what they cannot hold goes
// to the natural leaves within what their free single-print orders can
// move exactly (adjust.go: the orders move by whole ticks, the two
// largest share their lots at one price or two adjacent ones, a lone one
// shares its lots with a pin of its side), and what even those cannot,
// lots move between the minute's leaves (shiftLots: toward where a
// side's lots reach further, or buys trading places with sells) and the
// quote volumes are shared again, and last a leaf that absorbs widens its
// high or low inside the minute's range (widenLeaf); each block's volumes
// are its leaves' sums. A quiet minute (under 80 trades, quiet.go) has few leaves that
// absorb: its quote volumes come from below, every other leaf taking its
// natural draw's, computed by its 15-minute block's split (quietQuote, a
// split of the minute with provisional quote volumes it then always
// uses) while the block's other minutes share the rest, the quiet
// minutes moving within their room before the others leave the middle
// of their ranges, and volume moving between the others (shiftBusy)
// before their VWAPs go to their ranges' ends; no VWAP goes so near an
// end that no lot is left to print the other (qvBand). A block
// whose trading minutes are all quiet (up to four of under 160 trades
// among them taken as quiet too) has no other minutes: its quote
// volumes, set by its hour, are not their natural sums, so lots of a
// side move from its cheapest minutes to its dearest (or back) until the
// difference lies within the minutes' room (moveQuietVolume, the minutes
// split again), and the difference is shared in proportion to that room
// (spreadQuiet). A block splits ahead each minute whose leaves may not
// hold what it then has (under 160 trades, or a thin pair's narrow
// minute) and gives what they cannot to a sibling (carry.go). And
// the VWAP a split aims a child at is inside the middle third of its
// range, for days and 6-hour blocks the VWAP of their own path
// (pathVWAP: a day that doubles late trades mostly near its open), so
// that no level drains its children of volume toward an edge. Over 605k
// seconds of three seeds, four venues, six pairs (ticks 0.01 to 0.0001,
// lots 0.00001 to 1), quiet, busy and jump hours, every one of the
// 525,300 trading seconds is exact (TestTradesAggregateToCandles), and
// so is every one of 14.0M on samples that test was not tuned on (other
// seeds and venues, hours spread over 2023 to 2026; CC_LONG_TAPE=1).
// That is a measure, not a proof: a block whose minutes' leaves could
// not hold its quote volumes at all (its hour knows nothing of them)
// would still leave seconds over.
// The leaves that are not exact get the
// nearest tape the solver finds: always the count, the times, prices
// inside [low, high] and a lot at least per trade, and the volume and
// taker-buy volume whenever the count allows two sides. The taker split
// is made tradeable in splitMicro (feasible.go).
//
// Trade ids count trades: the first id of a leaf is its 4096-day block's
// base ((block+1024)<<40) plus the trades of the block before the leaf,
// from per-block day prefix sums (cached per Market) and the tree's
// counts below a day; an id finds its leaf by descending the same
// counts. Every TradeQuery bound becomes an id range, so Limit and Newest
// cost the window, not the span. The trades of the second in progress
// are not on the tape, as its 1s candle is not in Candles.
//
// The touch (Touch at instant t, before the trades stamped t) is
// derived from the tape, so a book built on it agrees with every trade:
// when an order prints, the best level on its side (the ask for a buy,
// the bid for a sell) is at its first print's price and holds what
// printed there plus, unless the order sweeps on, some resting lots; the
// other side is a spread away (one tick mostly for the majors, wider for
// thin pairs and a little wider in volatile seconds). After the order,
// the taker's side is at its last print's price with the lots left
// resting there, the other side unchanged. The quotes then move to the
// next order's touch at an instant between the two orders (quoteInstant:
// soon after the last order, never in its microsecond). A book can take
// the same levels as its top and fill the depth below.
//
// # The order book
//
// Market is also a cc.Books: an L2 book at any instant, generated from the
// touch and draws seeded by (seed, exchange, pair, side, price, refresh
// epoch), so any instant is generated directly. Its top is the touch
// exactly; while the quotes show the touch an order sweeping several
// levels prints against, those levels are on the book as it takes them
// (what prints at each, plus the rest at the last). Below them lies the
// depth of the 100 ms slot (bookSlot) the instant is in, laid out from
// the touch at the slot's start and cut where the touch now is. It lies
// on a grid of its own: a power of two of ticks, so that a symbol with a
// fine tick (BTC's cent) has about as many grid steps to its start price
// as the others (some 2^17: BTC 32 ticks, ETH 2, most others 1), and a
// move of the touch by a given fraction of the price crosses about as
// many levels on every symbol.
// The candidate prices of a side are every grid step in the first band
// (500 steps from that reference), then every 2^b steps in band b, 4^b
// times wider; a candidate holds a level with a probability falling from
// about 0.95 at the touch to 0.6, of a log-normal size (a trade's worth
// near the touch, growing by e^0.6 a band, now and then a wall of about
// seven times that). Each candidate keeps its level for an epoch of its
// own period, 12.8 s in the first band and 8^b times that in band b
// (102 s, 13.6 min, 1.8 h, …), halved or doubled one time in four, with
// a random phase: the nearer levels change often, the deep ones rarely
// but surely. Inside a slot the touch moving shows or hides the levels it
// crosses, and at a slot's start the new reference moves a few at the
// bands' edges and at the 5,000th level. A 100 ms diff of the full book
// (BookLevels a side, all told) carries about 15–20 levels in a quiet
// step and 50 on average on BTCUSDT and ETHUSDT (p90 150, more when the
// price jumps), two thirds of them within the first 500 levels, as a
// real venue's @depth@100ms stream does (TestBookUpdateRate). No level rests
// below a fifth of the best bid or above five times the best ask.
// Inside a slot the book changes only at the touch's updates, so its
// update id (Seq)
// counts two updates per trade (the quotes moving to its touch, its
// print) and one per slot: 2·(next trade id) − 1 + (quotes moved) +
// ⌊t/100ms⌋, computed from the trade id alone (10 a second plus twice
// the trade rate), below 2^53. Diffs walks the instants where the book
// changes (slots' starts, quote instants, prints) and lists every level
// updated in a step, as Binance's diff streams do.
//
// # Concurrency
//
// A Market is immutable after New and safe for concurrent use; generators
// with their caches are pooled per Market.
//
// # Caveats
//
// The candle containing "now" is the aggregate of the whole seconds
// elapsed in it; the second in progress is not shown until it closes.
// Volumes are plausible for the large USDT pairs, not calibrated to any
// particular venue. Candles are identical across runs and machines for
// the same GOARCH (and GOAMD64 level): where the compiler fuses
// multiply-adds (arm64, amd64 v3) the last bits of a draw, and so the
// path, may differ from a build that does not.
// A 1s window costs a node per second: ask for seconds in small windows.
package synth
