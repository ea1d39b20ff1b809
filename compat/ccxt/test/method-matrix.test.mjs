// The (id, method) matrix of ccxt's methods beyond candles: for every id
// the binary registers with a CCXT row, each method of methods.mjs's list
// (fetchTrades, watchTrades, fetchTicker, fetchTickers, watchTicker,
// fetchBidsAsks, fetchStatus and, for perpetuals, fetchFundingRate,
// fetchFundingRateHistory, fetchMarkOHLCV, fetchIndexOHLCV,
// fetchOpenInterest) that the id's ccxt class declares (`has` true or
// 'emulated', see methods.mjs) is called once and its result given the
// shallow check of methods.mjs's SHALLOW, in three settings:
//   - synth: ccxt pointed at `candlecassette synth ID`;
//   - record: ccxt pointed at `candlecassette record ID` in front of a
//     synth upstream; the recorder and the upstream then exit cleanly;
//   - replay: ccxt pointed at `candlecassette replay --cassette F` with
//     the upstream gone and another seed, every REST answer equal to the
//     recorded one (so it came from the cassette, not the synthetic fill).
//     The replay serves trade and ticker streams from its synthetic market
//     at the recorded clock (it indexes recorded kline streams only; with
//     --on-miss error it refuses them), so its watch* pairs check that the
//     replay speaks the exchange's protocol, not what was recorded.
// Through the recorder and the replay the pairs of an id run one after
// another, in the same order, so that the replay answers each request
// with the recording of the same call (two methods that send the same
// request, Bybit's fetchTickers and its emulated fetchBidsAsks, get theirs
// in order); on synth they run at once.
// The per-exchange files do the deep checks; this file is the count: it
// prints `# ccxt methods: passing P of D declared (ids N)` per setting and
// a table per id. A declared pair that fails fails the test unless
// passing.json lists it under todo.methods (every setting) or
// todo.methodsrecord / todo.methodsreplay (that setting), by id then
// method, with the reason: those run as TODO tests (reported, not fatal).
// Each watch waits at most methods.WATCH_MS, on three of the id's pairs at once.
// CCXT_IDS=a,b runs only those ids; CCXT_MATRIX=synth,replay only those
// settings (record runs whenever replay does).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';
import * as m from '../methods.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const EXCHANGES = h.entries(h.registry(bin));
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const settings = new Set((process.env.CCXT_MATRIX ?? 'synth,record,replay').split(',').map((s) => s.trim()));
if (settings.has('replay')) settings.add('record');
const todos = h.readMethodTodos();
const SETTINGS = ['synth', 'record', 'replay'].filter((s) => settings.has(s));
const TIMEOUT = 60_000;
const HAS = new Map(await Promise.all(EXCHANGES.map(async (e) => [e.id, await h.classHas(e)])));

// replayStreams: id → the replay's count of WS subscriptions by source.
const replayStreams = new Map();
// outcome: setting → id → method → 'ok' | Error.
const outcome = new Map(SETTINGS.map((s) => [s, new Map()]));

/** ready loads ccxt's markets for entry on server and picks the symbols. */
async function ready(entry, server) {
  const ex = await h.makeExchange(entry, server);
  await ex.loadMarkets();
  const symbol = h.pickSymbol(entry, ex);
  return { ex, symbol, watchSymbols: m.watchSymbols(ex, symbol) };
}

/**
 * pairs declares one test per method of the list for one id in one
 * setting: skipped when ccxt does not declare it, TODO when passing.json
 * says why it does not pass yet. ctx() gives the ccxt instance and the
 * rest of SHALLOW's arguments once the setting's before() has run.
 */
function pairs(setting, entry, ctx, onResult) {
  for (const method of m.METHODS) {
    if (!m.declares(HAS.get(entry.id), entry, method)) {
      it.skip(`${method}: ccxt's ${entry.ccxt} does not declare it${m.PERP.includes(method) && entry.type !== 'swap' ? ' for spot' : ''}`);
      continue;
    }
    const why = todos(setting, entry.id, method);
    it(method, { timeout: TIMEOUT, todo: why ? `passing.json: ${why}` : false }, async () => {
      const c = ctx();
      const rec = outcome.get(setting).get(entry.id);
      try {
        if (c.error) throw c.error;
        const res = await m.SHALLOW[method](c);
        guard.assertClean();
        if (onResult) onResult(method, res);
        rec[method] = 'ok';
      } catch (err) {
        guard.violations.splice(0);
        rec[method] = err;
        throw err;
      }
    });
  }
}

