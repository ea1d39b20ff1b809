// Beyond candles for OKX and Bybit (issue 15): for okx_spot,
// okx_perpetual, bybit_spot and bybit_perpetual, ccxt with only its URLs
// pointed at `candlecassette synth ID` calls every method of the list below
// that its class `has` (emulated included) and checks what comes back:
// trades (ids consecutive, pages by id joining without gap or overlap where
// the exchange pages, `since` honoured), live trades continuing the REST
// ones, tickers (bid < ask around the last price, the 24h range holding
// it), system status, and for perpetuals funding (the 8-hour schedule),
// mark and index candles (aligned, and not the traded candles) and open
// interest. CCXT_IDS=a,b runs only those ids.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';
import * as m from '../methods.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const IDS = ['okx_spot', 'okx_perpetual', 'bybit_spot', 'bybit_perpetual'];
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const EXCHANGES = h.entries(h.registry(bin)).filter((e) => IDS.includes(e.id));
const TIMEOUT = 60_000;

assert.equal(EXCHANGES.length, IDS.length, `the binary serves ${EXCHANGES.map((e) => e.id)}`);

for (const entry of EXCHANGES) {
  const skip = only && !only.has(entry.id) ? `${entry.id}: not in CCXT_IDS` : false;
  describe(`${entry.id}: trades, tickers, funding with ccxt.pro.${entry.ccxt}`, { skip }, () => {
    const state = {};
    const perp = entry.type === 'swap';
    const okx = entry.ccxt === 'okx';

    // method runs one check when ccxt's class has the method.
    const method = (name, fn) => it(name, { timeout: TIMEOUT }, async (t) => {
      if (!state.ex.has[name]) {
        t.skip(`${entry.ccxt} has no ${name}`);
        return;
      }
      await fn(state.ex, state.symbol);
      guard.assertClean();
    });

    before(async () => {
      state.server = await h.startServer(bin, entry.id, { seed: 7 });
      state.ex = await h.makeExchange(entry, state.server);
      await state.ex.loadMarkets();
      state.symbol = h.pickSymbol(entry, state.ex);
    });

    after(async () => {
      await state.ex?.close().catch(() => {});
      await state.server?.stop('SIGKILL');
    });

    method('fetchTrades', async (ex, symbol) => {
      const trades = await ex.fetchTrades(symbol, undefined, 50);
      assert.equal(trades.length, 50, 'limit 50');
      m.consecutive(trades, 'latest');
      for (const tr of trades) {
        assert.equal(tr.symbol, symbol);
        assert.ok(tr.price > 0 && tr.amount > 0 && ['buy', 'sell'].includes(tr.side), JSON.stringify(tr));
        assert.ok(tr.timestamp <= Date.now() + 1000, `trade in the future: ${tr.timestamp}`);
      }
      // since: ccxt keeps the trades at or after it.
      const since = trades[25].timestamp;
      const later = await ex.fetchTrades(symbol, since, 50);
      assert.ok(later.length > 0 && later.every((tr) => tr.timestamp >= since), 'since');
      if (okx) {
        // Paging back through history-trades by tradeId joins.
        const params = { method: 'publicGetMarketHistoryTrades' };
        const p1 = await ex.fetchTrades(symbol, undefined, 100, params);
        const p2 = await ex.fetchTrades(symbol, undefined, 100, { ...params, after: p1[0].id });
        assert.equal(p1.length, 100);
        assert.equal(p2.length, 100);
        m.consecutive([...p2, ...p1], 'history pages');
      }
    });

    method('watchTrades', async (ex, picked) => {
      // The first of a few pairs to print: one may be in a quiet hour.
      const [symbol, live] = await m.firstOf(ex, 'watchTrades', m.watchSymbols(ex, picked), 30_000);
      const rest = await ex.fetchTrades(symbol, undefined, 1);
      assert.ok(live.length > 0);
      if (okx) {
        // OKX pushes one trade per taker order: its last tradeId and the
        // count of prints, so the ids advance by the count.
        for (let i = 1; i < live.length; i++) {
          assert.equal(BigInt(live[i].id) - BigInt(live[i - 1].id), BigInt(live[i].info.count), `live: ${JSON.stringify(live[i].info)} after ${live[i - 1].id}`);
        }
      } else {
        m.consecutive(live, 'live');
      }
      assert.ok(BigInt(live[0].id) > BigInt(rest[0].id) - 5000n, `live ${live[0].id} far from REST ${rest[0].id}`);
      const more = await h.withTimeout(ex.watchTrades(symbol), 30_000, 'watchTrades again');
      assert.ok(more.length > 0 && BigInt(more[more.length - 1].id) > BigInt(live[live.length - 1].id), 'the stream goes on');
    });

    method('fetchTicker', async (ex, symbol) => {
      const t = await ex.fetchTicker(symbol);
      assert.equal(t.symbol, symbol);
      assert.ok(t.low <= t.last && t.last <= t.high, `last ${t.last} outside [${t.low}, ${t.high}]`);
      assert.ok(t.baseVolume > 0 && t.open > 0, JSON.stringify(t.info));
      m.touchAroundLast(t, 'fetchTicker');
      // The last price is the last trade's.
      const [tr] = await ex.fetchTrades(symbol, undefined, 1);
      assert.ok(Math.abs(tr.price - t.last) / t.last < 0.01, `last ${t.last}, last trade ${tr.price}`);
    });

    method('fetchTickers', async (ex, symbol) => {
      // Every market of the type (ccxt asks for its default type unless
      // told), and the one asked for.
      const ts = await ex.fetchTickers(undefined, { type: entry.type });
      assert.ok(ts[symbol], `fetchTickers lacks ${symbol}: ${Object.keys(ts)}`);
      assert.equal(Object.keys(ts).length, entry.exchange.pairs.length, `fetchTickers: ${Object.keys(ts)}`);
      const one = await ex.fetchTickers([symbol]);
      assert.deepEqual(Object.keys(one), [symbol]);
      for (const t of Object.values(ts)) assert.ok(t.last > 0 && t.high >= t.low, JSON.stringify(t.info));
    });

    method('watchTicker', async (ex, symbol) => {
      const t = await h.withTimeout(ex.watchTicker(symbol), 30_000, 'watchTicker');
      assert.equal(t.symbol, symbol);
      assert.ok(t.last > 0 && t.low <= t.last && t.last <= t.high, JSON.stringify(t));
    });

    method('fetchBidsAsks', async (ex, symbol) => {
      const ts = await ex.fetchBidsAsks([symbol]);
      m.touchAroundLast(ts[symbol], 'fetchBidsAsks');
    });

    method('fetchStatus', async (ex) => {
      const s = await ex.fetchStatus();
      assert.equal(s.status, 'ok', JSON.stringify(s));
    });

    if (!perp) return;

    method('fetchFundingRate', async (ex, symbol) => {
      const f = await ex.fetchFundingRate(symbol);
      assert.equal(f.symbol, symbol);
      assert.ok(Math.abs(f.fundingRate) <= 0.00375, `rate ${f.fundingRate}`);
      assert.equal(f.fundingTimestamp % m.EIGHT_HOURS, 0, `next funding ${f.fundingTimestamp}`);
      assert.ok(f.fundingTimestamp > Date.now() - 60_000 && f.fundingTimestamp <= Date.now() + m.EIGHT_HOURS, `next funding ${f.fundingTimestamp}`);
      if (f.markPrice !== undefined && f.indexPrice !== undefined) {
        assert.ok(Math.abs(f.markPrice / f.indexPrice - 1) <= 0.005, `mark ${f.markPrice} index ${f.indexPrice}`);
      }
    });

    method('fetchFundingRateHistory', async (ex, symbol) => {
      const since = Math.floor(Date.now() / m.EIGHT_HOURS) * m.EIGHT_HOURS - 30 * m.EIGHT_HOURS;
      const hs = await ex.fetchFundingRateHistory(symbol, since, 10);
      assert.ok(hs.length >= 9, `${hs.length} settlements`);
      for (let i = 0; i < hs.length; i++) {
        assert.equal(hs[i].timestamp % m.EIGHT_HOURS, 0, `settlement at ${hs[i].timestamp}`);
        assert.ok(hs[i].timestamp >= since);
        if (i > 0) assert.equal(hs[i].timestamp, hs[i - 1].timestamp + m.EIGHT_HOURS, 'settlements 8h apart, oldest first');
      }
    });

    for (const [name, kind] of [['fetchMarkOHLCV', 'mark'], ['fetchIndexOHLCV', 'index']]) {
      method(name, async (ex, symbol) => {
        const since = h.currentOpen(h.MINUTE) - 30 * h.MINUTE;
        const cs = await ex[name](symbol, '1m', since, 20);
        assert.equal(cs.length, 20, `${kind} candles`);
        // Price candles have no volume (ccxt gives undefined): 0 for the check.
        h.checkSeries(cs.map((c) => [...c.slice(0, 5), c[5] ?? 0]), h.MINUTE, `${kind} candles`);
        assert.equal(cs[0][0], since);
        const trades = await ex.fetchOHLCV(symbol, '1m', since, 20);
        assert.ok(cs.some((c, i) => c[4] !== trades[i][4]), `${kind} candles are the traded ones`);
        for (let i = 0; i < cs.length; i++) {
          assert.ok(Math.abs(cs[i][4] / trades[i][4] - 1) < 0.01, `${kind} close ${cs[i][4]}, traded ${trades[i][4]}`);
        }
      });
    }

    method('fetchOpenInterest', async (ex, symbol) => {
      const oi = await ex.fetchOpenInterest(symbol);
      assert.equal(oi.symbol, symbol);
      const amount = oi.openInterestAmount ?? oi.baseVolume;
      assert.ok(amount > 0 || oi.openInterestValue > 0, JSON.stringify(oi));
    });
  });
}
