// Trades, tickers and the perpetual side through ccxt for Gate, MEXC,
// Hyperliquid and AscendEX (issue 15): for each of their ids, ccxt, with
// only its URLs pointed at `candlecassette synth ID`, calls every method
// its class `has` among fetchTrades (since, and a second page from where
// the first ended), watchTrades, fetchTicker, fetchTickers, watchTicker,
// fetchBidsAsks, fetchStatus and, for perpetuals, fetchFundingRate,
// fetchFundingRateHistory, fetchMarkOHLCV, fetchIndexOHLCV and
// fetchOpenInterest. A method ccxt cannot call without an account (a user
// address) is skipped with the reason. CCXT_IDS=a,b runs only those ids.
// The summary at the end counts the (id, method) pairs passing against
// those ccxt declares.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';
import * as m from '../methods.mjs';

const IDS = ['gate_io_spot', 'gate_io_perpetual', 'mexc_spot', 'mexc_perpetual',
  'hyperliquid_spot', 'hyperliquid_perpetual', 'ascend_ex_spot'];
const guard = h.installNetworkGuard();
const bin = h.binary();
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const EXCHANGES = h.entries(h.registry(bin)).filter((e) => IDS.includes(e.id));
const TIMEOUT = 60_000;

const { SPOT, PERP, near } = m;

// outcome: id → method → 'ok' | 'skip: why' | Error.
const outcome = new Map();

/** tradeKey identifies a trade across pages (ccxt id, else time, price and amount). */
const tradeKey = (t) => t.id ?? `${t.timestamp}/${t.price}/${t.amount}`;

/**
 * tradesFrom is fetchTrades(symbol, since, limit), with an until an hour
 * on where ccxt requires one beside since (MEXC spot's aggTrades window).
 */
async function tradesFrom(ex, symbol, since, limit) {
  try {
    return await ex.fetchTrades(symbol, since, limit);
  } catch (err) {
    if (err?.constructor?.name !== 'ArgumentsRequired' || !/until/.test(err.message)) throw err;
    return ex.fetchTrades(symbol, since, limit, { until: since + 60 * h.MINUTE - 1 });
  }
}

