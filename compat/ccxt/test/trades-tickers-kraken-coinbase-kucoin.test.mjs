// Trades, tickers, status and the perpetual side through ccxt for the
// Kraken, Coinbase and KuCoin ids, against `candlecassette synth ID`: each
// method the id's ccxt class `has` among fetchTrades (with since and a
// second page that joins the first), watchTrades, fetchTicker,
// fetchTickers, watchTicker, fetchBidsAsks, fetchStatus, and for
// perpetuals fetchFundingRate, fetchFundingRateHistory, fetchMarkOHLCV,
// fetchIndexOHLCV and fetchOpenInterest. A method the class has but that
// needs credentials (Coinbase's fetchBidsAsks calls the private
// best_bid_ask) or that ccxt only offers for another market type (the
// perpetual methods on KuCoin spot) is skipped, saying why.
// CCXT_IDS=a,b runs only those ids.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';
import * as m from '../methods.mjs';

const guard = h.installNetworkGuard();
const bin = h.binary();
const IDS = new Set(['kraken_spot', 'coinbase_advanced_trade', 'kucoin_spot', 'kucoin_perpetual']);
const only = process.env.CCXT_IDS ? new Set(process.env.CCXT_IDS.split(',').map((s) => s.trim())) : undefined;
const EXCHANGES = h.entries(h.registry(bin)).filter((e) => IDS.has(e.id));
const TIMEOUT = 60_000;
const { HOUR, PERP } = m;

// Skips for methods the class has that cannot be called here.
const SKIP = {
  coinbase_advanced_trade: { fetchBidsAsks: 'ccxt calls the private /api/v3/brokerage/best_bid_ask, which needs an API key' },
};

// joined merges two pages by id and asserts the ids run on without a gap.
function joined(a, b, label) {
  const byId = new Map([...a, ...b].map((t) => [t.id ?? String(t.info.sequence), t]));
  const ids = [...byId.keys()].map(BigInt).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  for (let i = 1; i < ids.length; i++) {
    assert.equal(ids[i], ids[i - 1] + 1n, `${label}: pages leave a gap between ids ${ids[i - 1]} and ${ids[i]}`);
  }
  return ids.length;
}

