// The ccxt methods beyond candles (issue "trades, tickers, marks and
// funding") and the checks of their results that the test files share:
// test/method-matrix.test.mjs calls every (id, method) pair ccxt declares
// with the shallow checks here (SHALLOW), and the per-exchange files
// (test/binance-trades-tickers-funding.test.mjs, ...) build their deep
// checks on the same assertions (checkTrades, consecutive, joined,
// checkTicker, touchAroundLast, priceCandles).
//
// Declared. A pair (id, method) is declared when the id's ccxt class `has`
// the method truthy: true, or 'emulated' (ccxt serves it from another of
// its methods, e.g. Hyperliquid's fetchTicker from fetchTickers, Bybit's
// fetchBidsAsks from fetchTickers; a user calls it the same way, so it
// counts). The perpetual methods (PERP) count only for perpetual ids: ccxt's
// `has` is per class, and a class that serves both markets (binance, okx,
// bybit, ...) declares fetchFundingRate for its spot instance too.

import assert from 'node:assert/strict';

import * as h from './harness.mjs';

/** SPOT lists the methods every id is asked for when its class has them. */
export const SPOT = ['fetchTrades', 'watchTrades', 'fetchTicker', 'fetchTickers', 'watchTicker', 'fetchBidsAsks', 'fetchStatus'];
/** PERP lists the methods asked of perpetual ids only. */
export const PERP = ['fetchFundingRate', 'fetchFundingRateHistory', 'fetchMarkOHLCV', 'fetchIndexOHLCV', 'fetchOpenInterest'];
/** METHODS is the whole list, in the order. */
export const METHODS = [...SPOT, ...PERP];

export const HOUR = 3_600_000;
export const EIGHT_HOURS = 8 * HOUR;

/** declares says whether ccxt declares method for entry, has being its class's `has` (see the head comment). */
export function declares(has, entry, method) {
  if (PERP.includes(method) && entry.type !== 'swap') return false;
  const v = has[method];
  return v === true || v === 'emulated';
}

/** near says a and b are within frac of each other. */
export const near = (a, b, frac) => Math.abs(a - b) <= Math.abs(b) * frac;

/**
 * checkTrades throws unless trades are ccxt trades of symbol: at least
 * one, oldest first, each with a positive price and amount, side buy or
 * sell, a timestamp not after now (+1 s) and, given since, not before it.
 */
export function checkTrades(trades, symbol, label, { since, now = Date.now() } = {}) {
  assert.ok(Array.isArray(trades) && trades.length > 0, `${label}: no trades`);
  trades.forEach((t, i) => {
    assert.equal(t.symbol, symbol, `${label} #${i}: symbol ${t.symbol}`);
    assert.ok(Number.isFinite(t.price) && t.price > 0 && Number.isFinite(t.amount) && t.amount > 0, `${label} #${i}: ${JSON.stringify(t.info)}`);
    assert.ok(t.side === 'buy' || t.side === 'sell', `${label} #${i}: side ${t.side}`);
    assert.ok(Number.isInteger(t.timestamp) && t.timestamp <= now + 1000, `${label} #${i}: timestamp ${t.timestamp}`);
    assert.ok(since === undefined || t.timestamp >= since, `${label} #${i}: at ${t.timestamp}, before since ${since}`);
    if (i > 0) assert.ok(t.timestamp >= trades[i - 1].timestamp, `${label}: not oldest first at #${i}`);
  });
}

/** idRange is a trade's range of print ids: its own id, alone. */
export const idRange = (t) => [BigInt(t.id), BigInt(t.id)];

/**
 * consecutive throws unless trades (oldest first) follow one another
 * without a gap or a repeat: each one's first print id (range(t)[0]) one
 * past the last print id of the one before. range defaults to the trade's
 * own id; an aggregate trade covers several prints (Binance's f..l).
 */
export function consecutive(trades, label, range = idRange) {
  for (let i = 1; i < trades.length; i++) {
    const [first] = range(trades[i]);
    const [, prevLast] = range(trades[i - 1]);
    assert.equal(first, prevLast + 1n, `${label}: trade ${trades[i].id} after ${trades[i - 1].id}`);
  }
}

/**
 * joinPages throws unless page2 goes on from page1 without a gap or a
 * duplicate: the trades of both consecutive (see consecutive), page2's
 * first right after page1's last. It returns the joined trades.
 */
export function joinPages(page1, page2, label, range = idRange) {
  const all = [...page1, ...page2];
  const ids = all.map((t) => String(t.id));
  assert.equal(new Set(ids).size, ids.length, `${label}: a trade is on both pages`);
  consecutive(all, label, range);
  return all;
}

