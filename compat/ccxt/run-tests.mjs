// The runner of `npm test`. Node reads NODE_EXTRA_CA_CERTS only when it
// starts, so the CA that proxy mode's tests trust is made here, before the
// test files start: `candlecassette ca` in a temporary directory, then
// `node --test` with CANDLECASSETTE_CA_DIR (for the servers the tests
// start) and NODE_EXTRA_CA_CERTS (for ccxt) in its environment, and
// CANDLECASSETTE_BIN, so the binary is built at most once. Arguments are
// passed on to `node --test` (default: test/), which runs the test files
// side by side (--test-concurrency=4: on 2 cores its default is one at a
// time, and the files mostly wait on their servers).

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { binary } from './harness.mjs';

const bin = binary();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candlecassette-ccxt-ca-'));
let status = 1;
try {
  const out = execFileSync(bin, ['ca'], { env: { ...process.env, CANDLECASSETTE_CA_DIR: dir }, encoding: 'utf8' });
  const cert = /^certificate: (\S+) \(expires /m.exec(out)?.[1];
  if (!cert || !fs.existsSync(cert)) throw new Error(`candlecassette ca named no certificate file:\n${out}`);
  const env = { ...process.env, CANDLECASSETTE_BIN: bin, CANDLECASSETTE_CA_DIR: dir, NODE_EXTRA_CA_CERTS: cert };
  const args = process.argv.slice(2);
  const res = spawnSync(process.execPath, ['--test', '--test-concurrency=4', ...(args.length ? args : ['test/'])], { stdio: 'inherit', env });
  if (res.error) throw res.error;
  status = res.status ?? 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
