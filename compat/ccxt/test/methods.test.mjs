// Tests of methods.mjs's shared checks: each must catch what it is there
// to catch (a gap, a duplicate, a crossed touch, a pair ccxt does not
// declare), or the files that use it would pass on a broken server.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as m from '../methods.mjs';

const trade = (id, ts = 1_000, extra = {}) => ({ id: String(id), symbol: 'BTC/USDT', price: 1, amount: 1, side: 'buy', timestamp: ts, info: {}, ...extra });
const agg = (a, f, l) => trade(a, 1_000, { info: { f, l } });
const aggRange = (t) => [BigInt(t.info.f), BigInt(t.info.l)];

describe('consecutive and joinPages', () => {
  it('pass trades one id apart, and aggregates whose prints follow on', () => {
    m.consecutive([trade(7), trade(8), trade(9)], 'ids');
    m.consecutive([agg(10, 10, 12), agg(13, 13, 13), agg(14, 14, 20)], 'aggregates', aggRange);
    assert.equal(m.joinPages([trade(1), trade(2)], [trade(3)], 'pages').length, 3);
  });
  it('catch a gap, a repeat and a page that starts over', () => {
    assert.throws(() => m.consecutive([trade(7), trade(9)], 'gap'), /trade 9 after 7/);
    assert.throws(() => m.consecutive([trade(7), trade(7)], 'repeat'), /trade 7 after 7/);
    assert.throws(() => m.consecutive([agg(10, 10, 12), agg(12, 12, 13)], 'overlap', aggRange), /after/);
    assert.throws(() => m.joinPages([trade(1), trade(2)], [trade(2), trade(3)], 'dup'), /on both pages/);
    assert.throws(() => m.joinPages([trade(1), trade(2)], [trade(4)], 'gap'), /trade 4 after 2/);
  });
});

describe('checkTrades', () => {
  it('catches an empty answer, another symbol, a trade before since and newest-first order', () => {
    m.checkTrades([trade(1, 1_000), trade(2, 2_000)], 'BTC/USDT', 'ok', { since: 1_000 });
    assert.throws(() => m.checkTrades([], 'BTC/USDT', 'empty'), /no trades/);
    assert.throws(() => m.checkTrades([trade(1)], 'ETH/USDT', 'symbol'), /symbol/);
    assert.throws(() => m.checkTrades([trade(1, 999)], 'BTC/USDT', 'since', { since: 1_000 }), /before since/);
    assert.throws(() => m.checkTrades([trade(1, 2_000), trade(2, 1_000)], 'BTC/USDT', 'order'), /oldest first/);
  });
});

describe('checkTicker and touchAroundLast', () => {
  const t = { symbol: 'BTC/USDT', last: 100, low: 90, high: 110, bid: 99.99, ask: 100.01 };
  it('pass a touch around the last inside the day', () => m.checkTicker(t, 'BTC/USDT', 'ok'));
  it('catch a crossed touch, a touch far from last and a last outside the day', () => {
    assert.throws(() => m.checkTicker({ ...t, bid: 100.02 }, 'BTC/USDT', 'crossed'), /bid/);
    assert.throws(() => m.checkTicker({ ...t, bid: 98, ask: 98.01 }, 'BTC/USDT', 'below'), /straddle/);
    assert.throws(() => m.checkTicker({ ...t, bid: 50 }, 'BTC/USDT', 'far'), /far from last/);
    assert.throws(() => m.checkTicker({ ...t, high: 99 }, 'BTC/USDT', 'day'), /outside/);
  });
});

describe('declares', () => {
  const spot = { type: 'spot' };
  const swap = { type: 'swap' };
  it("counts true and 'emulated', not false or undefined", () => {
    assert.equal(m.declares({ fetchTicker: true }, spot, 'fetchTicker'), true);
    assert.equal(m.declares({ fetchTicker: 'emulated' }, spot, 'fetchTicker'), true);
    assert.equal(m.declares({ fetchTicker: false }, spot, 'fetchTicker'), false);
    assert.equal(m.declares({}, spot, 'fetchTicker'), false);
  });
  it('counts the perpetual methods for perpetual ids only', () => {
    assert.equal(m.declares({ fetchFundingRate: true }, spot, 'fetchFundingRate'), false);
    assert.equal(m.declares({ fetchFundingRate: true }, swap, 'fetchFundingRate'), true);
    assert.deepEqual(m.METHODS, [...m.SPOT, ...m.PERP]);
  });
});

describe('firstOf', () => {
  it('resolves to the first symbol to answer, and rejects with every error when none does', async () => {
    const ex = {
      clients: {},
      watchX: (s) => (s === 'B' ? Promise.resolve(['b']) : new Promise(() => {})),
      watchY: (s) => Promise.reject(new Error(`no ${s}`)),
    };
    assert.deepEqual(await m.firstOf(ex, 'watchX', ['A', 'B'], 1_000), ['B', ['b']]);
    await assert.rejects(m.firstOf(ex, 'watchY', ['A', 'B'], 1_000), /no A; no B/);
    await assert.rejects(m.firstOf({ ...ex, watchX: () => new Promise(() => {}) }, 'watchX', ['A'], 50), /no answer within 50 ms/);
  });
});
