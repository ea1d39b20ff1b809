// Beyond candles for Binance: for binance_spot (ccxt binance) and
// binance_perpetual (ccxt binanceusdm; COIN-M is not registered), ccxt with
// only its URLs pointed at `candlecassette synth ID` calls each method of
// methods.mjs's list that its class declares and checks what comes back
// against the rest of the market:
//   - fetchTrades: aggregate trades from since, paged by fromId (Binance's
//     own paging) and by since, the pages joining with ids consecutive (each
//     aggregate's first trade id one past the last of the one before), no
//     gap and no duplicate; the aggregate trades of a closed minute make
//     its kline (open, high, low, close, volume, quote volume, and the
//     count of trades: each aggregate trade's first..last trade ids);
//   - watchTrades: the @trade stream, ids consecutive, going on;
//   - fetchTicker, fetchTickers, watchTicker, fetchBidsAsks: the 24h
//     window's high, low and volume within what its 1m candles allow,
//     bid < ask around the last price, the last price the last trade's;
//   - fetchStatus;
//   - perpetual: fetchFundingRate (the rate within Binance's cap, the next
//     settlement on the 8-hour schedule, mark within the band of index),
//     fetchFundingRateHistory (8 hours apart, a second page joining),
//     fetchMarkOHLCV and fetchIndexOHLCV (1m series, mark within the band
//     of index minute by minute, index unlike the traded candles),
//     fetchOpenInterest.
// CCXT_IDS=a,b runs only those ids.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';
import * as m from '../methods.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const IDS = ['binance_spot', 'binance_perpetual'];
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const EXCHANGES = h.entries(h.registry(bin)).filter((e) => IDS.includes(e.id));
const TIMEOUT = 60_000;
// Binance's funding cap and mark band (synth/perp.go's perpRules, as the
// venue's USDⓈ-M BTCUSDT).
const CAP = 0.003;
const BAND = 0.005;

assert.equal(EXCHANGES.length, IDS.length, `the binary serves ${EXCHANGES.map((e) => e.id)}`);

/** klines asks Binance's raw klines (what ccxt's OHLCV drops: the trade count, the quote volume). */
function klines(ex, entry, params) {
  return entry.type === 'swap' ? ex.fapiPublicGetKlines(params) : ex.publicGetKlines(params);
}

/**
 * aggRange is an aggregate trade's prints, its first..last trade ids: an
 * aggregate's own id ("a") is its first print's id here (trade.go's
 * AggID), so aggregates join by f and l, not by a + 1.
 */
const aggRange = (t) => [BigInt(t.info.f), BigInt(t.info.l)];

/** sum adds numbers. */
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** close says a and b agree to rel (relative), for sums of parsed decimals. */
const close = (a, b, rel = 1e-9) => Math.abs(a - b) <= Math.max(Math.abs(a), Math.abs(b)) * rel + 1e-12;

