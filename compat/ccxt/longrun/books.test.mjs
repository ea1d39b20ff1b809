// A long accelerated run of every order book ccxt keeps (not part of npm
// test: `npm run test:long`, `make longrun`). For every registered id
// whose ccxt class declares watchOrderBook, against `candlecassette synth
// ID --speed SPEED` (CCXT_LONG_SPEED, 100): ccxt watches the book for
// LONG_MS of real time (CCXT_LONG_MS, 20 s: about half an hour of market
// time), and every book it applies (its WS client's resolve is wrapped)
// is valid — sides non-empty and strictly ordered, sizes > 0, never
// crossed — its nonce never going back, and the books span at least
// MIN_MARKET_MIN minutes of market time (a stream the client cannot keep
// up with covers less). Ids run CONCURRENCY at a time
// (CCXT_LONG_CONCURRENCY, 3); CCXT_IDS=a,b runs only those. Those under
// todo.longrun in ../passing.json (with why) run as TODO tests. It prints
// `# ccxt long run: P of N ids` and each id's books and market minutes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const EXCHANGES = h.entries(h.registry(bin)).filter((e) => !only || only.has(e.id));
const HAS = new Map(await Promise.all(EXCHANGES.map(async (e) => [e.id, await h.classHas(e)])));
const TODO = JSON.parse(fs.readFileSync(new URL('../passing.json', import.meta.url), 'utf8')).todo?.longrun ?? {};

const SPEED = Number(process.env.CCXT_LONG_SPEED) || 100;
const LONG_MS = Number(process.env.CCXT_LONG_MS) || 20_000;
const CONCURRENCY = Number(process.env.CCXT_LONG_CONCURRENCY) || 3;
const MIN_MARKET_MIN = 3;
const CALL_MS = 20_000;
/** WATCH_LIMIT: ccxt kucoin and kucoinfutures load their snapshot at the watch's limit. */
const WATCH_LIMIT = { kucoin: 100, kucoinfutures: 100 };

const outcome = new Map();

describe(`ccxt keeps every order book for a long run at --speed ${SPEED}`, { concurrency: CONCURRENCY }, () => {
  for (const entry of EXCHANGES) {
    if (!HAS.get(entry.id).watchOrderBook) {
      it.skip(`${entry.id}: ccxt's ${entry.ccxt} does not declare watchOrderBook`);
      continue;
    }
    const why = TODO[entry.id];
    it(entry.id, { timeout: LONG_MS + 120_000, todo: why ? `passing.json: ${why}` : false }, async () => {
      let srv;
      let ex;
      const seen = { books: 0, first: undefined, last: undefined };
      try {
        srv = await h.startServer(bin, entry.id, { seed: 7, extraArgs: ['--speed', String(SPEED)] });
        ex = await h.makeExchange(entry, srv);
        h.patient(ex, CALL_MS);
        await ex.loadMarkets();
        const symbol = h.pickSymbol(entry, ex);
        let bad;
        let nonce;
        h.onEveryBook(ex, symbol, (ob) => {
          try {
            h.validBook(ob, `${entry.id} book ${seen.books + 1}`);
            if (ob.nonce !== undefined && nonce !== undefined) assert.ok(ob.nonce >= nonce, `${entry.id}: nonce went back from ${nonce} to ${ob.nonce}`);
            if (ob.nonce !== undefined) nonce = ob.nonce;
          } catch (err) {
            bad ??= err;
          }
          seen.books++;
          if (ob.timestamp) {
            seen.first ??= ob.timestamp;
            seen.last = ob.timestamp;
          }
        });
        const end = Date.now() + LONG_MS;
        while (Date.now() < end && !bad) await h.withTimeout(ex.watchOrderBook(symbol, WATCH_LIMIT[entry.ccxt]), CALL_MS, `${entry.id}: watchOrderBook`);
        if (bad) throw bad;
        const minutes = (seen.last - seen.first) / 60_000;
        assert.ok(minutes >= MIN_MARKET_MIN, `${entry.id}: ${seen.books} books over ${minutes.toFixed(1)} minutes of market time (want ${MIN_MARKET_MIN})`);
        guard.assertClean();
        outcome.set(entry.id, { ok: true, ...seen, minutes });
      } catch (err) {
        guard.violations.splice(0);
        outcome.set(entry.id, { ok: false, err, ...seen });
        throw err;
      } finally {
        await ex?.close().catch(() => {});
        await srv?.stop('SIGKILL');
      }
    });
  }
});

after(() => {
  const rows = [...outcome].map(([id, o]) => o.ok
    ? `${id}: ${o.books} books over ${o.minutes.toFixed(1)} market minutes, all valid`
    : `${id}: FAILED${TODO[id] ? ' (todo)' : ''} after ${o.books} books: ${String(o.err?.message ?? '').split('\n')[0].slice(0, 200)}`);
  const passed = [...outcome.values()].filter((o) => o.ok).length;
  console.log(`# ccxt long run: ${passed} of ${outcome.size} ids kept a valid book for ${LONG_MS / 1000} s at --speed ${SPEED}\n  ${rows.join('\n  ')}`);
});