const checks = {
  async fetchTrades(ex, symbol) {
    const since = h.currentOpen(h.MINUTE) - 30 * h.MINUTE;
    const page1 = await tradesFrom(ex, symbol, since, 50);
    m.checkTrades(page1, symbol, 'page 1', { since });
    assert.ok(page1.length <= 50, `page 1 has ${page1.length} trades, asked for 50`);
    if (page1[0].timestamp >= since + 5 * h.MINUTE) {
      // ccxt sends no since for this market (it filters the latest trades
      // by it): those are the latest, and a page from since cannot be had.
      const latest = await ex.fetchTrades(symbol, undefined, 50);
      m.checkTrades(latest, symbol, 'latest');
      assert.ok(latest.at(-1).timestamp >= page1.at(-1).timestamp, 'the latest trades are older than the page from since');
      return `since is only a filter in ccxt's ${ex.id} for ${symbol}: the latest trades, no paging`;
    }
    // The next page from the last trade's time: it overlaps only in
    // trades of that very millisecond, and goes on without a gap. Gate's
    // futures take since in whole seconds, so the page is long enough to
    // outlast a busy second.
    const last = page1.at(-1);
    const page2 = await tradesFrom(ex, symbol, last.timestamp, 1000);
    m.checkTrades(page2, symbol, 'page 2', { since: last.timestamp });
    const seen = new Set(page1.map(tradeKey));
    const fresh = page2.filter((t) => !seen.has(tradeKey(t)));
    assert.ok(fresh.length > 0, 'page 2 brings no new trade');
    assert.ok(page2.filter((t) => seen.has(tradeKey(t))).every((t) => t.timestamp === last.timestamp), 'pages overlap beyond the joining millisecond');
    if (last.id !== undefined && /^\d+$/.test(String(last.id)) && /^\d+$/.test(String(fresh[0].id))) {
      assert.equal(BigInt(fresh[0].id), BigInt(last.id) + 1n, `page 2 goes on at id ${fresh[0].id} after ${last.id}`);
    }
  },
  async watchTrades(ex, picked) {
    // The first of a few pairs to print: one may be in a quiet hour.
    const [symbol, trades] = await m.firstOf(ex, 'watchTrades', m.watchSymbols(ex, picked), 30_000);
    m.checkTrades(trades, symbol, 'watchTrades');
    const later = await h.withTimeout(ex.watchTrades(symbol), 30_000, 'second watchTrades');
    m.checkTrades(later, symbol, 'second watchTrades');
  },
  async fetchTicker(ex, symbol) {
    const t = await ex.fetchTicker(symbol);
    m.checkTicker(t, symbol, 'fetchTicker');
  },
  async fetchTickers(ex, symbol) {
    // All tickers of the symbol's market type (ccxt's default type may be
    // another: MEXC's is spot).
    const ts = await ex.fetchTickers(undefined, { type: ex.market(symbol).type });
    assert.ok(ts[symbol], `fetchTickers lacks ${symbol}: ${Object.keys(ts).slice(0, 10)}`);
    m.checkTicker(ts[symbol], symbol, 'fetchTickers', { touch: false });
  },
  async watchTicker(ex, symbol) {
    const t = await h.withTimeout(ex.watchTicker(symbol), 30_000, 'watchTicker');
    assert.equal(t.symbol, symbol);
    assert.ok(Number.isFinite(t.last ?? t.close ?? t.bid), `watchTicker without a price: ${JSON.stringify(t.info)}`);
  },
  async fetchBidsAsks(ex, symbol) {
    // Every symbol's (ccxt's MEXC mistakes the answer to one symbol).
    const ts = await ex.fetchBidsAsks(undefined, { type: ex.market(symbol).type });
    const t = ts[symbol];
    assert.ok(t, `fetchBidsAsks lacks ${symbol}`);
    assert.ok(t.bid > 0 && t.ask > t.bid, `bid ${t.bid} ask ${t.ask}`);
  },
  async fetchStatus(ex) {
    const s = await ex.fetchStatus();
    assert.equal(s.status, 'ok', JSON.stringify(s));
  },
  async fetchFundingRate(ex, symbol) {
    const f = await ex.fetchFundingRate(symbol);
    assert.equal(f.symbol, symbol);
    assert.ok(Number.isFinite(f.fundingRate) && Math.abs(f.fundingRate) < 0.05, `fundingRate ${f.fundingRate}`);
    if (f.markPrice !== undefined && f.indexPrice !== undefined) {
      assert.ok(near(f.markPrice, f.indexPrice, 0.01), `mark ${f.markPrice} index ${f.indexPrice}`);
    }
  },
  async fetchFundingRateHistory(ex, symbol) {
    const since = Date.now() - 3 * 86_400_000;
    const hs = await ex.fetchFundingRateHistory(symbol, since, 10);
    assert.ok(hs.length > 0, 'no funding history');
    hs.forEach((f, i) => {
      assert.ok(Number.isFinite(f.fundingRate), `#${i} ${JSON.stringify(f.info)}`);
      assert.ok(f.timestamp <= Date.now(), `#${i} settles in the future`);
      if (i > 0) assert.ok(f.timestamp > hs[i - 1].timestamp, `not oldest first at #${i}`);
    });
  },
  async fetchMarkOHLCV(ex, symbol) { await checkPriceCandles(ex, symbol, 'fetchMarkOHLCV'); },
  async fetchIndexOHLCV(ex, symbol) { await checkPriceCandles(ex, symbol, 'fetchIndexOHLCV'); },
  async fetchOpenInterest(ex, symbol) {
    const oi = await ex.fetchOpenInterest(symbol);
    assert.ok((oi.openInterestAmount ?? oi.openInterestValue) > 0, JSON.stringify(oi.info));
  },
};

