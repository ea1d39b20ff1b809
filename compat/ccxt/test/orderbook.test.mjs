// ccxt keeps the order book in sync, and the protocol faults break it on
// demand. For every registered id whose ccxt class declares both
// fetchOrderBook and watchOrderBook, against `candlecassette synth ID
// --speed SPEED` (the market runs SPEED times as fast):
//   - fetchOrderBook with each limit of LIMITS (the exchange's documented
//     ones ccxt passes on): a valid book (below) of at most that many
//     levels a side; a bad limit (BAD_LIMIT) rejects with one of ccxt's
//     exchange errors, not a network error;
//   - watchOrderBook for WATCH_VIRTUAL_MS of market time: every update a
//     valid book — bids strictly descending, asks strictly ascending, never
//     crossed, every size > 0 — and its nonce never going back;
//   - the same instant: the watched book's top TOP equals a
//     fetchOrderBook's top TOP at the same update. Every book ccxt resolves
//     (one per message it applies: its WS client's resolve is wrapped, on
//     a fresh connection) is kept (its top TOP, nonce and timestamp); a
//     REST book is matched with the state of its nonce where both carry
//     one (the exchange's update id), else of its timestamp, else (no key
//     at all) with any state the stream passed through in the last
//     seconds. A REST book ahead of the stream is matched once the watch
//     reaches it; the test takes REST books until one is matched. Between
//     two watched states around the REST key ('bracket') a match passes
//     and a mismatch tries again; a stream of whole books at its own cadence (Hyperliquid's,
//     every 500 ms) needs the exact key or a recent pushed book equal to it;
//   - the faults, through PUT /__admin/conditions: with book_gap on (and
//     book_corrupt where the exchange has a checksum ccxt verifies) the
//     watch rejects with ccxt's error for it (InvalidNonce, ChecksumError,
//     or the class's own: see FAULT_ERRORS); with the fault switched off,
//     the next watchOrderBook (ccxt resubscribes) gives a valid book again.
//     Ids whose stream sends whole books (no diffs) have no fault to meet;
//   - every fault check runs on its own ccxt instance (fresh: a gap ccxt
//     does not notice leaves its book wrong for good), which first gives
//     a valid book;
//   - book_duplicate and book_reorder (every third or fifth diff sent
//     twice, or swapped with the next): for a few seconds every book ccxt
//     gives is valid (a duplicate is dropped; a swap either passes
//     unnoticed as valid books or rejects with ccxt's fault error), then
//     with the fault off ccxt gives valid books again;
//   - stale_snapshot, for the classes that load a REST snapshot to start
//     the stream (SNAPSHOT): a fresh watch while every snapshot is 10 s
//     old ends with a valid book or one of ccxt's errors (never a hang),
//     and once the fault is off a valid book.
// It prints `# ccxt order books: passing P of D declared (ids N)`. A check
// that fails fails the test unless passing.json lists it under
// todo.orderbook (by id then check: fetch, bad-limit, watch, same-instant,
// gap, corrupt, duplicate, reorder, stale), with why: those run as TODO
// tests. CCXT_IDS=a,b runs only those ids; the ids run CONCURRENCY at a
// time (CCXT_OB_CONCURRENCY), each on its own server, at --speed SPEED
// (CCXT_OB_SPEED, 5).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const guard = h.installNetworkGuard();
const bin = h.binary();
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const EXCHANGES = h.entries(h.registry(bin)).filter((e) => !only || only.has(e.id));
const HAS = new Map(await Promise.all(EXCHANGES.map(async (e) => [e.id, await h.classHas(e)])));
const TODO = JSON.parse(fs.readFileSync(path.join(here, '..', 'passing.json'), 'utf8')).todo?.orderbook ?? {};

// SPEED (CCXT_OB_SPEED): every book stream's message rate grows with it
// (at 10, up to 525 messages a second for ascend_ex_spot, whose messages
// carry one seqnum each), and this process and the servers share two
// cores with the other test files: at 10, under npm test, the streams
// fell seconds behind and ccxt's WS connections and REST calls timed out.
const SPEED = Number(process.env.CCXT_OB_SPEED) || 5;
// CALL_MS bounds one watchOrderBook (and is ccxt's REST timeout): the
// servers run beside the other test files on a shared CI machine.
const CALL_MS = 20_000;
// REACH_MS bounds the wait for the watched stream to reach a REST book's
// nonce or timestamp (same-instant).
const REACH_MS = 15_000;
// SAME_MS bounds the same-instant check's tries (the test's own timeout
// is 120 s).
const SAME_MS = 90_000;
// PAUSE_MS: how long a loop of calls waits after a rejection (watchOnce).
const PAUSE_MS = 20;
const WATCH_VIRTUAL_MS = 60_000;
const TOP = 5;
const BAD_LIMIT = -5;