/**
 * touchAroundLast throws unless bid < ask and, given last, the touch
 * straddles it give or take frac (bid not above last by more, ask not
 * below) and neither side is further than 10×frac from it.
 */
export function touchAroundLast(t, label, frac = 0.001) {
  assert.ok(t.bid > 0 && t.ask > 0 && t.bid < t.ask, `${label}: bid ${t.bid} ask ${t.ask}`);
  if (t.last !== undefined) {
    assert.ok(t.bid <= t.last * (1 + frac) && t.ask >= t.last * (1 - frac), `${label}: bid ${t.bid} ask ${t.ask} do not straddle last ${t.last}`);
    assert.ok(near(t.bid, t.last, 10 * frac) && near(t.ask, t.last, 10 * frac), `${label}: bid ${t.bid} ask ${t.ask} far from last ${t.last}`);
  }
}

/**
 * checkTicker throws unless t is a ccxt ticker of symbol with a positive
 * last inside its 24h low..high (when it has them) and, with touch, a
 * bid below the ask around the last (when it has both).
 */
export function checkTicker(t, symbol, label, { touch = true } = {}) {
  assert.equal(t.symbol, symbol, `${label}: symbol`);
  assert.ok(Number.isFinite(t.last) && t.last > 0, `${label}: last ${t.last}`);
  if (t.high !== undefined && t.low !== undefined) assert.ok(t.low <= t.last && t.last <= t.high, `${label}: last ${t.last} outside ${t.low}..${t.high}`);
  if (touch && t.bid !== undefined && t.ask !== undefined) touchAroundLast(t, label);
}

/**
 * priceCandles checks mark or index candles ([ts, o, h, l, c, v?] rows,
 * volume undefined for a price series) as a 1m series starting at since.
 */
export function priceCandles(cs, since, label) {
  assert.ok(Array.isArray(cs) && cs.length > 0, `${label}: no candles`);
  h.checkSeries(cs.map((c) => [...c.slice(0, 5), c[5] ?? 0]), h.MINUTE, label);
  assert.ok(cs[0][0] >= since, `${label}: starts at ${cs[0][0]}, before since ${since}`);
}

/**
 * firstOf calls ex[method] (a ccxt watch method) for every one of symbols
 * and resolves to [symbol, result] of the first to answer within ms: the
 * synthetic market has quiet hours, a few a day per pair and independently
 * per pair, in which a single pair may print nothing for minutes. It
 * rejects with every symbol's error if none answers. Before it resolves,
 * ccxt has sent every subscription (wsSent): one still in ccxt's send
 * queue when the instance is closed rejects where no caller catches it.
 */
export async function firstOf(ex, method, symbols, ms) {
  let first;
  try {
    first = await h.withTimeout(Promise.any(symbols.map((s) => ex[method](s).then((r) => [s, r]))), ms, `${method} ${symbols.join(', ')}`);
  } catch (err) {
    if (err instanceof AggregateError) throw new Error(`${method}: ${err.errors.map((e) => e?.message ?? e).join('; ')}`);
    throw err;
  }
  await wsSent(ex, ms);
  return first;
}

/**
 * watchSymbols is symbol and the next n-1 markets of its type that ccxt
 * loaded (the server's pairs, under ccxt's names), for firstOf: three
 * pairs are never all quiet at once, and ccxt sends its subscriptions
 * slowly (Kraken's: one a second).
 */
export function watchSymbols(ex, symbol, n = 3) {
  const type = ex.market(symbol).type;
  const others = Object.values(ex.markets).filter((mk) => mk.type === type && mk.symbol !== symbol).map((mk) => mk.symbol);
  return [symbol, ...others].slice(0, n);
}

/**
 * wsSent waits (up to ms) until no WS client of ex has a message waiting in
 * ccxt's rate-limit queue (its client.throttler).
 */