/** checkPriceCandles fetches 1m mark or index candles and checks they are a series unlike the traded one. */
async function checkPriceCandles(ex, symbol, method) {
  const since = h.currentOpen(h.MINUTE) - 60 * h.MINUTE;
  const cs = await ex[method](symbol, '1m', since, 30);
  assert.ok(cs.length > 0, `${method}: no candles`);
  h.checkSeries(cs, h.MINUTE, method);
  const last = await ex.fetchOHLCV(symbol, '1m', since, 30);
  const byTs = new Map(last.map((c) => [c[0], c[4]]));
  const same = cs.filter((c) => byTs.get(c[0]) === c[4]).length;
  assert.ok(same < cs.length, `${method}: every close equals the traded candle's`);
  for (const c of cs) {
    if (byTs.has(c[0])) assert.ok(near(c[4], byTs.get(c[0]), 0.02), `${method}: ${c[4]} far from traded ${byTs.get(c[0])}`);
  }
}

for (const entry of EXCHANGES) {
  const skip = only && !only.has(entry.id) ? `${entry.id}: not in CCXT_IDS` : false;
  describe(`${entry.id}: trades, tickers${entry.type === 'swap' ? ', funding and prices' : ''} with ccxt ${entry.ccxt}`, { skip }, () => {
    const state = {};
    let setupError;
    before(async () => {
      outcome.set(entry.id, {});
      try {
        state.server = await h.startServer(bin, entry.id, { seed: 7 });
        state.ex = await h.makeExchange(entry, state.server);
        await state.ex.loadMarkets();
        state.symbol = h.pickSymbol(entry, state.ex);
      } catch (err) {
        setupError = err;
      }
    });
    after(async () => {
      await state.ex?.close().catch(() => {});
      await state.server?.stop('SIGKILL');
    });
    for (const method of [...SPOT, ...(entry.type === 'swap' ? PERP : [])]) {
      it(method, { timeout: TIMEOUT }, async (t) => {
        const rec = outcome.get(entry.id);
        if (setupError) {
          rec[method] = setupError;
          throw setupError;
        }
        if (!state.ex.has[method]) {
          rec[method] = 'skip: ccxt does not have it';
          t.skip(`ccxt's ${entry.ccxt} has no ${method}`);
          return;
        }
        try {
          const note = await checks[method](state.ex, state.symbol);
          guard.assertClean();
          rec[method] = 'ok';
          if (note) {
            rec[method + ' (note)'] = note;
            t.diagnostic(note);
          }
        } catch (err) {
          guard.violations.splice(0);
          if (err?.constructor?.name === 'ArgumentsRequired' || err?.constructor?.name === 'NotSupported') {
            rec[method] = `skip: ${err.message.split('\n')[0]}`;
            t.skip(rec[method]);
            return;
          }
          rec[method] = err;
          throw err;
        }
      });
    }
  });
}

after(() => {
  let ok = 0;
  let declared = 0;
  const rows = [];
  for (const [id, rec] of outcome) {
    for (const [method, res] of Object.entries(rec)) {
      if (method.endsWith(' (note)')) {
        rows.push(`${id} ${method}: ${res}`);
        continue;
      }
      if (typeof res === 'string' && res.startsWith('skip: ccxt does not')) continue;
      declared++;
      if (res === 'ok') ok++;
      else rows.push(`${id} ${method}: ${typeof res === 'string' ? res : String(res?.message ?? res).split('\n')[0].slice(0, 200)}`);
    }
  }
  console.log(`ccxt trades/tickers/perp (gate, mexc, hyperliquid, ascendex): ${ok} of ${declared} (id, method) pairs ccxt has pass\n  ${rows.join('\n  ')}`);
});
