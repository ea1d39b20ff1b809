// ccxt unchanged behind proxy mode: for every exchange id the binary serves
// (joined with its row of harness.mjs's CCXT table), ccxt is created with
// only its proxy options pointed at `candlecassette synth ID` — `urls`,
// market types and every other option left at ccxt's defaults — and
// trusts the server's TLS through NODE_EXTRA_CA_CERTS, a CA that
// run-tests.mjs makes in a temporary directory before node starts. Then
// loadMarkets (default types), two joined fetchOHLCV pages and watchOHLCV,
// as test/exchanges.test.mjs does with rewritten URLs.
//
// The guards: every socket ccxt opens goes to a proxy's port (nothing
// else, not even another loopback port, and no name is looked up), the
// server refuses no host (ccxt asked only for the exchange's own hosts),
// and ccxt's urls are still its own.
//
// VARIANTS are the ways of reaching a single-id proxy; the same checks
// against one multi-exchange process (synth --all, record --all and the
// replay of its cassette) are test/proxyall-ids.test.mjs. Ids under
// todo.proxy in ../passing.json (those whose default loadMarkets needs a
// host of a sibling id: they pass there) run as TODO tests. CCXT_STRICT=1 makes them required;
// CCXT_IDS=a,b runs only those ids.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const EXCHANGES = h.entries(h.registry(bin));
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const strict = process.env.CCXT_STRICT === '1';
const todoIds = h.readPassing().proxy;

const LIMIT = 100;
const TIMEOUT = 60_000;

// VARIANTS: how ccxt reaches the server. wsProxy (absolute-form requests
// in clear) for every id; wssProxy (CONNECT, then TLS) for those listed.
const VARIANTS = [
  { name: 'httpsProxy + wsProxy', ws: 'wsProxy', ids: undefined },
  { name: 'httpsProxy + wssProxy', ws: 'wssProxy', ids: new Set(['binance_perpetual', 'kraken_spot']) },
];

// proxies are the servers' addresses: the only places a socket may go. An
// instance of an earlier test that failed may still be retrying its own
// proxy, so every proxy of this file counts, never another port.
const proxies = new Set();

const outcome = new Map();
const CHECKS = ['loadMarkets', 'fetchOHLCV', 'watchOHLCV', 'shutdown'];

describe('proxy mode needs its CA trusted before node starts', () => {
  it('run-tests.mjs set NODE_EXTRA_CA_CERTS and CANDLECASSETTE_CA_DIR', () => {
    assert.ok(process.env.NODE_EXTRA_CA_CERTS && process.env.CANDLECASSETTE_CA_DIR,
      'run the ccxt tests with `npm test` (run-tests.mjs), which makes a CA and sets both');
  });
});

for (const variant of VARIANTS) {
  for (const entry of EXCHANGES) {
    if (variant.ids && !variant.ids.has(entry.id)) continue;
    const key = `${entry.id} (${variant.name})`;
    const skip = (only && !only.has(entry.id) && `${entry.id}: not in CCXT_IDS`)
      || (!process.env.NODE_EXTRA_CA_CERTS && 'NODE_EXTRA_CA_CERTS is not set: run `npm test`');
    const todo = !strict && todoIds.has(entry.id) && `${entry.id} is under todo.proxy in compat/ccxt/passing.json: reported, not fatal`;

    describe(`${entry.id} with ccxt ${entry.pkg ?? 'ccxt'}.pro.${entry.ccxt} through ${variant.name}`, { skip }, () => {
      const state = {};
      let setupError;

      // check runs one step as a test: it fails on the step's error, a
      // setup error, a socket to anywhere but the proxy's port, or a
      // host the server refused.
      const check = (name, title, fn) => it(title, { timeout: TIMEOUT, todo }, async (t) => {
        try {
          if (setupError) throw setupError;
          const res = await fn(t);
          h.assertProxyOnly(guard, proxies, state.proxyAddr, state.server, state);
          outcome.get(key)[name] = res === 'skip' ? 'skip' : 'ok';
        } catch (err) {
          outcome.get(key)[name] = err;
          guard.violations.splice(0);
          guard.takeConnections();
          throw err;
        }
      });

      before(async () => {
        outcome.set(key, {});
        try {
          state.server = await h.startServer(bin, entry.id, { seed: 7 });
          state.proxyAddr = state.server.url.replace(/^http:\/\//, '');
          proxies.add(state.proxyAddr);
          state.logSeen = 0;
          guard.takeConnections(); // the server's start is not ccxt's
          state.ex = await h.makeProxiedExchange(entry, state.server.url, variant.ws);
          const pristine = await h.makeProxiedExchange(entry, state.server.url, variant.ws);
          assert.deepEqual(state.ex.urls, pristine.urls);
          assert.ok(h.collectUrls(state.ex.urls.api).every((u) => !u.includes('127.0.0.1')), 'ccxt urls name the server');
        } catch (err) {
          setupError = err;
        }
      });

      after(async () => {
        await state.ex?.close().catch(() => {});
        await state.server?.stop('SIGKILL');
        guard.takeConnections();
      });

      check('loadMarkets', 'loadMarkets (default market types) finds the symbol', async () => {
        const { ex } = state;
        await ex.loadMarkets();
        state.symbol = h.pickSymbol(entry, ex);
        const m = ex.market(state.symbol);
        assert.equal(m.type, entry.type, `${state.symbol} has type ${m.type}`);
        assert.notEqual(m.active, false, `${state.symbol} is not active`);
      });

      check('fetchOHLCV', `fetchOHLCV pages ${LIMIT} 1m candles from since without gap or overlap`, async () => {
        const { ex, symbol } = state;
        assert.ok(symbol, 'loadMarkets did not find the symbol');
        const since = h.currentOpen(h.MINUTE) - 500 * h.MINUTE;
        await h.fetchPages(ex, symbol, since, LIMIT);
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

      check('shutdown', 'ccxt closes and the server exits cleanly on SIGTERM', async () => {
        await state.ex.close();
        const res = await state.server.stop('SIGTERM');
        assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null },
          `server did not exit cleanly on SIGTERM; stderr:\n${state.server.stderr()}`);
        assert.deepEqual(res.stdout, [], 'server printed more than the listening line');
      });
    });
  }
}

after(() => {
  let passed = 0;
  const rows = [...outcome.entries()].map(([key, o]) => {
    const failed = CHECKS.filter((c) => o[c] !== 'ok' && o[c] !== 'skip');
    if (failed.length === 0) passed++;
    const id = key.split(' ')[0];
    const tag = todoIds.has(id) && !strict ? ' (todo: not required yet)' : '';
    if (failed.length === 0) return `${key}: passed${tag}`;
    const why = failed.map((c) => `${c}: ${String(o[c]?.message ?? 'not run').split('\n')[0].slice(0, 160)}`);
    return `${key}: FAILED${tag} ${why.join(' | ')}`;
  });
  console.log(`ccxt proxy mode: ${passed} of ${outcome.size} run pass\n  ${rows.join('\n  ')}`);
});