describe('binance', { concurrency: true }, () => {
  for (const entry of EXCHANGES) {
    const skip = only && !only.has(entry.id) ? `${entry.id}: not in CCXT_IDS` : false;
    describe(`${entry.id}: trades, tickers${entry.type === 'swap' ? ', funding, mark and index' : ''} with ccxt ${entry.ccxt}`, { skip }, () => {
      const s = {};
      const perp = entry.type === 'swap';

      // method runs a check when ccxt declares the method for the id.
      const method = (name, title, fn) => it(`${name}: ${title}`, { timeout: TIMEOUT }, async (t) => {
        if (!m.declares(s.ex.has, entry, name)) return t.skip(`ccxt's ${entry.ccxt} does not declare ${name} here`);
        await fn(s.ex, s.symbol);
        guard.assertClean();
      });

      before(async () => {
        s.server = await h.startServer(bin, entry.id, { seed: 7 });
        s.ex = await h.makeExchange(entry, s.server);
        await s.ex.loadMarkets();
        s.symbol = h.pickSymbol(entry, s.ex);
        s.symbols = Object.values(s.ex.markets).filter((mk) => mk.type === entry.type).map((mk) => mk.symbol);
      });

      after(async () => {
        await s.ex?.close().catch(() => {});
        await s.server?.stop('SIGKILL');
      });

      method('fetchTrades', 'a closed minute paged by fromId, joining, makes its kline', async (ex, symbol) => {
        // The closed minute of the last two hours whose trade count is
        // nearest 600 (the synthetic market has quiet minutes and busy ones).
        const start = h.currentOpen(h.MINUTE) - 120 * h.MINUTE;
        const rows = await klines(ex, entry, { symbol: ex.market(symbol).id, interval: '1m', startTime: start, limit: 120 });
        const closed = rows.filter((r) => Number(r[0]) + h.MINUTE <= Date.now() - 1000 && Number(r[8]) > 0);
        assert.ok(closed.length > 0, `no trade in the last two hours: ${JSON.stringify(rows.slice(-3))}`);
        const k = closed.reduce((a, b) => (Math.abs(Number(b[8]) - 600) < Math.abs(Number(a[8]) - 600) ? b : a));
        const open = Number(k[0]);
        // Page through the minute, about five pages: since and until give
        // the first, fromId (one past the last print) each next one.
        const size = Math.max(5, Math.ceil(Number(k[8]) / 10));
        const pages = [await ex.fetchTrades(symbol, open, size, { until: open + h.MINUTE - 1 })];
        m.checkTrades(pages[0], symbol, 'page 1', { since: open });
        while (pages.at(-1).length === size && pages.at(-1).at(-1).timestamp < open + h.MINUTE && pages.length < 50) {
          const next = await ex.fetchTrades(symbol, undefined, size, { fromId: String(BigInt(pages.at(-1).at(-1).id) + 1n) });
          m.checkTrades(next, symbol, `page ${pages.length + 1}`);
          m.joinPages(pages.at(-1), next, `pages ${pages.length} and ${pages.length + 1}`, aggRange);
          pages.push(next);
        }
        const trades = pages.flat().filter((t) => t.timestamp < open + h.MINUTE);
        m.consecutive(trades, 'the minute', aggRange);
        assert.ok(trades.length > 0 && trades[0].timestamp >= open, 'the minute has no trade');
        // The minute's first print is right after the last before the minute.
        const first = BigInt(trades[0].info.f);
        const before = await ex.fetchTrades(symbol, undefined, 1000, { fromId: String(first - 1000n) });
        const prev = before.find((t) => BigInt(t.info.l) === first - 1n);
        assert.ok(prev, `no aggregate ends at trade ${first - 1n}, right before the minute's first`);
        assert.ok(prev.timestamp < open, `the aggregate before the minute's first is at ${prev.timestamp}, in the minute`);
        // The aggregate trades make the kline.
        const px = trades.map((t) => t.price);
        assert.deepEqual([px[0], Math.max(...px), Math.min(...px), px.at(-1)], k.slice(1, 5).map(Number), `OHLC of ${trades.length} aggregate trades vs the kline ${JSON.stringify(k)}`);
        assert.ok(close(sum(trades.map((t) => t.amount)), Number(k[5])), `volume ${sum(trades.map((t) => t.amount))} vs ${k[5]}`);
        assert.ok(close(sum(trades.map((t) => t.price * t.amount)), Number(k[7]), 1e-6), `quote volume vs ${k[7]}`);
        const count = sum(trades.map((t) => Number(t.info.l) - Number(t.info.f) + 1));
        assert.equal(count, Number(k[8]), 'trades counted by the aggregate trades vs the kline');
        // since alone: the first hour from it, the same trades first.
        const fromSince = await ex.fetchTrades(symbol, open, 10);
        m.checkTrades(fromSince, symbol, 'from since', { since: open });
        assert.deepEqual(fromSince.map((t) => t.id), trades.slice(0, 10).map((t) => t.id), 'since gives the minute\'s first trades');
      });

      method('fetchTrades', 'the latest trades, and a page by since that goes on from them', async (ex, symbol) => {
        const latest = await ex.fetchTrades(symbol, undefined, 50);
        m.checkTrades(latest, symbol, 'latest');
        m.consecutive(latest, 'latest', aggRange);
        assert.ok(latest.length <= 50);
        // From the 10th-last trade's time: overlap only in its millisecond.
        const from = latest.at(-10);
        const page = await ex.fetchTrades(symbol, from.timestamp, 50);
        m.checkTrades(page, symbol, 'from since', { since: from.timestamp });
        assert.ok(BigInt(page[0].id) <= BigInt(from.id), `since ${from.timestamp} skips trade ${from.id}`);
        m.consecutive(page, 'from since', aggRange);
      });

      method('watchTrades', 'trades as they print, ids consecutive, going on', async (ex) => {
        const [symbol, live] = await m.firstOf(ex, 'watchTrades', m.watchSymbols(ex, s.symbol), 30_000);
        m.checkTrades(live, symbol, 'watchTrades');
        m.consecutive(live, 'watchTrades');
        const n = live.length;
        const lastId = BigInt(live.at(-1).id);
        const more = await h.withTimeout(ex.watchTrades(symbol), 30_000, `second watchTrades ${symbol}`);
        m.checkTrades(more, symbol, 'second watchTrades');
        assert.ok(BigInt(more.at(-1).id) > lastId, `the stream does not go on after ${lastId} (${n} then ${more.length})`);
        // The REST trades know the streamed ones (spot: raw trades by id).
        if (!perp) {
          const rest = await ex.fetchTrades(symbol, undefined, 5, { fetchTradesMethod: 'publicGetTrades' });
          assert.ok(BigInt(rest.at(-1).id) >= lastId, `REST's latest trade ${rest.at(-1).id} is before the streamed ${lastId}`);
        }
      });

      method('fetchTicker', "the 24h window within its 1m candles, the last trade's price", async (ex, symbol) => {
        const t = await ex.fetchTicker(symbol);
        m.checkTicker(t, symbol, 'fetchTicker');
        const openTime = Number(t.info.openTime);
        const closeTime = Number(t.info.closeTime);
        assert.ok(closeTime - openTime <= 24 * m.HOUR && closeTime - openTime > 23 * m.HOUR, `window ${openTime}..${closeTime}`);
        const since = h.currentOpen(h.MINUTE, openTime);
        const p1 = await ex.fetchOHLCV(symbol, '1m', since, 1000);
        const p2 = await ex.fetchOHLCV(symbol, '1m', p1.at(-1)[0] + h.MINUTE, 1000);
        const cover = [...p1, ...p2].filter((c) => c[0] <= closeTime);
        h.checkSeries(cover, h.MINUTE, 'the window\'s candles');
        const inner = cover.filter((c) => c[0] >= openTime && c[0] + h.MINUTE - 1 <= closeTime);
        const hi = (cs) => Math.max(...cs.map((c) => c[2]));
        const lo = (cs) => Math.min(...cs.map((c) => c[3]));
        assert.ok(t.high <= hi(cover) && t.high >= hi(inner), `high ${t.high} outside ${hi(inner)}..${hi(cover)}`);
        assert.ok(t.low >= lo(cover) && t.low <= lo(inner), `low ${t.low} outside ${lo(cover)}..${lo(inner)}`);
        const vol = (cs) => sum(cs.map((c) => c[5]));
        assert.ok(t.baseVolume <= vol(cover) * (1 + 1e-9) && t.baseVolume >= vol(inner) * (1 - 1e-9), `volume ${t.baseVolume} outside ${vol(inner)}..${vol(cover)}`);
        const [last] = (await ex.fetchTrades(symbol, undefined, 1));
        assert.ok(m.near(t.last, last.price, 0.005), `last ${t.last}, last trade ${last.price}`);
      });

      method('fetchTickers', 'every pair, and one', async (ex, symbol) => {
        const all = await ex.fetchTickers(undefined, { type: entry.type });
        assert.deepEqual(Object.keys(all).sort(), [...s.symbols].sort(), 'fetchTickers');
        for (const [sym, t] of Object.entries(all)) m.checkTicker(t, sym, `fetchTickers ${sym}`);
        const one = await ex.fetchTickers([symbol]);
        assert.deepEqual(Object.keys(one), [symbol]);
      });

      method('watchTicker', 'a 24h ticker update', async (ex) => {
        const [symbol, t] = await m.firstOf(ex, 'watchTicker', m.watchSymbols(ex, s.symbol), 30_000);
        m.checkTicker(t, symbol, 'watchTicker');
        assert.ok(t.baseVolume > 0 && t.open > 0, JSON.stringify(t.info));
      });

      method('fetchBidsAsks', "bid below ask around the ticker's last", async (ex, symbol) => {
        const ts = await ex.fetchBidsAsks([symbol]);
        assert.deepEqual(Object.keys(ts), [symbol]);
        const t = await ex.fetchTicker(symbol);
        m.touchAroundLast({ bid: ts[symbol].bid, ask: ts[symbol].ask, last: t.last }, 'fetchBidsAsks', 0.005);
        assert.ok(ts[symbol].bidVolume > 0 && ts[symbol].askVolume > 0, JSON.stringify(ts[symbol].info));
      });

      method('fetchStatus', 'ok', async (ex) => {
        const st = await ex.fetchStatus();
        assert.equal(st.status, 'ok', JSON.stringify(st));
      });

      if (!perp) return;

      method('fetchFundingRate', 'within the cap, next on the 8h schedule, mark within the band of index', async (ex, symbol) => {
        const f = await ex.fetchFundingRate(symbol);
        assert.equal(f.symbol, symbol);
        assert.ok(Math.abs(f.fundingRate) <= CAP, `rate ${f.fundingRate}`);
        assert.equal(f.fundingTimestamp % m.EIGHT_HOURS, 0, `next funding ${f.fundingTimestamp}`);
        assert.ok(f.fundingTimestamp > Date.now() - 60_000 && f.fundingTimestamp <= Date.now() + m.EIGHT_HOURS, `next funding ${f.fundingTimestamp}`);
        assert.ok(Math.abs(f.markPrice / f.indexPrice - 1) <= BAND, `mark ${f.markPrice} index ${f.indexPrice}`);
        assert.notEqual(f.markPrice, f.indexPrice, 'mark equals index');
      });

      method('fetchFundingRateHistory', 'settlements 8h apart, a second page joining', async (ex, symbol) => {
        const since = h.currentOpen(m.EIGHT_HOURS) - 30 * m.EIGHT_HOURS;
        const p1 = await ex.fetchFundingRateHistory(symbol, since, 10);
        assert.equal(p1.length, 10);
        const p2 = await ex.fetchFundingRateHistory(symbol, p1.at(-1).timestamp + 1, 10);
        assert.equal(p2.length, 10);
        const all = [...p1, ...p2];
        all.forEach((f, i) => {
          assert.equal(f.symbol, symbol);
          assert.ok(Math.abs(f.fundingRate) <= CAP, `rate ${f.fundingRate}`);
          assert.equal(f.timestamp, since + i * m.EIGHT_HOURS, `settlement #${i}`);
        });
      });

      it('fetchMarkOHLCV, fetchIndexOHLCV: mark within the band of index, index unlike the traded candles', { timeout: TIMEOUT }, async (t) => {
        const { ex, symbol } = s;
        if (!ex.has.fetchMarkOHLCV || !ex.has.fetchIndexOHLCV) return t.skip('ccxt declares neither');
        const since = h.currentOpen(h.MINUTE) - 60 * h.MINUTE;
        const [mark, index, traded] = await Promise.all([
          ex.fetchMarkOHLCV(symbol, '1m', since, 50), ex.fetchIndexOHLCV(symbol, '1m', since, 50), ex.fetchOHLCV(symbol, '1m', since, 50)]);
        for (const [cs, label] of [[mark, 'mark'], [index, 'index']]) {
          m.priceCandles(cs, since, label);
          assert.equal(cs.length, 50, label);
          assert.equal(cs[0][0], since, label);
        }
        for (let i = 0; i < 50; i++) {
          for (const j of [1, 2, 3, 4]) {
            assert.ok(Math.abs(mark[i][j] / index[i][j] - 1) <= BAND, `minute ${mark[i][0]}: mark ${mark[i][j]} index ${index[i][j]} (field ${j})`);
          }
          assert.ok(m.near(index[i][4], traded[i][4], 0.01), `minute ${index[i][0]}: index ${index[i][4]} traded ${traded[i][4]}`);
        }
        assert.ok(index.some((c, i) => c[4] !== traded[i][4]), 'the index candles are the traded ones');
        assert.ok(mark.some((c, i) => c[4] !== index[i][4]), 'the mark candles are the index ones');
        guard.assertClean();
      });

      method('fetchOpenInterest', 'a positive amount', async (ex, symbol) => {
        const oi = await ex.fetchOpenInterest(symbol);
        assert.equal(oi.symbol, symbol);
        assert.ok(oi.openInterestAmount > 0, JSON.stringify(oi.info));
        assert.ok(Math.abs(oi.timestamp - Date.now()) < 60_000, `at ${oi.timestamp}`);
      });
    });
  }
});
