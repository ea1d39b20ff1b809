// ccxt unchanged, for EVERY exchange id, against ONE process serving every
// exchange by hostname — the checks of test/proxy.test.mjs (loadMarkets with
// default market types, two joined fetchOHLCV pages, watchOHLCV; only
// httpsProxy and wsProxy set, urls untouched, the CA trusted through
// NODE_EXTRA_CA_CERTS; every socket ccxt opens goes to the proxy's port and
// the server refuses no host) through three processes in turn:
//
//   1. `synth --all`: so ids whose default loadMarkets asks a sibling id's
//      hosts (binance → fapi/dapi, kucoin → api-futures, mexc perpetual →
//      api.mexc.com) pass too;
//   2. `record --all --cassette F --upstream-proxy URL --upstream-ca PEM`:
//      the recorder reaches the real hostnames through the proxy port of an
//      upstream `synth --all` (trusting its CA), so a host two ids share —
//      ws.okx.com's one business socket for spot and swap — is served
//      whole, as by the real exchange; the recorder and the upstream then
//      exit cleanly;
//   3. with the upstreams gone, `replay --cassette F` (another seed), where
//      a fresh ccxt per id must get exactly the candles recorded in 2.
//
// Every id must pass but those under ../passing.json's todo.proxyall (synth
// --all), todo.recordall (record --all) and todo.replayall (the replay), by
// id with the reason, which run as TODO tests. CCXT_STRICT=1 makes them
// required; CCXT_IDS=a,b runs only those ids (the upstream serves every id
// all the same: ccxt's default loadMarkets asks siblings).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const EXCHANGES = h.entries(h.registry(bin));
const ALL_IDS = h.registry(bin).map((l) => l.id);
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const strict = process.env.CCXT_STRICT === '1';
const passing = h.readPassing();

const LIMIT = 100;
const TIMEOUT = 60_000;
const CONCURRENCY = 4;
const CHECKS = ['loadMarkets', 'fetchOHLCV', 'watchOHLCV', 'close'];
const noCA = !process.env.NODE_EXTRA_CA_CERTS && 'NODE_EXTRA_CA_CERTS is not set: run `npm test`';

// proxies: every proxy address of this file, the only places ccxt's
// sockets may go (an earlier, failed instance may still be retrying).
const proxies = new Set();
const outcome = new Map();
// recorded[id]: what ccxt got through the recorder, for the replay.
const recorded = new Map();

const cleanExit = async (proc, what) => {
  const res = await proc.stop('SIGTERM');
  assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null },
    `${what} did not exit cleanly on SIGTERM; stderr:\n${proc.stderr()}`);
  assert.deepEqual(res.stdout, [], `${what} printed more than the listening line`);
};

// VARIANTS: the one process every id is served by. start() returns it
// (and may set more on the variant's shared state); stop() checks it exits
// cleanly.
const VARIANTS = [
  {
    name: 'synth --all',
    todo: 'proxyall',
    async start(sh) {
      return h.startCommand(bin, ['synth', '--all', '--listen', '127.0.0.1:0', '--seed', '7'], 'synth --all');
    },
    async stop(sh) { await cleanExit(sh.server, 'synth --all'); },
  },
  {
    name: 'record --all',
    todo: 'recordall',
    async start(sh) {
      sh.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candlecassette-proxyall-'));
      sh.cassette = path.join(sh.dir, 'all.cassette');
      cassetteDir = sh.dir;
      // One upstream for every id, reached as a client would reach the
      // exchange: through its proxy port, trusting the CA both processes
      // share (run-tests.mjs made it: CANDLECASSETTE_CA_DIR, and its
      // certificate is NODE_EXTRA_CA_CERTS).
      const upstream = await h.startCommand(bin, ['synth', '--all', '--listen', '127.0.0.1:0', '--seed', '11'], 'the upstream synth --all');
      sh.upstreams = [upstream];
      return h.startCommand(bin, ['record', '--all', '--listen', '127.0.0.1:0', '--cassette', sh.cassette,
        '--upstream-proxy', upstream.url, '--upstream-ca', process.env.NODE_EXTRA_CA_CERTS], 'record --all');
    },
    async stop(sh) {
      await cleanExit(sh.server, 'record --all');
      for (const up of sh.upstreams) await cleanExit(up, 'the upstream synth --all');
      assert.ok(fs.statSync(sh.cassette).size > 0, 'the cassette is empty');
      cassette = sh.cassette;
    },
    async cleanup(sh) { for (const up of sh.upstreams ?? []) await up.stop('SIGKILL'); },
  },
  {
    name: 'replay --cassette of the record --all cassette',
    todo: 'replayall',
    replay: true,
    async start() {
      assert.ok(cassette, 'record --all left no cassette');
      // A seed unlike the recording's: candles made up instead of read from
      // the cassette would differ.
      return h.startCommand(bin, ['replay', '--cassette', cassette, '--listen', '127.0.0.1:0', '--seed', '12345'], 'replay --cassette');
    },
    async stop(sh) { await cleanExit(sh.server, 'replay --cassette'); },
  },
];
let cassette;
let cassetteDir;