/**
 * LIMITS are the fetchOrderBook limits each exchange documents (a few of
 * them), by ccxt class and market type; undefined is ccxt's default.
 * KuCoin's book without a limit is its private full book, so only 20 and
 * 100; Hyperliquid and AscendEX take no limit.
 */
const LIMITS = {
  binance: [5, 100, 1000, 5000],
  binanceusdm: [5, 100, 1000],
  bybit: { spot: [1, 50, 200], swap: [1, 50, 200, 500] },
  okx: [1, 20, 400],
  coinbase: [1, 50, undefined],
  kraken: [1, 100, 500],
  kucoin: [20, 100],
  kucoinfutures: [20, 100],
  gate: [1, 100, 1000],
  mexc: { spot: [5, 100, 5000], swap: [5, 100, 1000] },
  hyperliquid: [undefined],
  ascendex: [undefined],
};

/**
 * WATCH_LIMIT: the watchOrderBook limit where ccxt needs one: ccxt kucoin
 * loads the snapshot with fetchOrderBook at the watch's limit, and without
 * one that is KuCoin's private full book. ccxt kucoinfutures without a
 * limit loads the public full level2/snapshot, as its diff sync needs (the
 * futures change stream covers the whole book; a depth100 snapshot lets a
 * move through its 100 levels empty the side the client holds: ccxt issue
 * 22063), so it takes none.
 */
const WATCH_LIMIT = { kucoin: 100 };

/** CHECKSUM: the classes whose exchange sends a checksum (book_corrupt). */
const CHECKSUM = new Set(['okx', 'kraken']);

/** WHOLE: the classes whose book stream sends whole books, not diffs. */
const WHOLE = new Set(['hyperliquid']);

/**
 * SNAPSHOT: the classes (and market types) whose watchOrderBook loads a
 * REST snapshot to start the diff stream (ccxt's loadOrderBook or its
 * own fetchRestOrderBookSafe); gate spot's spot.obu starts with a pushed
 * book instead.
 */
const SNAPSHOT = { binance: true, binanceusdm: true, kucoin: true, kucoinfutures: true, gate: { swap: true }, mexc: true, ascendex: true };

/** FAULT_ERRORS: the ccxt error classes that say the book broke. */
const FAULT_ERRORS = ['InvalidNonce', 'ChecksumError'];

/**
 * RESUBSCRIBE: errors ccxt raises once while it resubscribes after its
 * own fault error, then recovers: ccxt gate drops the book and the
 * subscription on a ChecksumError, and a diff still in flight before the
 * new subscription's ack makes it spawn loadOrderBook on the dropped book
 * (pro/gate.js handleOrderBook), which rejects with "orderbook is not
 * initiated"; the next call has the new subscription's book.
 */
const RESUBSCRIBE = [/loadOrderBook\(\) orderbook is not initiated/];

/** CONCURRENCY: the ids run at a time, each with its own server. */
const CONCURRENCY = Number(process.env.CCXT_OB_CONCURRENCY) || 5;

const CHECKS = ['fetch', 'bad-limit', 'watch', 'same-instant', 'gap', 'corrupt', 'duplicate', 'reorder', 'stale'];

// outcome: id → check → 'ok' | Error.
const outcome = new Map();

const valid = h.validBook;
const top = (ob) => h.bookTop(ob, TOP);

