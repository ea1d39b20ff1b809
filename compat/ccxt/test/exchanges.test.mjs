// For every exchange id the binary serves (`candlecassette exchanges
// --json`, joined with its row of harness.mjs's CCXT table): ccxt, with only
// its URLs pointed at `candlecassette synth ID`, loads markets, pages 1m
// candles from a fixed `since` without gap or overlap, and receives a live
// kline for the candle in progress; then the server exits cleanly on
// SIGTERM.
//
// Every id must pass but those under todo.exchanges in ../passing.json,
// which run as TODO tests: their failures are reported, with the summary at
// the end, and do not fail the run, so one exchange still in progress does
// not block CI for all. Take an id off the todo list once it passes.
// CCXT_STRICT=1 makes todo ids required too; CCXT_IDS=a,b runs only those
// ids. test/registry.test.mjs fails for a registered id without a CCXT row.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const EXCHANGES = h.entries(h.registry(bin));
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const strict = process.env.CCXT_STRICT === '1';
const todoIds = h.readPassing().exchanges;

// Per-id outcome of each check ('ok', 'skip' or an error), summarized at the end.
const outcome = new Map();
const CHECKS = ['loadMarkets', 'fetchOHLCV', 'watchOHLCV', 'shutdown'];

const LIMIT = 100;
const TIMEOUT = 60_000;

for (const entry of EXCHANGES) {
  const skip = only && !only.has(entry.id) ? `${entry.id}: not in CCXT_IDS` : false;
  const todo = !strict && todoIds.has(entry.id) && `${entry.id} is under todo.exchanges in compat/ccxt/passing.json: reported, not fatal`;

  describe(`${entry.id} with ccxt ${entry.pkg ?? 'ccxt'}.pro.${entry.ccxt}`, { skip }, () => {
    const state = {};
    let setupError;

    // check runs one step as a test: it fails on the step's error, on a
    // setup error, or on the network guard having seen a request leave
    // 127.0.0.1, and records the result for the summary.
    const check = (name, title, fn) => it(title, { timeout: TIMEOUT, todo }, async (t) => {
      try {
        if (setupError) throw setupError;
        const res = await fn(t);
        guard.assertClean();
        outcome.get(entry.id)[name] = res === 'skip' ? 'skip' : 'ok';
      } catch (err) {
        outcome.get(entry.id)[name] = err;
        guard.violations.splice(0);
        throw err;
      }
    });

    before(async () => {
      outcome.set(entry.id, {});
      try {
        state.server = await h.startServer(bin, entry.id, { seed: 7 });
        state.ex = await h.makeExchange(entry, state.server);
        for (const u of h.collectUrls(state.ex.urls.api)) {
          assert.ok(u.startsWith(state.server.url) || u.startsWith(state.server.wsUrl), `URL not rewritten: ${u}`);
        }
      } catch (err) {
        setupError = err;
      }
    });

    after(async () => {
      // Leave nothing running if a step failed before the shutdown check.
      await state.ex?.close().catch(() => {});
      await state.server?.stop('SIGKILL');
    });

    check('loadMarkets', 'loadMarkets finds the symbol', async () => {
      const { ex } = state;
      await ex.loadMarkets();
      state.symbol = h.pickSymbol(entry, ex);
      const m = ex.market(state.symbol);
      assert.equal(m.type, entry.type, `${state.symbol} has type ${m.type}`);
      assert.notEqual(m.active, false, `${state.symbol} is not active`);
      assert.ok(ex.timeframes?.['1m'] !== undefined, 'ccxt has no 1m timeframe for this exchange');
    });

    check('fetchOHLCV', `fetchOHLCV pages ${LIMIT} 1m candles from since without gap or overlap`, async () => {
      const { ex, symbol } = state;
      assert.ok(symbol, 'loadMarkets did not find the symbol');
      // Far enough back for two full pages, recent enough for every
      // exchange's window (Kraken keeps 720 candles).
      const since = h.currentOpen(h.MINUTE) - 500 * h.MINUTE;
      const [page1] = await h.fetchPages(ex, symbol, since, LIMIT);

      // Asking again gives the same candles: the market is deterministic.
      const again = await ex.fetchOHLCV(symbol, '1m', since, LIMIT);
      assert.deepEqual(again, page1, 'the same request gave different candles');
    });

    check('watchOHLCV', 'watchOHLCV receives the candle in progress', async (t) => {
      const { ex, symbol } = state;
      if (!ex.has.watchOHLCV) {
        t.skip(`ccxt's ${entry.ccxt} has no watchOHLCV`);
        return 'skip';
      }
      assert.ok(symbol, 'loadMarkets did not find the symbol');
      await h.watchCurrent(ex, symbol);
    });

    check('shutdown', 'the server exits cleanly on SIGTERM', async () => {
      await state.ex.close();
      const res = await state.server.stop('SIGTERM');
      assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null },
        `server did not exit cleanly on SIGTERM; stderr:\n${state.server.stderr()}`);
      assert.deepEqual(res.stdout, [], 'server printed more than the listening line');
    });
  });
}

after(() => {
  let passed = 0;
  let ran = 0;
  const rows = EXCHANGES.map((e) => {
    const o = outcome.get(e.id);
    if (!o) return `${e.id}: skipped`;
    ran++;
    const failed = CHECKS.filter((c) => o[c] !== 'ok' && o[c] !== 'skip');
    if (failed.length === 0) passed++;
    const tag = todoIds.has(e.id) && !strict ? ' (todo: not required yet)' : '';
    if (failed.length === 0) return `${e.id}: passed${tag}`;
    const why = failed.map((c) => `${c}: ${String(o[c]?.message ?? 'not run').split('\n')[0].slice(0, 160)}`);
    return `${e.id}: FAILED${tag} ${why.join(' | ')}`;
  });
  console.log(`ccxt compat: ${passed} of ${ran} ids run pass (${EXCHANGES.length} ids in all)\n  ${rows.join('\n  ')}`);
});
