// ccxt with default options and untouched urls, only `httpsProxy` set and
// the local CA trusted (NODE_EXTRA_CA_CERTS), against one
// `candlecassette synth --all`: each exchange's default loadMarkets — which
// asks for every market type, on hosts sibling ids share (www.okx.com,
// api.bybit.com, api.gateio.ws, api.hyperliquid.xyz) and, for binance,
// COIN-M's dapi.binance.com — loads spot and perpetual markets together,
// and okx's spot and swap candles are one market a basis apart. REST only:
// ccxt's WS proxying needs proxy-agent packages this test does not assume.
//
// NODE_EXTRA_CA_CERTS is read when node starts, so ccxt runs in a child
// node process; the CA lives in a temp dir.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as h from '../harness.mjs';

const bin = h.binary();
const here = path.dirname(new URL(import.meta.url).pathname);

// The child: default loadMarkets of each id through the proxy, then okx
// candles of the spot and the swap market at the same minute.
const script = `
import ccxt from 'ccxt';
const proxy = process.env.PROXY;
const out = {};
for (const id of ['okx', 'binance', 'bybit', 'gate', 'hyperliquid']) {
  const ex = new ccxt[id]({ httpsProxy: proxy, timeout: 5000 });
  const t0 = Date.now();
  const markets = await ex.loadMarkets();
  out[id] = { ms: Date.now() - t0, spot: Object.values(markets).filter((m) => m.spot).length,
    swap: Object.values(markets).filter((m) => m.swap).length };
}
const okx = new ccxt.okx({ httpsProxy: proxy, timeout: 5000 });
const since = Date.now() - 3_600_000;
out.okxSpot = await okx.fetchOHLCV('BTC/USDT', '1m', since, 5);
out.okxSwap = await okx.fetchOHLCV('BTC/USDT:USDT', '1m', since, 5);
console.log(JSON.stringify(out));
`;

describe('ccxt default loadMarkets through synth --all', () => {
  let server;
  let caDir;
  before(async () => {
    caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'candlecassette-ca-'));
    execFileSync(bin, ['ca', '--ca-dir', caDir], { stdio: 'ignore' });
    server = await h.startCommand(bin, ['synth', '--all', '--listen', '127.0.0.1:0', '--ca-dir', caDir], 'synth --all');
  });
  after(async () => {
    if (server) {
      const res = await server.stop();
      assert.equal(res.code, 0, `synth --all exit: ${JSON.stringify(res)}; stderr:\n${server.stderr()}`);
      assert.deepEqual(res.stdout, [], 'stdout beyond the one listening line');
    }
    fs.rmSync(caDir, { recursive: true, force: true });
  });

  it('loads spot and perpetual markets of every family, without waiting out a timeout', () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(here, '..'), encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, PROXY: server.url, NODE_EXTRA_CA_CERTS: path.join(caDir, 'ca.pem') },
    });
    assert.equal(child.status, 0, `ccxt failed:\n${child.stderr}\nserver:\n${server.stderr()}`);
    const out = JSON.parse(child.stdout.trim().split('\n').pop());
    for (const id of ['okx', 'binance', 'bybit', 'gate', 'hyperliquid']) {
      assert.ok(out[id].spot > 0 && out[id].swap > 0, `${id}: ${JSON.stringify(out[id])}: want spot and swap markets`);
      assert.ok(out[id].ms < 5000, `${id}: loadMarkets took ${out[id].ms} ms: something waited out a timeout`);
    }
    assert.equal(out.okxSpot.length, 5);
    assert.equal(out.okxSwap.length, 5);
    for (let i = 0; i < 5; i++) {
      const [spot, swap] = [out.okxSpot[i], out.okxSwap[i]];
      assert.equal(spot[0], swap[0], 'the same minutes');
      assert.ok(Math.abs(spot[4] / swap[4] - 1) < 0.005, `spot ${spot[4]} and swap ${swap[4]}: want one market a basis apart`);
    }
  });
});