async function putConditions(server, body) {
  const res = await fetch(`${server.url}/__admin/conditions`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  assert.ok(res.ok, `PUT /__admin/conditions ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
}

/**
 * watchUntil calls watchOrderBook until stop(ob) is true or ms of real time
 * pass, checking every update and the nonce; each(ob) sees every update.
 */
async function watchUntil(ex, symbol, ms, stop, label, limit = WATCH_LIMIT[ex.id]) {
  const end = Date.now() + ms;
  let nonce;
  let n = 0;
  while (Date.now() < end) {
    const ob = await h.withTimeout(ex.watchOrderBook(symbol, limit), CALL_MS, `${label}: watchOrderBook`);
    n++;
    valid(ob, `${label} update ${n}`);
    if (ob.nonce !== undefined && nonce !== undefined) assert.ok(ob.nonce >= nonce, `${label}: nonce went back from ${nonce} to ${ob.nonce}`);
    if (ob.nonce !== undefined) nonce = ob.nonce;
    if (stop(ob)) return n;
  }
  return n;
}

/**
 * watchOnce is one watchOrderBook, bounded by CALL_MS. A rejection is
 * handed on only after a turn of the event loop (PAUSE_MS): ccxt's WS
 * client keeps an error that comes while no call waits (client.reject
 * stores it in client.rejections) and rejects the next call's future with
 * it, and that future stays in client.futures, rejected, until a message
 * resolves the book again (for binance, the new REST snapshot), so every
 * call until then rejects at once. A loop of such calls never leaves the
 * microtask queue: the socket is not read, the throttled resubscription
 * is not sent, the snapshot never lands, and the loop sees the same error
 * until its deadline (binance_spot kept raising its U/u ChecksumError for
 * the whole recovery window, with the fault long off).
 */
async function watchOnce(ex, symbol, label) {
  try {
    return await h.withTimeout(ex.watchOrderBook(symbol, WATCH_LIMIT[ex.id]), CALL_MS, `${label}: watchOrderBook`);
  } catch (err) {
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    throw err;
  }
}

/** expectFault watches until ccxt rejects; it returns the error. */
async function expectFault(ex, symbol, label) {
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    try {
      await watchOnce(ex, symbol, label);
    } catch (err) {
      return err;
    }
  }
  throw new Error(`${label}: no error from watchOrderBook in 15 s`);
}

/**
 * open is h.makeExchange with ccxt's CALL_MS timeouts and its closing
 * made safe: ccxt sends a resubscription after its WS throttle's delay
 * (Exchange.js watchMultiple: client.throttle(cost).then(() =>
 * client.send(message)), the send's promise handled by no one), so one
 * queued just before close() goes out on the closed socket and rejects
 * unhandled ("WebSocket is not open"), failing whichever test runs then.
 * Such a rejection is dropped once the test has closed the instance
 * (close below); before that it stays unhandled.
 */
async function open(entry, server) {
  const ex = await h.makeExchange(entry, server);
  h.patient(ex, CALL_MS);
  // ccxt's own bound on opening a WS connection (10 s) to CALL_MS too.
  ex.options.ws = { ...ex.options.ws, connectionTimeout: CALL_MS };
  const client = ex.client.bind(ex);
  ex.client = (url) => {
    const cl = client(url);
    if (!cl.sendGuard) {
      const send = cl.send.bind(cl);
      cl.send = (message) => {
        const sent = send(message);
        sent.catch((err) => {
          if (!ex.closedByTest) throw err;
        });
        return sent;
      };
      cl.sendGuard = true;
    }
    return cl;
  };
  return ex;
}

/** close closes an instance from open. */
async function close(ex) {
  if (!ex) return;
  ex.closedByTest = true;
  await ex.close().catch(() => {});
}

describe('ccxt order books', { concurrency: CONCURRENCY }, () => {
  for (const entry of EXCHANGES) {
    const has = HAS.get(entry.id);
    if (!has.fetchOrderBook || !has.watchOrderBook) {
      it.skip(`${entry.id}: ccxt's ${entry.ccxt} does not declare fetchOrderBook and watchOrderBook`);
      continue;
    }
    describe(`${entry.id} (ccxt ${entry.pkg ?? 'ccxt'}.pro.${entry.ccxt}) at --speed ${SPEED}`, { concurrency: 1 }, () => {
      const c = {};
      const rec = {};
      outcome.set(entry.id, rec);
      const check = (name, fn, skip) => {
        const why = TODO[entry.id]?.[name];
        it(name, { timeout: 120_000, skip, todo: why ? `passing.json: ${why}` : false }, async () => {
          try {
            if (!c.ex) {
              c.server = await h.startServer(bin, entry.id, { seed: 7, extraArgs: ['--speed', String(SPEED)] });
              c.ex = await open(entry, c.server);
              await c.ex.loadMarkets();
              c.symbol = h.pickSymbol(entry, c.ex);
            }
            await fn();
            guard.assertClean();
            rec[name] = 'ok';
          } catch (err) {
            guard.violations.splice(0);
            const log = c.server?.stderr().slice(-1500);
            if (log && err instanceof Error) err.message += `\nserver stderr (end): ${log}`;
            rec[name] = err;
            throw err;
          }
        });
      };
      after(async () => {
        await close(c.ex);
        await c.server?.stop('SIGKILL');
      });

      // fresh is a new ccxt instance on the server with c.ex's markets:
      // a fault check starts from a clean book, whatever the checks
      // before it left (a gap ccxt does not notice leaves its book wrong
      // for good).
      const fresh = async () => {
        const ex = await open(entry, c.server);
        ex.setMarkets(c.ex.markets, c.ex.currencies);
        return ex;
      };

      const lim = LIMITS[entry.ccxt];
      const limits = (Array.isArray(lim) ? lim : lim?.[entry.type]) ?? [undefined];
      check('fetch', async () => {
        for (const l of limits) {
          const ob = await c.ex.fetchOrderBook(c.symbol, l);
          valid(ob, `fetchOrderBook(${c.symbol}, ${l})`);
          if (l !== undefined) assert.ok(ob.bids.length <= l && ob.asks.length <= l, `limit ${l}: ${ob.bids.length} bids, ${ob.asks.length} asks`);
        }
      });
      check('bad-limit', async () => {
        const ccxt = c.ex.constructor;
        let err;
        try {
          await c.ex.fetchOrderBook(c.symbol, BAD_LIMIT);
        } catch (e) {
          err = e;
        }
        assert.ok(err, `fetchOrderBook(${c.symbol}, ${BAD_LIMIT}) answered a book`);
        assert.ok(err instanceof Error && err.constructor.name !== 'NetworkError' && err.constructor.name !== 'RequestTimeout',
          `limit ${BAD_LIMIT}: ${err?.constructor?.name}: ${err?.message}`);
        assert.ok(/Error|BadRequest|BadSymbol|NotSupported|ArgumentsRequired/.test(err.constructor.name), `not a ccxt error: ${err}`);
        void ccxt;
      });
      check('watch', async () => {
        // WATCH_VIRTUAL_MS of market time at SPEED.
        // The shared instance's stream ends with it: the later checks
        // watch on fresh instances, and a stream nobody reads still costs
        // the server and this process a message per update.
        let n;
        try {
          n = await watchUntil(c.ex, c.symbol, WATCH_VIRTUAL_MS / SPEED, () => false, `${entry.id} ${c.symbol}`);
        } finally {
          await close(c.ex);
        }
        assert.ok(n >= 5, `${n} updates in ${WATCH_VIRTUAL_MS / 1000} s of market time`);
      });
      check('same-instant', async () => {
        // The states in order: [nonce, timestamp, top]. Every book ccxt
        // resolves (one per message it applies, through its WS client's
        // resolve) is kept, not only those a watchOrderBook call returns
        // (those skip the states ccxt applied in between).
        const states = [];
        const keep = (ob) => {
          const t = top(ob);
          const last = states[states.length - 1];
          if (last && last[0] === ob.nonce && last[1] === ob.timestamp && last[2] === t) return;
          states.push([ob.nonce, ob.timestamp, t]);
          if (states.length > 5000) states.shift();
        };
        // A fresh instance, so the hook sees every message.
        const ex = await fresh();
        h.onEveryBook(ex, c.symbol, keep);
        try {
          await watchUntil(ex, c.symbol, 300, () => false, entry.id);
          const tries = [];
          // The tries end within SAME_MS, so that a failure reports them
          // (not the test's bare timeout).
          const until = Date.now() + SAME_MS;
          for (let i = 0; i < 15 && Date.now() < until; i++) {
            const t0 = Date.now();
            const rest = await ex.fetchOrderBook(c.symbol, limits.find((l) => l === undefined || l >= TOP));
            valid(rest, 'fetchOrderBook');
            const k = rest.nonce !== undefined ? 0 : rest.timestamp !== undefined ? 1 : -1;
            const want = top(rest);
            const at = k < 0 ? undefined : (k === 0 ? rest.nonce : rest.timestamp);
            // find: 'exact' (a watched state with the REST book's key),
            // 'bracket' (the last state before the key, its successor past
            // it: the book then, unless ccxt coalesced updates in between),
            // 'any' (keyless: a recent state equal to it), or undefined.
            const find = () => {
              if (k < 0) return states.slice(-200).some((s) => s[2] === want) ? ['any', want] : undefined;
              const j = states.findIndex((s) => s[k] !== undefined && s[k] >= at);
              if (j < 0) return undefined;
              if (states[j][k] === at) return ['exact', states[j][2]];
              return j > 0 ? ['bracket', states[j - 1][2]] : ['none'];
            };
            // A keyed REST book ahead of the stream (a stream that lags
            // under load) is waited for until the stream passes its key,
            // up to REACH_MS; a keyless one is compared with the states of
            // the next 2 s.
            let got;
            const t1 = Date.now();
            await watchUntil(ex, c.symbol, k < 0 ? 2_000 : Math.min(REACH_MS, Math.max(until - Date.now(), 1_000)), () => { got = find(); return got !== undefined; }, entry.id);
            if (got?.[0] === 'exact') {
              assert.equal(got[1], want, `top ${TOP} at ${['nonce', 'timestamp'][k]} ${at}: watched vs fetched`);
              return;
            }
            // A stream of whole books at its own cadence (WHOLE) need not
            // have pushed the book of every REST instant: exact only.
            if ((got?.[0] === 'bracket' && !WHOLE.has(entry.ccxt) || got?.[0] === 'any') && got[1] === want) return;
            // For those, a REST book equal to one the stream pushed lately.
            if (WHOLE.has(entry.ccxt) && states.slice(-50).some((st) => st[2] === want)) return;
            const last = states[states.length - 1];
            tries.push(`${['nonce', 'timestamp'][k] ?? 'keyless'} ${at}: ${got?.[0] ?? 'not reached'} (REST ${t1 - t0} ms, watch ${Date.now() - t1} ms, stream at ${last?.[0]}/${last?.[1]}, ${states.length} states)`);
          }
          assert.fail(`no REST book met a watched state at the same instant (tried ${tries.join(', ')}; watched ${JSON.stringify(states.slice(-5).map((s) => [s[0], s[1]]))})`);
        } finally {
          await close(ex);
        }
      });
      const fault = (name, cond, skip = false, errors = FAULT_ERRORS) => check(name, async () => {
        const ex = await fresh();
        try {
          valid(await watchOnce(ex, c.symbol, entry.id), `${entry.id} before ${cond}`);
          await faultThenRecover(ex, name, cond, errors);
        } finally {
          await close(ex);
        }
      }, skip);
      const faultThenRecover = async (ex, name, cond, errors) => {
        await putConditions(c.server, { [cond]: { every: 3 } });
        let err;
        try {
          err = await expectFault(ex, c.symbol, `${entry.id} ${cond}`);
        } finally {
          await putConditions(c.server, { [cond]: null });
        }
        const ccxt = await import(entry.pkg ?? 'ccxt');
        const mod = ccxt.default ?? ccxt;
        assert.ok(errors.some((k) => mod[k] && err instanceof mod[k]), `${cond}: want ${errors.join(' or ')}, got ${err?.constructor?.name}: ${err?.message}`);
        // ccxt resubscribes on the next call: a valid book again (calls
        // may still reject for frames sent before the fault was off).
        const end = Date.now() + 20_000;
        let ok = 0;
        let last;
        while (ok < 3 && Date.now() < end) {
          try {
            valid(await watchOnce(ex, c.symbol, entry.id), `${entry.id} after ${cond}`);
            ok++;
          } catch (e) {
            if (!FAULT_ERRORS.some((k) => mod[k] && e instanceof mod[k]) && !RESUBSCRIBE.some((re) => re.test(e?.message ?? ''))) throw e;
            ok = 0;
            last = e;
          }
        }
        assert.ok(ok >= 3, `no 3 valid books in a row within 20 s of the fault switched off (last error: ${last?.message})`);
      };
      fault('gap', 'book_gap', WHOLE.has(entry.ccxt) ? `${entry.ccxt}'s stream sends whole books: no diffs to drop` : false);
      // Only a checksum error says the checksum was checked (an
      // InvalidNonce here would be left over from the gap).
      if (CHECKSUM.has(entry.ccxt)) fault('corrupt', 'book_corrupt', false, ['ChecksumError']);

      // isFault: one of ccxt's errors for a broken book, or (RESUBSCRIBE)
      // the one its resubscription raises once on the way back.
      const isFault = async (e) => {
        const ccxt = await import(entry.pkg ?? 'ccxt');
        const mod = ccxt.default ?? ccxt;
        return FAULT_ERRORS.some((k) => mod[k] && e instanceof mod[k]) || RESUBSCRIBE.some((re) => re.test(e?.message ?? ''));
      };
      // recover: 3 valid books in a row within 20 s (a call may still
      // reject for frames sent before the fault was off).
      const recover = async (ex, label) => {
        const end = Date.now() + 20_000;
        let ok = 0;
        let last;
        while (ok < 3 && Date.now() < end) {
          try {
            valid(await watchOnce(ex, c.symbol, entry.id), label);
            ok++;
          } catch (e) {
            if (!(await isFault(e))) throw e;
            ok = 0;
            last = e;
          }
        }
        assert.ok(ok >= 3, `${label}: no 3 valid books in a row within 20 s of the fault switched off (last error: ${last?.message})`);
      };
      // A diff sent twice, or swapped with the next: every book ccxt gives
      // meanwhile is valid (ccxt's fault error allowed, for a swap it
      // notices), then valid books again with the fault off.
      const tolerate = (name, cond, every, skip) => check(name, async () => {
        const ex = await fresh();
        try {
          valid(await watchOnce(ex, c.symbol, entry.id), `${entry.id} before ${cond}`);
          await tolerateThenRecover(ex, cond, every);
        } finally {
          await close(ex);
        }
      }, skip);
      const tolerateThenRecover = async (ex, cond, every) => {
        await putConditions(c.server, { [cond]: { every } });
        let books = 0;
        let faults = 0;
        try {
          // 3 s, and (a process slowed by load) on until the third
          // outcome, for at most CALL_MS more.
          const end = Date.now() + 3_000;
          const last = end + CALL_MS;
          while (Date.now() < end || (books + faults < 3 && Date.now() < last)) {
            try {
              valid(await watchOnce(ex, c.symbol, entry.id), `${entry.id} under ${cond}`);
              books++;
            } catch (e) {
              if (!(await isFault(e))) throw e;
              faults++;
            }
          }
        } finally {
          await putConditions(c.server, { [cond]: null });
        }
        assert.ok(books + faults >= 3, `${cond}: ${books} books, ${faults} fault errors in ${(3_000 + CALL_MS) / 1000} s`);
        if (cond === 'book_duplicate') assert.equal(faults, 0, `${cond}: ccxt raised ${faults} times for a diff it had already applied`);
        await recover(ex, `${entry.id} after ${cond}`);
      };
      const noDiffs = WHOLE.has(entry.ccxt) ? `${entry.ccxt}'s stream sends whole books: no diffs to repeat or swap` : false;
      tolerate('duplicate', 'book_duplicate', 3, noDiffs);
      tolerate('reorder', 'book_reorder', 5, noDiffs);
      // A fresh watch (its own instance, so ccxt loads a snapshot) while
      // every REST snapshot is 10 s old.
      const snap = SNAPSHOT[entry.ccxt];
      check('stale', async () => {
        const ex = await fresh();
        try {
          await putConditions(c.server, { stale_snapshot: { age: '10s' } });
          let outcome;
          try {
            try {
              const ob = await h.withTimeout(ex.watchOrderBook(c.symbol, WATCH_LIMIT[ex.id]), CALL_MS, `${entry.id} watchOrderBook under stale_snapshot`);
              valid(ob, `${entry.id} under stale_snapshot`);
              outcome = 'book';
            } catch (e) {
              // ccxt's own error (its nonce check), not a hang or a bad book.
              if (!(e instanceof Error) || /no answer within|AssertionError/.test(`${e.message} ${e.constructor.name}`)) throw e;
              outcome = e.constructor.name;
            }
          } finally {
            await putConditions(c.server, { stale_snapshot: null });
          }
          assert.ok(outcome);
          await recover(ex, `${entry.id} after stale_snapshot`);
        } finally {
          await close(ex);
        }
      }, snap === true || snap?.[entry.type] ? false : `ccxt ${entry.ccxt} (${entry.type}) starts the stream without a REST snapshot`);
    });
  }
});

after(() => {
  let ok = 0;
  let declared = 0;
  const lines = [];
  for (const [id, rec] of outcome) {
    const cells = [];
    for (const k of CHECKS) {
      if (!(k in rec)) continue;
      declared++;
      if (rec[k] === 'ok') ok++;
      cells.push(`${k} ${rec[k] === 'ok' ? 'ok' : 'FAIL'}`);
    }
    lines.push(`#   ${id}: ${cells.join(', ')}`);
  }
  console.log(`# ccxt order books: passing ${ok} of ${declared} declared (ids ${outcome.size})`);
  for (const l of lines) console.log(l);
});