export async function wsSent(ex, ms) {
  const end = Date.now() + ms;
  const pending = () => Object.values(ex.clients ?? {}).some((c) => {
    const t = c.throttler;
    return t && (t.queue.length - (t.queueHead ?? 0) > 0);
  });
  while (pending()) {
    if (Date.now() > end) throw new Error(`ccxt still queues WS messages after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * windows are the times the shallow checks ask from, fixed once per id so
 * that a recording and its replay send the same requests: candles from 30
 * minutes ago (on the minute), funding history from 3 days ago to the
 * start of the hour (ccxt's unified `until`: without it some classes send
 * now as the end, KuCoin's `to`, a request no recording can match).
 */
export function windows(now = Date.now()) {
  return {
    candles: h.currentOpen(h.MINUTE, now) - 30 * h.MINUTE,
    funding: h.currentOpen(HOUR, now) - 72 * HOUR,
    fundingUntil: h.currentOpen(HOUR, now),
  };
}

/** WATCH_MS bounds each watch of the shallow checks (all of an id's symbols at once). */
export const WATCH_MS = 20_000;

/**
 * SHALLOW holds one minimal check per method: the call a user would make,
 * and a result that is valid ccxt (what the method promises), nothing
 * more. Each takes {ex, symbol, watchSymbols (a few served symbols ccxt
 * loaded, for the watches: see firstOf), entry, win} and returns the
 * result, for comparing a replay with its recording.
 */
export const SHALLOW = {
  async fetchTrades({ ex, symbol }) {
    const trades = await ex.fetchTrades(symbol);
    checkTrades(trades, symbol, 'fetchTrades');
    return trades;
  },
  async watchTrades({ ex, watchSymbols }) {
    const [symbol, trades] = await firstOf(ex, 'watchTrades', watchSymbols, WATCH_MS);
    checkTrades(trades, symbol, 'watchTrades');
  },
  async fetchTicker({ ex, symbol }) {
    const t = await ex.fetchTicker(symbol);
    checkTicker(t, symbol, 'fetchTicker');
    return t;
  },
  async fetchTickers({ ex, symbol }) {
    // The symbol's market type: ccxt's default type may be another (MEXC's is spot).
    const ts = await ex.fetchTickers(undefined, { type: ex.market(symbol).type });
    assert.ok(ts[symbol], `fetchTickers lacks ${symbol}: ${Object.keys(ts).slice(0, 10)}`);
    checkTicker(ts[symbol], symbol, 'fetchTickers', { touch: false });
    return ts;
  },
  async watchTicker({ ex, watchSymbols }) {
    const [symbol, t] = await firstOf(ex, 'watchTicker', watchSymbols, WATCH_MS);
    assert.equal(t.symbol, symbol);
    assert.ok(Number.isFinite(t.last ?? t.close ?? t.bid), `watchTicker without a price: ${JSON.stringify(t.info)}`);
  },
  async fetchBidsAsks({ ex, symbol }) {
    // Every symbol's of the type (ccxt's MEXC mistakes the answer to one symbol).
    const ts = await ex.fetchBidsAsks(undefined, { type: ex.market(symbol).type });
    const t = ts[symbol];
    assert.ok(t, `fetchBidsAsks lacks ${symbol}: ${Object.keys(ts).slice(0, 10)}`);
    assert.ok(t.bid > 0 && t.ask > t.bid, `fetchBidsAsks: bid ${t.bid} ask ${t.ask}`);
    return ts;
  },
  async fetchStatus({ ex }) {
    const s = await ex.fetchStatus();
    assert.equal(s.status, 'ok', JSON.stringify(s));
  },
  async fetchFundingRate({ ex, symbol }) {
    const f = await ex.fetchFundingRate(symbol);
    assert.equal(f.symbol, symbol);
    assert.ok(Number.isFinite(f.fundingRate) && Math.abs(f.fundingRate) < 0.05, `fundingRate ${f.fundingRate}`);
    return f;
  },
  async fetchFundingRateHistory({ ex, symbol, win }) {
    const hs = await ex.fetchFundingRateHistory(symbol, win.funding, 10, { until: win.fundingUntil });
    assert.ok(hs.length > 0, 'no funding history');
    hs.forEach((f, i) => {
      assert.equal(f.symbol, symbol);
      assert.ok(Number.isFinite(f.fundingRate) && f.timestamp >= win.funding && f.timestamp <= win.fundingUntil, `#${i} ${JSON.stringify(f.info)}`);
      if (i > 0) assert.ok(f.timestamp > hs[i - 1].timestamp, `not oldest first at #${i}`);
    });
    return hs;
  },
  async fetchMarkOHLCV({ ex, symbol, win }) {
    const cs = await ex.fetchMarkOHLCV(symbol, '1m', win.candles, 10);
    priceCandles(cs, win.candles, 'fetchMarkOHLCV');
    return cs;
  },
  async fetchIndexOHLCV({ ex, symbol, win }) {
    const cs = await ex.fetchIndexOHLCV(symbol, '1m', win.candles, 10);
    priceCandles(cs, win.candles, 'fetchIndexOHLCV');
    return cs;
  },
  async fetchOpenInterest({ ex, symbol }) {
    const oi = await ex.fetchOpenInterest(symbol);
    assert.equal(oi.symbol, symbol);
    assert.ok((oi.openInterestAmount ?? oi.openInterestValue) > 0, JSON.stringify(oi.info));
    return oi;
  },
};
