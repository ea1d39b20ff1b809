// Tests of the harness itself: the URL rewrite, the candle checks and the
// network guard must catch what they are there to catch.

import assert from 'node:assert/strict';
import net from 'node:net';
import dns from 'node:dns';
import { describe, it } from 'node:test';

import * as h from '../harness.mjs';

describe('rewriteUrls', () => {
  it('moves every http(s) and ws(s) URL to the server and keeps paths', () => {
    const api = {
      rest: 'https://api.{hostname}',
      spot: 'https://api.gateio.ws/api/v4',
      ws: { public: { spot: 'wss://stream.{hostname}/v5/public/spot?x=1' }, other: ['wss://ws.kraken.com:443/v2'] },
      n: 3,
    };
    const out = h.rewriteUrls(api, 'http://127.0.0.1:9', 'ws://127.0.0.1:9');
    assert.deepEqual(out, {
      rest: 'http://127.0.0.1:9',
      spot: 'http://127.0.0.1:9/api/v4',
      ws: { public: { spot: 'ws://127.0.0.1:9/v5/public/spot?x=1' }, other: ['ws://127.0.0.1:9/v2'] },
      n: 3,
    });
    assert.equal(api.spot, 'https://api.gateio.ws/api/v4', 'the input must not change');
  });
});

describe('checkSeries and checkJoin', () => {
  const c = (ts) => [ts, 10, 12, 9, 11, 5];
  it('accept aligned, contiguous candles', () => {
    h.checkSeries([c(60_000), c(120_000), c(180_000)], 60_000);
    h.checkJoin([c(60_000)], [c(120_000)], 60_000);
  });
  it('catch a gap, an overlap and a misaligned candle', () => {
    assert.throws(() => h.checkSeries([c(60_000), c(180_000)], 60_000), /gap/);
    assert.throws(() => h.checkSeries([c(60_000), c(60_000)], 60_000), /overlap/);
    assert.throws(() => h.checkSeries([c(60_001)], 60_000), /not aligned/);
    assert.throws(() => h.checkJoin([c(60_000)], [c(180_000)], 60_000), /gap/);
    assert.throws(() => h.checkJoin([c(120_000)], [c(120_000)], 60_000), /overlap/);
  });
  it('catch impossible prices', () => {
    assert.throws(() => h.checkSeries([[60_000, 13, 12, 9, 11, 5]], 60_000), /inconsistent/);
    assert.throws(() => h.checkSeries([[60_000, 10, 12, 9, 11, Number.NaN]], 60_000), /non-numeric/);
  });
});

describe('network guard', () => {
  it('knows loopback addresses from the rest', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]']) assert.equal(h.isLoopback(a), true, a);
    for (const a of ['0.0.0.0', '10.0.0.1', 'localhost', 'api.binance.com', '::', undefined]) assert.equal(h.isLoopback(a), false, String(a));
  });

  it('lets a connection to 127.0.0.1 through', async () => {
    const guard = h.installNetworkGuard();
    const srv = net.createServer((s) => s.end('hi'));
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const got = await new Promise((resolve, reject) => {
      const s = net.connect(srv.address().port, '127.0.0.1');
      let data = '';
      s.on('data', (d) => { data += d; });
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    srv.close();
    assert.equal(got, 'hi');
    guard.assertClean();
  });

  it('lists the connections it let through, for tests that allow only a proxy', async () => {
    const guard = h.installNetworkGuard();
    guard.takeConnections();
    const srv = net.createServer((s) => s.end());
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address();
    await new Promise((resolve, reject) => net.connect(port, '127.0.0.1').on('close', resolve).on('error', reject).resume());
    srv.close();
    assert.deepEqual(guard.takeConnections(), [`127.0.0.1:${port}`]);
    assert.deepEqual(guard.takeConnections(), [], 'takeConnections must empty the list');
  });

  it('refuses and reports a connection anywhere else', async () => {
    const guard = h.installNetworkGuard();
    // 0.0.0.0 reaches this machine on Linux, so even a broken guard sends
    // nothing off the machine.
    const srv = net.createServer((s) => s.end());
    await new Promise((r) => srv.listen(0, '0.0.0.0', r));
    const err = await new Promise((resolve) => {
      const s = net.connect({ host: '0.0.0.0', port: srv.address().port });
      s.on('connect', () => resolve(undefined));
      s.on('error', resolve);
    });
    srv.close();
    assert.match(String(err), /network guard/);
    assert.throws(() => guard.assertClean(), /left 127\.0\.0\.1: connect to 0\.0\.0\.0/);
    guard.assertClean(); // reporting clears the record
  });

  it('refuses and reports name lookups', async () => {
    const guard = h.installNetworkGuard();
    const err = await new Promise((resolve) => dns.lookup('exchange.invalid', (e) => resolve(e)));
    assert.match(String(err), /network guard/);
    await assert.rejects(dns.promises.lookup('exchange.invalid'), /network guard/);
    assert.throws(() => guard.assertClean(), /DNS lookup of exchange\.invalid/);
  });
});