for (const variant of VARIANTS) {
  describe(`every id through one ${variant.name}`, { skip: noCA }, () => {
    const sh = {};
    let startError;

    before(async () => {
      try {
        sh.server = await variant.start(sh);
        sh.proxyAddr = sh.server.url.replace(/^http:\/\//, '');
        proxies.add(sh.proxyAddr);
        sh.logSeen = 0;
        guard.takeConnections(); // the servers' start is not ccxt's
      } catch (err) {
        startError = err;
      }
    });

    after(async () => {
      await sh.server?.stop('SIGKILL');
      await variant.cleanup?.(sh);
      guard.takeConnections();
    });

    // The ids run CONCURRENCY at a time: they share nothing but the server.
    describe('each id', { concurrency: CONCURRENCY }, () => {
    for (const entry of EXCHANGES) {
      const todoIds = passing[variant.todo];
      const key = `${entry.id} (${variant.name})`;
      const skip = only && !only.has(entry.id) && `${entry.id}: not in CCXT_IDS`;
      const todo = !strict && todoIds.has(entry.id) && `${entry.id} is under todo.${variant.todo} in compat/ccxt/passing.json: reported, not fatal`;

      describe(`${entry.id} with ccxt ${entry.pkg ?? 'ccxt'}.pro.${entry.ccxt}`, { skip, concurrency: 1 }, () => {
        const state = {};
        let setupError;

        const check = (name, title, fn) => it(title, { timeout: TIMEOUT, todo }, async (t) => {
          try {
            if (startError) throw startError;
            if (setupError) throw setupError;
            const res = await fn(t);
            h.assertProxyOnly(guard, proxies, sh.proxyAddr, sh.server, sh);
            outcome.get(key)[name] = res === 'skip' ? 'skip' : 'ok';
          } catch (err) {
            outcome.get(key)[name] = err;
            guard.violations.splice(0);
            guard.takeConnections();
            if (sh.server) sh.logSeen = sh.server.stderr().length;
            throw err;
          }
        });

        before(async () => {
          outcome.set(key, {});
          if (startError) return;
          try {
            state.ex = await h.makeProxiedExchange(entry, sh.server.url, 'wsProxy');
            const pristine = await h.makeProxiedExchange(entry, sh.server.url, 'wsProxy');
            assert.deepEqual(state.ex.urls, pristine.urls);
            assert.ok(h.collectUrls(state.ex.urls.api).every((u) => !u.includes('127.0.0.1')), 'ccxt urls name the server');
            if (variant.replay) {
              state.rec = recorded.get(entry.id);
              assert.ok(state.rec?.pages, `nothing was recorded for ${entry.id} through record --all`);
            }
          } catch (err) {
            setupError = err;
          }
        });

        after(async () => {
          await state.ex?.close().catch(() => {});
          guard.takeConnections();
        });

        check('loadMarkets', 'loadMarkets (default market types) finds the symbol', async () => {
          const { ex } = state;
          await ex.loadMarkets();
          state.symbol = h.pickSymbol(entry, ex);
          const m = ex.market(state.symbol);
          assert.equal(m.type, entry.type, `${state.symbol} has type ${m.type}`);
          assert.notEqual(m.active, false, `${state.symbol} is not active`);
          if (variant.replay) assert.equal(state.symbol, state.rec.symbol, 'the replayed markets differ');
        });

        check('fetchOHLCV', `fetchOHLCV pages ${LIMIT} 1m candles from since without gap or overlap`, async () => {
          const { ex, symbol } = state;
          assert.ok(symbol, 'loadMarkets did not find the symbol');
          const since = variant.replay ? state.rec.since : h.currentOpen(h.MINUTE) - 500 * h.MINUTE;
          const pages = await h.fetchPages(ex, symbol, since, LIMIT);
          if (variant.replay) assert.deepEqual(pages, state.rec.pages, 'replayed candles differ from the recorded ones');
          else if (variant.name === 'record --all') recorded.set(entry.id, { symbol, since, pages });
        });

        check('watchOHLCV', 'watchOHLCV receives the candle in progress', async (t) => {
          const { ex, symbol } = state;
          if (!ex.has.watchOHLCV) {
            t.skip(`ccxt's ${entry.ccxt} has no watchOHLCV`);
            return 'skip';
          }
          assert.ok(symbol, 'loadMarkets did not find the symbol');
          // The replay's clock starts at the recording's time, a little while ago.
          await h.watchCurrent(ex, symbol, variant.replay ? { slackMs: 10 * h.MINUTE } : {});
        });

        check('close', 'ccxt closes', async () => {
          await state.ex.close();
        });
      });
    }
    });

    it(`${variant.name} (and its upstreams) exit cleanly on SIGTERM`, { timeout: TIMEOUT }, async () => {
      if (startError) throw startError;
      await variant.stop(sh);
    });
  });
}

after(() => {
  if (cassetteDir) fs.rmSync(cassetteDir, { recursive: true, force: true });
  let passed = 0;
  const rows = [...outcome.entries()].map(([key, o]) => {
    const failed = CHECKS.filter((c) => o[c] !== 'ok' && o[c] !== 'skip');
    if (failed.length === 0) passed++;
    const id = key.split(' ')[0];
    const variant = VARIANTS.find((v) => key.endsWith(`(${v.name})`));
    const tag = passing[variant.todo].has(id) && !strict ? ' (todo: not required yet)' : '';
    if (failed.length === 0) return `${key}: passed${tag}`;
    const why = failed.map((c) => `${c}: ${String(o[c]?.message ?? 'not run').split('\n')[0].slice(0, 200)}`);
    return `${key}: FAILED${tag} ${why.join(' | ')}`;
  });
  console.log(`ccxt, every id through one process: ${passed} of ${outcome.size} run pass\n  ${rows.join('\n  ')}`);
});
