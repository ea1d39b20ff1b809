// For every exchange id the binary serves: ccxt, with only its URLs pointed
// at `candlecassette synth ID`, loads markets, pages 1m candles from a fixed
// `since` without gap or overlap, and receives a live kline for the candle in
// progress. Ids without a plugin are skipped, not failed. Set CCXT_IDS to a
// comma-separated list of ids to run only those.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const registered = h.registeredIds(bin);
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;

// Per-id outcome of each check ('ok', 'skip' or 'fail'), summarized at the end.
const outcome = new Map();
const record = (id, check, result) => outcome.set(id, { ...outcome.get(id), [check]: result });
const CHECKS = ['loadMarkets', 'fetchOHLCV', 'watchOHLCV'];

const LIMIT = 100;

for (const entry of h.EXCHANGES) {
  let skip = false;
  if (only && !only.has(entry.id)) skip = `${entry.id}: not in CCXT_IDS`;
  else if (!registered.has(entry.id)) skip = `${entry.id}: no plugin registered in this build yet`;

  describe(`${entry.id} with ccxt ${entry.pkg ?? 'ccxt'}.pro.${entry.ccxt}`, { skip }, () => {
    let server;
    let ex;
    let symbol;

    before(async () => {
      outcome.set(entry.id, {});
      server = await h.startServer(bin, entry.id, { seed: 7 });
      ex = await h.makeExchange(entry, server);
      for (const u of h.collectUrls(ex.urls.api)) {
        assert.ok(u.startsWith(server.url) || u.startsWith(server.wsUrl), `URL not rewritten: ${u}`);
      }
    });

    after(async () => {
      if (ex) await ex.close();
      if (server) {
        const res = await server.stop('SIGTERM');
        assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null },
          `${entry.id}: server did not exit cleanly on SIGTERM; stderr:\n${server.stderr()}`);
      }
      guard.assertClean();
    });

    afterEach(() => guard.assertClean());

    it('loadMarkets finds the symbol', { timeout: 60_000 }, async () => {
      try {
        await ex.loadMarkets();
        symbol = h.pickSymbol(entry, ex);
        const m = ex.market(symbol);
        assert.equal(m.type, entry.type, `${symbol} has type ${m.type}`);
        assert.equal(m.active === false, false, `${symbol} is not active`);
        assert.ok(ex.timeframes?.['1m'] !== undefined, 'ccxt has no 1m timeframe for this exchange');
        record(entry.id, 'loadMarkets', 'ok');
      } catch (err) {
        record(entry.id, 'loadMarkets', 'fail');
        throw err;
      }
    });

    it(`fetchOHLCV pages ${LIMIT} 1m candles from since without gap or overlap`, { timeout: 60_000 }, async () => {
      try {
        assert.ok(symbol, 'loadMarkets did not find the symbol');
        // Far enough back for two full pages, recent enough for every
        // exchange's window (Kraken keeps 720 candles).
        const since = h.currentOpen(h.MINUTE) - 500 * h.MINUTE;
        const page1 = await ex.fetchOHLCV(symbol, '1m', since, LIMIT);
        assert.equal(page1.length, LIMIT, `page 1 has ${page1.length} candles`);
        assert.equal(page1[0][0], since, 'page 1 does not start at since');
        h.checkSeries(page1, h.MINUTE, 'page 1');

        const next = page1.at(-1)[0] + h.MINUTE;
        const page2 = await ex.fetchOHLCV(symbol, '1m', next, LIMIT);
        assert.equal(page2.length, LIMIT, `page 2 has ${page2.length} candles`);
        h.checkJoin(page1, page2, h.MINUTE);
        h.checkSeries(page2, h.MINUTE, 'page 2');

        // Asking again gives the same candles: the market is deterministic.
        const again = await ex.fetchOHLCV(symbol, '1m', since, LIMIT);
        assert.deepEqual(again, page1, 'the same request gave different candles');
        record(entry.id, 'fetchOHLCV', 'ok');
      } catch (err) {
        record(entry.id, 'fetchOHLCV', 'fail');
        throw err;
      }
    });

    it('watchOHLCV receives the candle in progress', { timeout: 60_000 }, async (t) => {
      if (!ex.has.watchOHLCV) {
        record(entry.id, 'watchOHLCV', 'skip');
        t.skip(`ccxt's ${entry.ccxt} has no watchOHLCV`);
        return;
      }
      try {
        assert.ok(symbol, 'loadMarkets did not find the symbol');
        const before = Date.now();
        const candles = await h.withTimeout(ex.watchOHLCV(symbol, '1m'), 30_000, 'watchOHLCV');
        const afterMs = Date.now();
        assert.ok(Array.isArray(candles) && candles.length > 0, 'watchOHLCV gave no candles');
        h.checkSeries(candles, h.MINUTE, 'watchOHLCV');
        const ts = candles.at(-1)[0];
        const want = [h.currentOpen(h.MINUTE, before), h.currentOpen(h.MINUTE, afterMs)];
        assert.ok(want.includes(ts), `watchOHLCV's last candle opens at ${ts}, want the candle in progress ${want[1]}`);
        // A second update arrives on the same subscription.
        const more = await h.withTimeout(ex.watchOHLCV(symbol, '1m'), 30_000, 'second watchOHLCV update');
        assert.ok(more.length > 0 && more.at(-1)[0] >= ts, 'second update went back in time');
        record(entry.id, 'watchOHLCV', 'ok');
      } catch (err) {
        record(entry.id, 'watchOHLCV', 'fail');
        throw err;
      }
    });
  });
}

after(() => {
  let passed = 0;
  let ran = 0;
  const rows = h.EXCHANGES.map((e) => {
    const o = outcome.get(e.id);
    if (!o) return `${e.id}: skipped`;
    ran++;
    const failed = CHECKS.filter((c) => o[c] !== 'ok' && o[c] !== 'skip');
    if (failed.length === 0) passed++;
    return `${e.id}: ${failed.length === 0 ? 'passed' : `FAILED ${failed.join(', ')}`}`;
  });
  console.log(`ccxt compat: ${passed} of ${ran} ids run pass (${h.EXCHANGES.length} ids in all)\n  ${rows.join('\n  ')}`);
});