describe('entry', () => {
  const listing = (over) => ({ id: 'x_perpetual', family: 'binance', market: 'perpetual',
    pairs: [{ base: 'BTC', quote: 'USDT', symbol: 'BTCUSDT' }, { base: 'ETH', quote: 'USDT', symbol: 'ETHUSDT' }], ...over });

  it('spells the registry\'s pairs the ccxt way for the market', () => {
    assert.deepEqual(h.entry(listing()).symbols, ['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    assert.equal(h.entry(listing()).type, 'swap');
    assert.equal(h.entry(listing()).ccxt, 'binanceusdm');
    const spot = h.entry(listing({ id: 'x_spot', market: 'spot' }));
    assert.deepEqual([spot.type, spot.ccxt, spot.symbols[0]], ['spot', 'binance', 'BTC/USDT']);
  });

  it('puts a row\'s own names first and its quote in place of the pair\'s', () => {
    const perp = h.entry(listing({ family: 'hyperliquid' }));
    assert.deepEqual(perp.symbols, ['BTC/USDC:USDC', 'ETH/USDC:USDC']);
    const spot = h.entry(listing({ family: 'hyperliquid', market: 'spot' }));
    assert.equal(spot.symbols[0], 'BTC/USDC');
    assert.ok(spot.symbols.includes('ETH/USDT') && spot.anySymbol);
  });

  it('fails loudly, naming the row to add, for an exchange the table lacks', () => {
    assert.throws(() => h.entry(listing({ id: 'newex_spot', family: 'newex', market: 'spot' })),
      /newex_spot is registered \(plugins\/newex\) but compat\/ccxt\/harness\.mjs has no CCXT\.newex\.spot row/);
    assert.throws(() => h.entry(listing({ family: 'coinbase' })), /no CCXT\.coinbase\.perpetual row/);
    assert.deepEqual(h.entries([listing({ family: 'newex' }), listing()]).map((e) => e.id), ['x_perpetual']);
  });
});

describe('makeExchange', () => {
  const fake = { url: 'http://127.0.0.1:9', wsUrl: 'ws://127.0.0.1:9' };
  const EXCHANGES = h.entries(h.registry(h.binary()));

  it('points every ccxt URL at the server and nothing else', async () => {
    for (const entry of EXCHANGES) {
      const ex = await h.makeExchange(entry, fake);
      const urls = h.collectUrls(ex.urls.api);
      assert.ok(urls.length > 0, `${entry.id}: no URLs`);
      for (const u of urls) assert.match(u, /^(http|ws):\/\/127\.0\.0\.1:9(\/|$)/, `${entry.id}: ${u}`);
      assert.ok(ex.urls.www && !ex.urls.www.includes('127.0.0.1'), `${entry.id}: urls other than api/test must stay`);
      await ex.close();
    }
  });

  it('restricts loadMarkets to the market type at hand only as documented', async () => {
    const byId = Object.fromEntries(EXCHANGES.map((e) => [e.id, e]));
    const mexc = await h.makeExchange(byId.mexc_spot, fake);
    assert.equal(Object.hasOwn(mexc, 'fetchMarkets'), true, 'mexc_spot needs its fetchMarkets replaced');
    const usdm = await h.makeExchange(byId.binance_perpetual, fake);
    assert.equal(Object.hasOwn(usdm, 'fetchMarkets'), false, 'binanceusdm keeps ccxt defaults');
    const spot = await h.makeExchange(byId.binance_spot, fake);
    assert.deepEqual(spot.options.fetchMarkets.types, ['spot']);
    await Promise.all([mexc.close(), usdm.close(), spot.close()]);
  });

  it('with a URL left unrewritten, the guard catches ccxt leaving 127.0.0.1', async () => {
    const guard = h.installNetworkGuard();
    guard.assertClean();
    const entry = EXCHANGES.find((e) => e.id === 'gate_io_spot');
    const ex = await h.makeExchange(entry, fake);
    ex.urls.api.public.spot = 'https://api.gateio.ws/api/v4'; // as ccxt has it
    await assert.rejects(ex.fetchTime());
    await ex.close();
    assert.throws(() => guard.assertClean(), /left 127\.0\.0\.1: .*api\.gateio\.ws/);
  });
});
