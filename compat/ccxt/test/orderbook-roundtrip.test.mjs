// Order books through record → replay with ccxt, for every registered id
// whose ccxt class declares fetchOrderBook and watchOrderBook:
//   1. `candlecassette record ID` in front of `candlecassette synth ID`:
//      ccxt, pointed at the recorder, watches the book for RECORD_MS (every
//      book it applies is kept: its top TOP levels a side) and fetches one
//      REST book; the recorder and the upstream then exit cleanly;
//   2. with the upstream gone, `candlecassette replay --cassette F --seed
//      S` (a seed unlike the recording's, so a book the replay made up
//      instead of reading it from the cassette differs) serves the
//      cassette: a fresh ccxt watches the book for RECORD_MS + AFTER_MS,
//      and until the replay's clock is AFTER_MS past the recorded REST
//      request, whichever is longer —
//      across the end of the recording, where the replay carries on with
//      its own market — and every book it applies is valid (sides sorted,
//      sizes > 0, never crossed, the nonce never going back), the
//      replayed books include the recorded ones (at least MIN_SHARED of
//      the recorded states come back, in the recorded order), and the
//      recorded REST request is answered with the recorded book.
//
// Every id must pass but those under todo.bookroundtrip in
// ../passing.json (by id, with why), which run as TODO tests. CCXT_IDS
// runs only those ids; CCXT_BOOKRT_CONCURRENCY ids run at a time (default 2:
// make test runs the Go -race suites beside it on 2 cores).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const EXCHANGES = h.entries(h.registry(bin)).filter((e) => !only || only.has(e.id));
const HAS = new Map(await Promise.all(EXCHANGES.map(async (e) => [e.id, await h.classHas(e)])));
const TODO = JSON.parse(fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'passing.json'), 'utf8')).todo?.bookroundtrip ?? {};

const RECORD_MS = 12_000;
const AFTER_MS = 6_000;
const CALL_MS = 20_000;
const TOP = 5;
const MIN_SHARED = 3;
const CONCURRENCY = Number(process.env.CCXT_BOOKRT_CONCURRENCY) || 2;

/**
 * WATCH_LIMIT: ccxt kucoin loads its snapshot at the watch's limit (without
 * one, KuCoin's private full book); kucoinfutures takes none, and loads the
 * public full level2/snapshot its diff sync needs (see orderbook.test.mjs).
 */
const WATCH_LIMIT = { kucoin: 100 };
/** FETCH_LIMIT: the REST limit asked (one the exchange documents). */
const FETCH_LIMIT = { kucoin: 20, kucoinfutures: 20, hyperliquid: undefined, ascendex: undefined, coinbase: 50 };

const outcome = new Map();

const valid = h.validBook;
const top = (ob) => h.bookTop(ob, TOP);

/**
 * watchAll watches symbol's book on ex for ms of real time and returns
 * every distinct book ccxt applied (not only those a watchOrderBook call
 * returns: its WS client's resolve is wrapped), each checked valid, the
 * nonce never going back.
 */
async function watchAll(ex, symbol, ms, label) {
  const states = [];
  let bad;
  h.onEveryBook(ex, symbol, (result) => {
    try {
      valid(result, `${label} book ${states.length + 1}`);
      const t = top(result);
      if (states.length === 0 || states[states.length - 1].top !== t) states.push({ top: t, nonce: result.nonce });
    } catch (err) {
      bad ??= err;
    }
  });
  const end = Date.now() + ms;
  let nonce;
  let calls = 0;
  while (Date.now() < end) {
    const ob = await h.withTimeout(ex.watchOrderBook(symbol, WATCH_LIMIT[ex.id]), CALL_MS, `${label}: watchOrderBook`);
    calls++;
    valid(ob, `${label} watchOrderBook ${calls}`);
    if (ob.nonce !== undefined && nonce !== undefined) assert.ok(ob.nonce >= nonce, `${label}: nonce went back from ${nonce} to ${ob.nonce}`);
    if (ob.nonce !== undefined) nonce = ob.nonce;
    if (bad) throw bad;
  }
  if (bad) throw bad;
  return states;
}

/** inOrder is how many of want appear in got in want's order (a longest run matched greedily). */
function inOrder(want, got) {
  let n = 0;
  let j = 0;
  for (const w of want) {
    const k = got.indexOf(w, j);
    if (k < 0) continue;
    n++;
    j = k + 1;
  }
  return n;
}

const cleanExit = async (proc, what) => {
  const res = await proc.stop('SIGTERM');
  assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null },
    `${what} did not exit cleanly on SIGTERM; stderr:\n${proc.stderr()}`);
};