for (const entry of EXCHANGES) {
  const skip = only && !only.has(entry.id) ? `${entry.id}: not in CCXT_IDS` : false;
  describe(`${entry.id} trades and tickers with ccxt ${entry.ccxt}`, { skip }, () => {
    const state = {};
    before(async () => {
      state.server = await h.startServer(bin, entry.id, { seed: 7 });
      state.ex = await h.makeExchange(entry, state.server);
      await state.ex.loadMarkets();
      state.symbol = h.pickSymbol(entry, state.ex);
    });
    after(async () => {
      await state.ex?.close().catch(() => {});
      await state.server?.stop('SIGKILL');
    });

    // method runs fn as a test when the class has the method.
    const method = (name, title, fn) => it(`${name}: ${title}`, { timeout: TIMEOUT }, async (t) => {
      const { ex } = state;
      if (ex.has[name] !== true) return t.skip(`ccxt's ${entry.ccxt} does not have ${name}`);
      if (SKIP[entry.id]?.[name]) return t.skip(SKIP[entry.id][name]);
      if (PERP.includes(name) && entry.type !== 'swap') return t.skip(`${name} is for perpetuals; ${entry.id} is spot`);
      await fn(ex, state.symbol);
      guard.assertClean();
    });

    method('fetchTrades', 'from since, and a second page that joins the first', async (ex, symbol) => {
      if (entry.id.startsWith('kucoin')) {
        // KuCoin's trade history takes no time: the last 100 trades.
        const trades = await ex.fetchTrades(symbol);
        m.checkTrades(trades, symbol, 'fetchTrades');
        assert.equal(trades.length, 100);
        assert.equal(joined(trades, [], 'fetchTrades'), 100);
        return;
      }
      const coinbase = entry.id.startsWith('coinbase');
      let since, page1, page2;
      for (let k = 0; ; k++) {
        since = Date.now() - 6 * HOUR - k * 10 * 60_000;
        const until = since + 2 * HOUR;
        page1 = await ex.fetchTrades(symbol, since, 100, coinbase ? { until } : {});
        // ccxt kraken sends since in whole seconds and drops the trades
        // before it in ms: where 100 trades or more print in that second
        // before since, page 1 comes back empty, on the real exchange
        // too. Take another window then.
        if (page1.length === 0 && k < 5) continue;
        // Coinbase pages by whole seconds: a page inside one busy second
        // (100 trades or more) cannot be followed by an older page that
        // joins it, on the real exchange too. Take another window then.
        const oneSecond = Math.floor(page1[0].timestamp / 1000) === Math.floor(page1.at(-1).timestamp / 1000);
        if (coinbase && oneSecond && k < 5) continue;
        m.checkTrades(page1, symbol, 'page 1');
        assert.ok(page1[0].timestamp >= Math.floor(since / 1000) * 1000, `page 1 starts at ${page1[0].timestamp}, before since ${since}`);
        if (coinbase) {
          // Coinbase answers the newest trades of [start, end) in seconds:
          // the older page ends with the second of page 1's oldest trade.
          const end = Math.floor(page1[0].timestamp / 1000) * 1000 + 1000;
          page2 = await ex.fetchTrades(symbol, since, 100, { until: end });
        } else {
          page2 = await ex.fetchTrades(symbol, page1.at(-1).timestamp, 100);
        }
        m.checkTrades(page2, symbol, 'page 2');
        // Paging by time stalls where 100 trades or more print in one
        // millisecond (a sweep of the book), on the real exchange too:
        // page 2 is then page 1's last instant again. Take another window.
        const last = page1.at(-1).timestamp;
        const stalled = !coinbase && page2.every((t) => t.timestamp === last);
        if (!stalled || k >= 5) break;
      }
      assert.ok(joined(page1, page2, 'fetchTrades') > 100, 'the second page added nothing');
    });

    method('watchTrades', 'receives trades as they print', async (ex, picked) => {
      // The first of a few pairs to print: one may be in a quiet hour.
      const [symbol, trades] = await m.firstOf(ex, 'watchTrades', m.watchSymbols(ex, picked), 30_000);
      m.checkTrades(trades, symbol, 'watchTrades');
      const more = await h.withTimeout(ex.watchTrades(symbol), 45_000, 'second watchTrades');
      m.checkTrades(more, symbol, 'second watchTrades');
    });

    method('fetchTicker', 'last inside the day, bid below ask around it', async (ex, symbol) => {
      m.checkTicker(await ex.fetchTicker(symbol), symbol, 'fetchTicker');
    });

    method('fetchTickers', 'every served symbol', async (ex, symbol) => {
      const all = await ex.fetchTickers();
      assert.ok(all[symbol], `no ${symbol} among ${Object.keys(all).join(', ')}`);
      m.checkTicker(all[symbol], symbol, 'fetchTickers');
    });

    method('watchTicker', 'a ticker update', async (ex, symbol) => {
      m.checkTicker(await h.withTimeout(ex.watchTicker(symbol), 30_000, 'watchTicker'), symbol, 'watchTicker');
    });

    method('fetchBidsAsks', 'bid below ask', async (ex, symbol) => {
      const all = await ex.fetchBidsAsks([symbol]);
      const t = all[symbol];
      assert.ok(t && t.bid > 0 && t.ask > t.bid, `fetchBidsAsks ${JSON.stringify(t)}`);
    });

    method('fetchStatus', 'ok', async (ex) => {
      const st = await ex.fetchStatus();
      assert.equal(st.status, 'ok', JSON.stringify(st));
    });

    method('fetchFundingRate', 'a rate within the cap, the next settlement ahead', async (ex, symbol) => {
      const fr = await ex.fetchFundingRate(symbol);
      assert.ok(Math.abs(fr.fundingRate) <= 0.003, `rate ${fr.fundingRate}`);
      assert.ok(fr.fundingTimestamp > Date.now() - 8 * HOUR, `funding time ${fr.fundingTimestamp}`);
    });

    method('fetchFundingRateHistory', 'settlements 8h apart', async (ex, symbol) => {
      const hist = await ex.fetchFundingRateHistory(symbol, Date.now() - 3 * 24 * HOUR);
      assert.ok(hist.length >= 8, `${hist.length} settlements`);
      hist.forEach((f, i) => {
        assert.equal(f.timestamp % (8 * HOUR), 0, `settlement at ${f.timestamp}`);
        if (i > 0) assert.equal(f.timestamp - hist[i - 1].timestamp, 8 * HOUR);
      });
    });

    const priceCandles = (name) => method(name, 'candles that differ from the last price', async (ex, symbol) => {
      const since = h.currentOpen(h.MINUTE) - 60 * h.MINUTE;
      const series = await ex[name](symbol, '1m', since, 30);
      assert.ok(series.length > 0, `${name}: no candles`);
      h.checkSeries(series, h.MINUTE, name);
      const last = await ex.fetchOHLCV(symbol, '1m', since, 30);
      assert.notDeepEqual(series.map((c) => c.slice(1, 5)), last.map((c) => c.slice(1, 5)), `${name} equals the traded candles`);
    });
    priceCandles('fetchMarkOHLCV');
    priceCandles('fetchIndexOHLCV');

    method('fetchOpenInterest', 'a positive amount', async (ex, symbol) => {
      const oi = await ex.fetchOpenInterest(symbol);
      assert.ok(oi.openInterestAmount > 0 || oi.openInterestValue > 0, JSON.stringify(oi));
    });
  });
}