describe('ccxt method matrix', { concurrency: 4 }, () => {
  for (const entry of EXCHANGES) {
    const skip = only && !only.has(entry.id) ? `${entry.id}: not in CCXT_IDS` : false;

    if (settings.has('synth')) {
      describe(`${entry.id} on synth (ccxt ${entry.pkg ?? 'ccxt'}.pro.${entry.ccxt})`, { skip, concurrency: true }, () => {
        const c = {};
        before(async () => {
          outcome.get('synth').set(entry.id, {});
          try {
            c.server = await h.startServer(bin, entry.id, { seed: 7 });
            Object.assign(c, await ready(entry, c.server), { entry, win: m.windows() });
          } catch (err) {
            c.error = err;
          }
        });
        after(async () => {
          await c.ex?.close().catch(() => {});
          await c.server?.stop('SIGKILL');
        });
        pairs('synth', entry, () => c);
      });
    }

    if (settings.has('record')) {
      describe(`${entry.id} record → replay`, { skip, concurrency: 1 }, () => {
        const rec = {};
        const rep = {};
        const recorded = new Map();
        let dir;
        before(() => {
          dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candlecassette-matrix-'));
        });
        after(async () => {
          for (const c of [rec, rep]) {
            await c.ex?.close().catch(() => {});
            for (const p of [c.server, c.upstream]) await p?.stop('SIGKILL');
          }
          fs.rmSync(dir, { recursive: true, force: true });
        });

        describe('record', { concurrency: 1 }, () => {
          before(async () => {
            outcome.get('record').set(entry.id, {});
            try {
              rec.cassette = path.join(dir, `${entry.id}.cassette`);
              rec.upstream = await h.startServer(bin, entry.id, { seed: 11 });
              rec.server = await h.startRecorder(bin, entry.id, { cassette: rec.cassette, upstream: rec.upstream });
              Object.assign(rec, await ready(entry, rec.server), { entry, win: m.windows() });
            } catch (err) {
              rec.error = err;
            }
          });
          pairs('record', entry, () => rec, (method, res) => recorded.set(method, res));
        });

        if (!settings.has('replay')) return;
        describe('replay', { concurrency: 1 }, () => {
          before(async () => {
            outcome.get('replay').set(entry.id, {});
            try {
              if (rec.error) throw new Error(`nothing recorded: ${rec.error.message}`);
              await rec.ex.close().catch(() => {});
              for (const [p, what] of [[rec.server, 'the recorder'], [rec.upstream, 'the upstream']]) {
                const res = await p.stop('SIGTERM');
                assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null }, `${what} did not exit cleanly; stderr:\n${p.stderr()}`);
              }
              rep.server = await h.startReplay(bin, { cassette: rec.cassette, label: `${entry.id} replay`, extraArgs: ['--seed', '12345'] });
              Object.assign(rep, await ready(entry, rep.server), { entry, win: rec.win });
              assert.equal(rep.symbol, rec.symbol, 'the replayed markets differ');
            } catch (err) {
              rep.error = err;
            }
          });
          // A REST answer replayed is the recorded one.
          pairs('replay', entry, () => rep, (method, res) => {
            if (res !== undefined && recorded.has(method)) assert.deepEqual(res, recorded.get(method), `${method}: the replay differs from the recording`);
          });
          // Last (the pairs run in order): the replay's own count of what it
          // served from where.
          it('every REST request was answered from the cassette', async () => {
            if (rep.error) throw rep.error;
            const st = await (await fetch(`${rep.server.url}/__admin/status`)).json();
            assert.ok(st.replay?.served, `no replay counts in /__admin/status: ${JSON.stringify(st).slice(0, 300)}`);
            replayStreams.set(entry.id, st.replay.streams);
            assert.equal(st.replay.served.synthetic, 0, `REST answers from the synthetic fill: ${JSON.stringify(st.replay.misses)}`);
          });
        });
      });
    }
  }
});

after(() => {
  for (const setting of SETTINGS) {
    let ok = 0;
    let declared = 0;
    const rows = [];
    for (const [id, rec] of outcome.get(setting)) {
      const cells = [];
      for (const method of m.METHODS) {
        if (!(method in rec)) continue;
        declared++;
        if (rec[method] === 'ok') {
          ok++;
          cells.push(todos(setting, id, method) ? `${method} passes, though passing.json lists it: take it off` : `${method} ok`);
        } else {
          const why = todos(setting, id, method);
          cells.push(`${method} FAIL${why ? ' (todo)' : ''}: ${String(rec[method]?.message ?? rec[method]).split('\n')[0].slice(0, 160)}`);
        }
      }
      const n = cells.filter((c) => c.endsWith(' ok')).length;
      const ws = setting === 'replay' && replayStreams.get(id);
      const note = ws ? `(WS subscriptions: ${ws.exact} from the cassette, ${ws.synthetic} from the synthetic fill) ` : '';
      rows.push(`  ${id.padEnd(24)} ${n}/${cells.length}  ${note}${cells.filter((c) => !c.endsWith(' ok')).join(' | ')}`);
    }
    console.log(`# ccxt methods: passing ${ok} of ${declared} declared (ids ${outcome.get(setting).size}) [${setting}]\n${rows.join('\n')}`);
  }
});