describe('ccxt order books through record → replay', { concurrency: CONCURRENCY }, () => {
  for (const entry of EXCHANGES) {
    const has = HAS.get(entry.id);
    if (!has.fetchOrderBook || !has.watchOrderBook) {
      it.skip(`${entry.id}: ccxt's ${entry.ccxt} does not declare fetchOrderBook and watchOrderBook`);
      continue;
    }
    const why = TODO[entry.id];
    it(`${entry.id} (ccxt ${entry.pkg ?? 'ccxt'}.pro.${entry.ccxt})`, { timeout: 180_000, todo: why ? `passing.json: ${why}` : false }, async () => {
      const s = {};
      let phase = 'setup';
      try {
        s.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candlecassette-bookroundtrip-'));
        const cassette = path.join(s.dir, `${entry.id}.cassette`);
        s.upstream = await h.startServer(bin, entry.id, { seed: 11 });
        // recStart is before the recording starts, so restDone - recStart
        // bounds the recorded REST request's instant in the recording.
        const recStart = Date.now();
        s.recorder = await h.startRecorder(bin, entry.id, { cassette, upstream: s.upstream });

        // 1. record.
        phase = 'record';
        let ex = s.ex = await h.makeExchange(entry, s.recorder);
        h.patient(ex, CALL_MS);
        await ex.loadMarkets();
        const symbol = h.pickSymbol(entry, ex);
        const recorded = await watchAll(ex, symbol, RECORD_MS, `${entry.id} recording`);
        assert.ok(recorded.length >= MIN_SHARED, `${recorded.length} distinct books in ${RECORD_MS} ms while recording`);
        const limit = entry.ccxt in FETCH_LIMIT ? FETCH_LIMIT[entry.ccxt] : 5;
        const restRec = await ex.fetchOrderBook(symbol, limit);
        valid(restRec, `${entry.id} recording fetchOrderBook`);
        const restAt = Date.now() - recStart;
        await ex.close();
        s.ex = undefined;
        await cleanExit(s.recorder, 'the recorder');
        await cleanExit(s.upstream, 'the upstream synth server');
        s.recorder = s.upstream = undefined;

        // 2. replay, offline, with another seed.
        phase = 'replay';
        s.replay = await h.startReplay(bin, { cassette, label: `${entry.id} replay`, extraArgs: ['--seed', '12345'] });
        // The replay's clock starts at the recording's start when the
        // replay starts, so by now its clock is at most this far in.
        const repStart = Date.now();
        ex = s.ex = await h.makeExchange(entry, s.replay);
        h.patient(ex, CALL_MS);
        await ex.loadMarkets();
        assert.equal(h.pickSymbol(entry, ex), symbol, 'the replayed markets differ');
        // Past the recording's REST request by AFTER_MS (the recording's
        // own loadMarkets, through the recorder to the upstream, can take
        // seconds longer than the replay's on a busy machine).
        const watchMs = Math.max(RECORD_MS + AFTER_MS, restAt + AFTER_MS - (Date.now() - repStart));
        const replayed = await watchAll(ex, symbol, watchMs, `${entry.id} replay`);
        const shared = inOrder(recorded.map((st) => st.top), replayed.map((st) => st.top));
        assert.ok(shared >= MIN_SHARED,
          `only ${shared} of ${recorded.length} recorded books came back in order among ${replayed.length} replayed ` +
          `(recorded first ${recorded[0]?.top}, replayed first ${replayed[0]?.top})`);
        // Past the recording now: the recorded REST request gets the
        // book now (the synthetic one), not the recorded answer.
        const restRep = await ex.fetchOrderBook(symbol, limit);
        valid(restRep, `${entry.id} replay fetchOrderBook`);
        assert.notEqual(top(restRep), top(restRec), 'past the recording, the recorded REST answer came back instead of the book now');
        await ex.close();
        s.ex = undefined;
        await cleanExit(s.replay, 'the replay server');
        s.replay = undefined;
        guard.assertClean();
        outcome.set(entry.id, { ok: true, recorded: recorded.length, replayed: replayed.length, shared });
      } catch (err) {
        guard.violations.splice(0);
        if (err instanceof Error) err.message = `${phase}: ${err.message}`;
        const proc = s.replay ?? s.recorder;
        const log = proc?.stderr().slice(-1500);
        if (log && err instanceof Error) err.message += `\nserver stderr (end): ${log}`;
        if (proc && err instanceof Error && /timed out/.test(err.message)) {
          // A request that timed out: what the server's goroutines wait for.
          err.message += `\nserver goroutines (SIGQUIT): ${h.ownStacks(await proc.goroutines()) || '(none of its own packages)'}`;
        }
        outcome.set(entry.id, { ok: false, err });
        throw err;
      } finally {
        await s.ex?.close().catch(() => {});
        for (const p of [s.recorder, s.upstream, s.replay]) await p?.stop('SIGKILL');
        if (s.dir) fs.rmSync(s.dir, { recursive: true, force: true });
      }
    });
  }
});

after(() => {
  const rows = [...outcome].map(([id, o]) => o.ok
    ? `${id}: passed (${o.recorded} recorded books, ${o.replayed} replayed, ${o.shared} shared in order)`
    : `${id}: FAILED${TODO[id] ? ' (todo)' : ''} ${String(o.err?.message ?? '').split('\n')[0].slice(0, 200)}`);
  const passed = [...outcome.values()].filter((o) => o.ok).length;
  console.log(`# ccxt order books record → replay: ${passed} of ${outcome.size} ids pass\n  ${rows.join('\n  ')}`);
});
