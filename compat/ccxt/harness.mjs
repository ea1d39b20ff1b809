// The ccxt compatibility harness: runs `candlecassette synth ID` and points
// a real ccxt instance at it with nothing but its URLs changed.
//
// What it does for a test:
//   - binary(): the candlecassette binary, $CANDLECASSETTE_BIN or built once
//     from this checkout with `go build`;
//   - registry(bin): what the binary serves (`candlecassette exchanges
//     --json`), and entries(): each id joined with its row of CCXT, the one
//     table of what only ccxt knows (class, loadMarkets restriction, its own
//     market names), so that a new exchange needs a folder and a row;
//   - startServer(bin, id): `synth ID --listen 127.0.0.1:0`, reading the
//     `listening on http://HOST:PORT` line; stop() sends SIGTERM and reports
//     the exit code; startRecorder and startReplay do the same for `record`
//     (in front of an upstream server) and `replay --cassette`;
//   - makeExchange(entry, server): the ccxt class for the id with every
//     http(s)/ws(s) URL under `urls.api` (and `urls.test`) rewritten to the
//     server, paths kept;
//   - installNetworkGuard(): fails the test if any socket connects, or any
//     name is looked up, anywhere but 127.0.0.1, and lists the connections
//     it let through (takeConnections) for tests that allow only a proxy;
//   - checkSeries/checkJoin: alignment, gaps and overlaps of candles;
//     fetchPages and watchCurrent: the fetchOHLCV paging and watchOHLCV
//     checks every test file shares.
//
// Restricting loadMarkets. ccxt loads every market type an exchange has
// (spot, linear, inverse, options, ...) by default, which would ask a spot
// server for its perpetual sibling's metadata. Where ccxt has an option for
// it, CCXT below sets `options.fetchMarkets.types` to the market type
// at hand (binance, bybit, okx, kucoin, gate, hyperliquid; gate also pins
// the perpetual settlement currency to usdt). Where ccxt has no such option
// (mexc, ascendex), the instance's fetchMarkets is replaced by ccxt's own
// fetchSpotMarkets or fetchSwapMarkets of the same instance (`restrict`).
// Where ccxt's default already asks only for the market type at hand
// (binanceusdm, coinbase, kraken, kucoinfutures) nothing is changed. fetchCurrencies,
// which loadMarkets runs first, is never switched off.
//
// MEXC spot: ccxt subscribes to MEXC's protobuf kline channel and decodes it
// with protobufjs, an optional peer dependency of ccxt that a user of mexc
// installs; package.json pins it.
//
// Plain http/ws. ccxt refuses ws:// URLs until `loadHttpProxyAgent()`, its
// own method, has given the instance a plain http.Agent; every instance gets
// that call. AscendEX: ccxt dropped it after 4.5.59, so ascend_ex_spot runs
// on the npm alias `ccxt-ascendex` (ccxt 4.5.59), which sends every request
// through an https.Agent unless told otherwise, so that instance also uses
// the http.Agent for REST (`agent`): a transport setting, not a URL.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The root of the candlecassette checkout. */
export const repoRoot = path.resolve(here, '..', '..');

/** One minute in ms, the timeframe of the candle checks. */
export const MINUTE = 60_000;

/**
 * CCXT is everything the registry cannot say: how ccxt reaches each
 * exchange family, by market ("spot" or "perpetual", as `candlecassette
 * exchanges --json` reports it). A row has the ccxt class (`ccxt`), the npm
 * package when it is not ccxt (`pkg`), how loadMarkets is restricted to the
 * market at hand (`options`, or `restrict`: the instance method that
 * replaces fetchMarkets), `httpAgent` (REST through the plain http.Agent),
 * and where ccxt names markets its own way, `quote` (the quote ccxt uses
 * instead of the pair's), `symbols` (names to try before the pairs') and
 * `anySymbol` (else the first market of the type).
 *
 * Everything else comes from the binary: which ids exist, their family and
 * market, and the pairs they serve (see entries). A registered id without
 * a row here fails test/registry.test.mjs, naming the row to add.
 */
export const CCXT = {
  binance: {
    spot: { ccxt: 'binance', options: { fetchMarkets: { types: ['spot'] } } },
    perpetual: { ccxt: 'binanceusdm' },
  },
  bybit: {
    spot: { ccxt: 'bybit', options: { fetchMarkets: { types: ['spot'] } } },
    perpetual: { ccxt: 'bybit', options: { fetchMarkets: { types: ['linear'] } } },
  },
  okx: {
    spot: { ccxt: 'okx', options: { fetchMarkets: { types: ['spot'] } } },
    perpetual: { ccxt: 'okx', options: { fetchMarkets: { types: ['swap'] } } },
  },
  coinbase: {
    spot: { ccxt: 'coinbase' },
  },
  kraken: {
    spot: { ccxt: 'kraken' },
  },
  kucoin: {
    spot: { ccxt: 'kucoin', options: { fetchMarkets: { types: ['spot'] } } },
    perpetual: { ccxt: 'kucoinfutures' },
  },
  gateio: {
    spot: { ccxt: 'gate', options: { fetchMarkets: { types: ['spot'] } } },
    perpetual: { ccxt: 'gate', options: { fetchMarkets: { types: ['swap'] }, swap: { fetchMarkets: { settlementCurrencies: ['usdt'] } } } },
  },
  mexc: {
    spot: { ccxt: 'mexc', restrict: 'fetchSpotMarkets' },
    perpetual: { ccxt: 'mexc', restrict: 'fetchSwapMarkets' },
  },
  hyperliquid: {
    // ccxt names Hyperliquid's spot tokens its own way, and its perpetuals
    // settle in USDC whatever the pair's quote.
    spot: { ccxt: 'hyperliquid', symbols: ['BTC/USDC', 'UBTC/USDC', 'PURR/USDC'], anySymbol: true,
      options: { fetchMarkets: { types: ['spot'] } } },
    perpetual: { ccxt: 'hyperliquid', quote: 'USDC', options: { fetchMarkets: { types: ['swap'] } } },
  },
  ascendex: {
    spot: { pkg: 'ccxt-ascendex', ccxt: 'ascendex', restrict: 'fetchSpotMarkets', httpAgent: true },
  },
};

/** ccxtType is ccxt's market type for a registry market. */
const ccxtType = (market) => (market === 'perpetual' ? 'swap' : 'spot');

/**
 * registry asks the binary what it serves (`candlecassette exchanges
 * --json`): one object per exchange id with its family (folder under
 * plugins/), market, upstreams, intervals with their native names, default
 * pairs with their native symbols, REST routes and WS paths.
 */
export function registry(bin) {
  return JSON.parse(execFileSync(bin, ['exchanges', '--json'], { encoding: 'utf8' }));
}

/**
 * entry joins one registry listing with its CCXT row into what the tests
 * use: id, ccxt, pkg, type, the symbols to look for (first present wins:
 * the row's own names, then each default pair as ccxt spells it,
 * BASE/QUOTE or BASE/QUOTE:SETTLE for perpetuals), the rest of the row and
 * the listing itself (`exchange`). It throws, naming the row to add, when
 * CCXT has none for the listing's family and market.
 */
export function entry(listing) {
  const row = CCXT[listing.family]?.[listing.market];
  if (!row) {
    throw new Error(`${listing.id} is registered (plugins/${listing.family}) but compat/ccxt/harness.mjs has no ` +
      `CCXT.${listing.family}.${listing.market} row: add the ccxt class that reaches it`);
  }
  const type = ccxtType(listing.market);
  const fromPairs = listing.pairs.map(({ base, quote }) => {
    const q = row.quote ?? quote;
    return type === 'swap' ? `${base}/${q}:${q}` : `${base}/${q}`;
  });
  return { ...row, id: listing.id, type, symbols: [...new Set([...(row.symbols ?? []), ...fromPairs])], exchange: listing };
}

/**
 * entries is an entry for every registered id that has a CCXT row, in id
 * order; ids without one are left to test/registry.test.mjs to report.
 */
export function entries(listings) {
  return listings.filter((l) => CCXT[l.family]?.[l.market]).map(entry);
}

/**
 * readPassing reads passing.json: the ids that do not pass yet (`todo`,
 * per test file: exchanges, roundtrip, proxy, and proxyall, recordall,
 * replayall for test/proxyall-ids.test.mjs's variants — the last four by id,
 * with why — and methods, methodsrecord, methodsreplay for
 * test/method-matrix.test.mjs, the ids of its pairs: see readMethodTodos;
 * orderbook for test/orderbook.test.mjs, by id then check).
 * Every other registered id must pass.
 */
export function readPassing() {
  const p = JSON.parse(fs.readFileSync(path.join(here, 'passing.json'), 'utf8'));
  return {
    exchanges: new Set(p.todo?.exchanges ?? []),
    roundtrip: new Set(p.todo?.roundtrip ?? []),
    proxy: new Set(Object.keys(p.todo?.proxy ?? {})),
    proxyall: new Set(Object.keys(p.todo?.proxyall ?? {})),
    recordall: new Set(Object.keys(p.todo?.recordall ?? {})),
    replayall: new Set(Object.keys(p.todo?.replayall ?? {})),
    methods: new Set(Object.keys(p.todo?.methods ?? {})),
    methodsrecord: new Set(Object.keys(p.todo?.methodsrecord ?? {})),
    methodsreplay: new Set(Object.keys(p.todo?.methodsreplay ?? {})),
    orderbook: new Set(Object.keys(p.todo?.orderbook ?? {})),
  };
}

/**
 * readMethodTodos reads passing.json's (id, method) pairs of
 * test/method-matrix.test.mjs that do not pass yet: todo.methods (in every
 * setting), todo.methodsrecord and todo.methodsreplay (through the
 * recorder, through the replay), each {id: {method: why}}. It returns
 * (setting, id, method) → why, or undefined for a pair that must pass.
 */
export function readMethodTodos() {
  const p = JSON.parse(fs.readFileSync(path.join(here, 'passing.json'), 'utf8'));
  return (setting, id, method) => p.todo?.[`methods${setting === 'synth' ? '' : setting}`]?.[id]?.[method] ?? p.todo?.methods?.[id]?.[method];
}

// ---------------------------------------------------------------- network guard

/** isLoopback reports whether host is a loopback IP address (no names). */
export function isLoopback(host) {
  if (typeof host !== 'string') return false;
  const h = host.replace(/^\[|\]$/g, '');
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

// connectTarget finds host and port in the many shapes of Socket#connect's
// arguments (Node passes its normalized [options, cb] array internally).
function connectTarget(args) {
  let a = args;
  if (Array.isArray(a[0])) a = a[0];
  if (a[0] !== null && typeof a[0] === 'object') {
    const o = a[0];
    return o.path !== undefined ? { path: o.path } : { host: o.host ?? 'localhost', port: o.port };
  }
  if (typeof a[0] === 'string' && !/^\d+$/.test(a[0])) return { path: a[0] };
  return { host: typeof a[1] === 'string' ? a[1] : 'localhost', port: a[0] };
}

let guardState;

/**
 * installNetworkGuard patches net.Socket#connect (which tls.connect, http,
 * undici and ws all go through), tls.connect and dns lookups so that any
 * connection to anything but a loopback address, and any lookup of a host
 * name (other than localhost), is refused and recorded. assertClean() throws if anything was recorded since the last
 * call. Installing twice returns the same guard.
 */
export function installNetworkGuard() {
  if (guardState) return guardState;
  const violations = [];
  // Every connection let through, as host:port, for tests that allow fewer
  // places than all of 127.0.0.1 (takeConnections).
  const connections = [];
  const refuse = (what) => {
    violations.push(what);
    return new Error(`network guard: refused ${what}; only 127.0.0.1 is allowed`);
  };
  const origConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const t = connectTarget(args);
    if (t.path === undefined && !isLoopback(t.host)) {
      const err = refuse(`connect to ${t.host}:${t.port}`);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    if (t.path === undefined) connections.push(`${t.host}:${t.port}`);
    return origConnect.apply(this, args);
  };
  const origTLS = tls.connect;
  tls.connect = function guardedTLS(...args) {
    const o = args.find((a) => a !== null && typeof a === 'object') ?? {};
    const host = o.host ?? (typeof args[1] === 'string' ? args[1] : undefined);
    if (host !== undefined && !o.socket && !isLoopback(host)) {
      throw refuse(`TLS connect to ${host}`);
    }
    return origTLS.apply(this, args);
  };
  // Looking up an address literal or localhost asks no server; connect
  // still refuses anything but loopback.
  const lookupAllowed = (name) => net.isIP(String(name).replace(/^\[|\]$/g, '')) !== 0 || name === 'localhost';
  const origLookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname, ...rest) {
    if (!lookupAllowed(hostname)) {
      const cb = rest.find((r) => typeof r === 'function');
      const err = refuse(`DNS lookup of ${hostname}`);
      if (cb) process.nextTick(cb, err);
      return {};
    }
    return origLookup.call(this, hostname, ...rest);
  };
  const origPromiseLookup = dns.promises.lookup;
  dns.promises.lookup = async function guardedPromiseLookup(hostname, ...rest) {
    if (!lookupAllowed(hostname)) throw refuse(`DNS lookup of ${hostname}`);
    return origPromiseLookup.call(this, hostname, ...rest);
  };
  guardState = {
    violations,
    /** takeConnections returns the host:port of every connection let through since the last call. */
    takeConnections() {
      return connections.splice(0);
    },
    assertClean() {
      if (violations.length > 0) {
        const list = violations.splice(0).join('; ');
        throw new Error(`a request left 127.0.0.1: ${list}`);
      }
    },
    uninstall() {
      net.Socket.prototype.connect = origConnect;
      tls.connect = origTLS;
      dns.lookup = origLookup;
      dns.promises.lookup = origPromiseLookup;
      guardState = undefined;
    },
  };
  return guardState;
}

// ---------------------------------------------------------------- the binary

let built;

/**
 * binary returns the candlecassette binary: $CANDLECASSETTE_BIN, or one built
 * from this checkout into a temporary directory once per process (removed
 * at exit).
 */
export function binary() {
  if (process.env.CANDLECASSETTE_BIN) return path.resolve(process.env.CANDLECASSETTE_BIN);
  if (built) return built;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candlecassette-ccxt-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'candlecassette');
  execFileSync('go', ['build', '-o', out, './cmd/candlecassette'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  built = out;
  return out;
}

/**
 * startServer runs `candlecassette synth ID --listen 127.0.0.1:0` and waits
 * for its `listening on http://HOST:PORT` line. The result has url (http),
 * wsUrl (ws), stderr() (what the server logged) and stop(), which sends
 * SIGTERM (or the given signal) and resolves to {code, signal, stdout}.
 */
export async function startServer(bin, id, { seed = 7, extraArgs = [], timeoutMs = 30_000 } = {}) {
  return startCommand(bin, ['synth', id, '--listen', '127.0.0.1:0', '--seed', String(seed), ...extraArgs], id, timeoutMs);
}

/**
 * startRecorder runs `candlecassette record ID --cassette FILE` in front of
 * upstream (a server from startServer), like startServer.
 */
export async function startRecorder(bin, id, { cassette, upstream, timeoutMs = 30_000 }) {
  return startCommand(bin, ['record', id, '--listen', '127.0.0.1:0', '--cassette', cassette,
    '--upstream-rest', upstream.url, '--upstream-ws', upstream.wsUrl], `${id} recorder`, timeoutMs);
}

/** startReplay runs `candlecassette replay --cassette FILE`, like startServer. */
export async function startReplay(bin, { cassette, label = 'replay', extraArgs = [], timeoutMs = 30_000 }) {
  return startCommand(bin, ['replay', '--cassette', cassette, '--listen', '127.0.0.1:0', ...extraArgs], label, timeoutMs);
}

/**
 * startCommand runs a serving command of the binary and waits for its
 * `listening on http://127.0.0.1:PORT` line (see startServer).
 */
export async function startCommand(bin, args, label, timeoutMs = 30_000) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = [];
  const rl = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: no listening line within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
    rl.on('line', (l) => {
      lines.push(l);
      if (lines.length === 1) { clearTimeout(timer); resolve(l); }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr}`));
    });
  });
  const m = /^listening on (http:\/\/(127\.0\.0\.1:\d+))$/.exec(first);
  if (!m) {
    child.kill('SIGKILL');
    throw new Error(`${label}: first stdout line ${JSON.stringify(first)} is not "listening on http://127.0.0.1:PORT"`);
  }
  return {
    id: label,
    url: m[1],
    wsUrl: `ws://${m[2]}`,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM', stopTimeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const res = await exited;
      clearTimeout(timer);
      return { ...res, stdout: lines.slice(1) };
    },
    /**
     * goroutines ends the process with SIGQUIT, on which a Go binary
     * prints every goroutine's stack to stderr, and resolves to that dump
     * ('' if the process had exited already).
     */
    async goroutines(waitMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return '';
      const from = stderr.length;
      const closed = new Promise((resolve) => child.on('close', resolve));
      child.kill('SIGQUIT');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, waitMs))]);
      return stderr.slice(from);
    },
  };
}

/**
 * ownStacks keeps, of a Go goroutine dump, the goroutines in
 * candlecassette's own packages, at most max characters: what a request
 * that timed out waits for.
 */
export function ownStacks(dump, max = 12_000) {
  return dump.split('\n\n')
    .filter((b) => /^goroutine \d+/.test(b) && /candlecassette\/(replay|plugins|serve|synth|cassettes|record|netsim|ratelimit|internal)\//.test(b))
    .join('\n\n').slice(0, max);
}

// ---------------------------------------------------------------- ccxt

/**
 * rewriteUrls deep-copies a ccxt urls tree with the scheme and host of every
 * http(s) URL replaced by httpBase and of every ws(s) URL by wsBase; paths
 * and queries are kept. Other values are copied as they are.
 */
export function rewriteUrls(node, httpBase, wsBase) {
  if (typeof node === 'string') {
    return node
      .replace(/^https?:\/\/[^/?#]*/i, httpBase)
      .replace(/^wss?:\/\/[^/?#]*/i, wsBase);
  }
  if (Array.isArray(node)) return node.map((v) => rewriteUrls(v, httpBase, wsBase));
  if (node !== null && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k] = rewriteUrls(v, httpBase, wsBase);
    return out;
  }
  return node;
}

/** collectUrls lists every URL string in a urls tree. */
export function collectUrls(node, out = []) {
  if (typeof node === 'string') {
    if (/^(https?|wss?):\/\//i.test(node)) out.push(node);
  } else if (node !== null && typeof node === 'object') {
    for (const v of Object.values(node)) collectUrls(v, out);
  }
  return out;
}

const modules = new Map();

async function ccxtModule(pkg) {
  if (!modules.has(pkg)) modules.set(pkg, (await import(pkg)).default);
  return modules.get(pkg);
}

/**
 * classHas is `has` of a fresh instance of the entry's ccxt class: what
 * ccxt declares it can do, before any server is asked.
 */
export async function classHas(entry) {
  const ccxt = await ccxtModule(entry.pkg ?? 'ccxt');
  return new ccxt.pro[entry.ccxt]().has;
}

/** ccxtVersion is the version string of the ccxt package an entry uses. */
export async function ccxtVersion(entry) {
  return (await ccxtModule(entry.pkg ?? 'ccxt')).version;
}

/**
 * WS_PONG_MISSES is the keepalive tolerance the book tests give ccxt's WS
 * clients (its option maxPingPongMisses, 2 by default): how many of its
 * ping intervals may pass without a pong before it drops the connection
 * with a RequestTimeout. ccxt kraken pings every 6 s, so by default 12 s
 * without a pong ends the connection, and under CI's load (the Go -race
 * suites on both cores) this process was once starved that long while it
 * parsed the book streams (fresh CI, the book round trip's kraken_spot:
 * "timed out due to a ping-pong keepalive missing on time"). A server that
 * never answers a ping still fails, later; the plugins' own tests check
 * that every ping is answered.
 */
export const WS_PONG_MISSES = 4;

/**
 * patient sets what the book tests give a ccxt instance: ms for each REST
 * call (ccxt's timeout) and WS_PONG_MISSES missed pongs for its WS
 * keepalive. It returns ex.
 */
export function patient(ex, ms) {
  ex.timeout = ms;
  ex.options.ws = { ...ex.options.ws, maxPingPongMisses: WS_PONG_MISSES };
  return ex;
}

/**
 * makeExchange instantiates ccxt.pro[entry.ccxt] for server with only its
 * urls (api and test) rewritten, the market-type restriction of the entry,
 * and no other setting changed.
 */
export async function makeExchange(entry, server) {
  const ccxt = await ccxtModule(entry.pkg ?? 'ccxt');
  const Cls = ccxt.pro[entry.ccxt];
  if (!Cls) throw new Error(`${entry.pkg ?? 'ccxt'} ${ccxt.version} has no class ${entry.ccxt}`);
  const config = {};
  if (entry.options) config.options = entry.options;
  const ex = new Cls(config);
  const urls = { ...ex.urls, api: rewriteUrls(ex.urls.api, server.url, server.wsUrl) };
  if (ex.urls.test) urls.test = rewriteUrls(ex.urls.test, server.url, server.wsUrl);
  ex.urls = urls;
  // ccxt refuses plain ws:// URLs until its http agent is loaded, by its own
  // method for that.
  await ex.loadHttpProxyAgent();
  if (entry.httpAgent) ex.agent = ex.httpAgent;
  if (entry.restrict) {
    const fn = ex[entry.restrict];
    if (typeof fn !== 'function') throw new Error(`${entry.ccxt} has no ${entry.restrict}`);
    ex.fetchMarkets = (params = {}) => fn.call(ex, params);
  }
  return ex;
}

/**
 * makeProxiedExchange instantiates ccxt.pro[entry.ccxt] as a user whose
 * code talks to the real exchange would, with candlecassette as its proxy:
 * the `httpsProxy` option and one WS proxy option set to proxyUrl —
 * `wsProxy` (ccxt then sends absolute-form requests in clear, `GET
 * https://host/path` with the upgrade) or `wssProxy` (CONNECT, then TLS) —
 * and nothing else: urls, market types and every other option are ccxt's
 * defaults (the row's options and restrict are for direct mode and are not
 * used). ccxt reads no proxy environment variable. TLS is trusted through
 * NODE_EXTRA_CA_CERTS, which node reads only when it starts
 * (run-tests.mjs). WS through a proxy needs the http-proxy-agent and
 * https-proxy-agent packages, both: ccxt loads them together or not at all.
 */
export async function makeProxiedExchange(entry, proxyUrl, wsOption = 'wsProxy') {
  const ccxt = await ccxtModule(entry.pkg ?? 'ccxt');
  const Cls = ccxt.pro[entry.ccxt];
  if (!Cls) throw new Error(`${entry.pkg ?? 'ccxt'} ${ccxt.version} has no class ${entry.ccxt}`);
  return new Cls({ httpsProxy: proxyUrl, [wsOption]: proxyUrl });
}

/**
 * pickSymbol returns the first of entry.symbols that ex.markets has with the
 * entry's market type, or (entry.anySymbol) the first market of that type.
 */
export function pickSymbol(entry, ex) {
  for (const s of entry.symbols) {
    const m = ex.markets[s];
    if (m && m.type === entry.type) return s;
  }
  if (entry.anySymbol) {
    const m = Object.values(ex.markets).find((mk) => mk.type === entry.type);
    if (m) return m.symbol;
  }
  const have = Object.keys(ex.markets).slice(0, 20).join(', ');
  throw new Error(`${entry.id}: none of ${entry.symbols.join(', ')} among the ${entry.type} markets ccxt loaded (${have})`);
}

// ---------------------------------------------------------------- candles

/**
 * checkSeries throws unless candles ([ts, o, h, l, c, v] rows, ccxt's OHLCV)
 * are aligned to tfMs, oldest first, each one tfMs after the one before
 * (no gap, no overlap), with low <= open, close <= high and volume >= 0.
 */
export function checkSeries(candles, tfMs, label = 'candles') {
  const problems = [];
  candles.forEach((c, i) => {
    const [ts, o, h, l, cl, v] = c;
    if (!Number.isInteger(ts) || ts % tfMs !== 0) problems.push(`#${i} ts ${ts} not aligned to ${tfMs} ms`);
    if (i > 0) {
      const want = candles[i - 1][0] + tfMs;
      if (ts !== want) problems.push(`#${i} ts ${ts}, want ${want}: ${ts > want ? 'gap' : 'overlap'}`);
    }
    if (![o, h, l, cl, v].every(Number.isFinite)) problems.push(`#${i} non-numeric values ${JSON.stringify(c)}`);
    else if (l > h || o < l || o > h || cl < l || cl > h || v < 0) problems.push(`#${i} inconsistent OHLCV ${JSON.stringify(c)}`);
  });
  if (problems.length) throw new Error(`${label}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
}

/** checkJoin throws unless next starts exactly tfMs after prev ends. */
export function checkJoin(prev, next, tfMs) {
  const last = prev.at(-1)?.[0];
  const first = next[0]?.[0];
  if (last === undefined || first === undefined) throw new Error(`cannot join pages of ${prev.length} and ${next.length} candles`);
  if (first !== last + tfMs) {
    throw new Error(`next page starts at ${first}, want ${last + tfMs} right after ${last}: ${first > last + tfMs ? 'gap' : 'overlap'}`);
  }
}

/** currentOpen is the open time of the tfMs candle in progress at ms. */
export function currentOpen(tfMs, ms = Date.now()) {
  return Math.floor(ms / tfMs) * tfMs;
}

/** withTimeout rejects if promise does not settle within ms. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- checks

/**
 * fetchPages asks ccxt for two consecutive pages of limit 1m candles from
 * since and throws unless each has limit candles, the first starts at since,
 * all are aligned and contiguous and page two joins page one with no gap or
 * overlap. It returns the two pages.
 */
export async function fetchPages(ex, symbol, since, limit) {
  const page1 = await ex.fetchOHLCV(symbol, '1m', since, limit);
  if (page1.length !== limit) throw new Error(`page 1 has ${page1.length} candles, want ${limit}`);
  if (page1[0][0] !== since) throw new Error(`page 1 starts at ${page1[0][0]}, want since ${since}`);
  checkSeries(page1, MINUTE, 'page 1');
  const page2 = await ex.fetchOHLCV(symbol, '1m', page1.at(-1)[0] + MINUTE, limit);
  if (page2.length !== limit) throw new Error(`page 2 has ${page2.length} candles, want ${limit}`);
  checkJoin(page1, page2, MINUTE);
  checkSeries(page2, MINUTE, 'page 2');
  return [page1, page2];
}

/**
 * watchCurrent waits for a watchOHLCV update and throws unless its last
 * candle is aligned and opened within slackMs before now (the candle in
 * progress, give or take slackMs), then waits for a second update that does
 * not go back in time. It returns the last candle of the first update.
 */
export async function watchCurrent(ex, symbol, { slackMs = 0, timeoutMs = 30_000 } = {}) {
  const before = Date.now();
  const candles = await withTimeout(ex.watchOHLCV(symbol, '1m'), timeoutMs, 'watchOHLCV');
  const afterMs = Date.now();
  if (!Array.isArray(candles) || candles.length === 0) throw new Error('watchOHLCV gave no candles');
  checkSeries(candles, MINUTE, 'watchOHLCV');
  const ts = candles.at(-1)[0];
  const lo = currentOpen(MINUTE, before - slackMs);
  const hi = currentOpen(MINUTE, afterMs);
  if (ts < lo || ts > hi) throw new Error(`watchOHLCV's last candle opens at ${ts}, want the candle in progress (${lo}..${hi})`);
  const more = await withTimeout(ex.watchOHLCV(symbol, '1m'), timeoutMs, 'second watchOHLCV update');
  if (more.length === 0 || more.at(-1)[0] < ts) throw new Error('second watchOHLCV update went back in time');
  return candles.at(-1);
}

/**
 * assertProxyOnly is proxy mode's check after each ccxt step: the network
 * guard saw nothing leave 127.0.0.1, every socket ccxt opened went to one
 * of the proxies' addresses, and the server (whose stderr cursor.logSeen
 * marks what was read already; it is moved on first) refused no host.
 */
export function assertProxyOnly(guard, proxies, proxyAddr, server, cursor) {
  guard.assertClean();
  const elsewhere = guard.takeConnections().filter((c) => !proxies.has(c));
  assert.deepEqual(elsewhere, [], `ccxt connected elsewhere than the proxy ${proxyAddr}`);
  const log = server.stderr();
  const refused = log.slice(cursor.logSeen).split('\n').filter((l) => /proxy: refused/.test(l));
  cursor.logSeen = log.length;
  assert.deepEqual(refused, [], 'the server refused a host ccxt asked for (not the exchange\'s own)');
}

// ---------------------------------------------------------------- books

/**
 * validBook throws unless ob is a valid, uncrossed book: both sides
 * non-empty, every price and size > 0, bids strictly descending, asks
 * strictly ascending, best bid below best ask.
 */
export function validBook(ob, label) {
  assert.ok(ob && Array.isArray(ob.bids) && Array.isArray(ob.asks), `${label}: not a book`);
  assert.ok(ob.bids.length > 0 && ob.asks.length > 0, `${label}: an empty side (${ob.bids.length} bids, ${ob.asks.length} asks)`);
  // The levels are checked without building a message until one fails:
  // the book tests check every book ccxt applies, thousands of levels a
  // book and thousands of books a second at a seam, in the one process
  // that runs the other ids' clients too.
  for (const [side, sign] of [['bids', -1], ['asks', 1]]) {
    const lv = ob[side];
    for (let i = 0; i < lv.length; i++) {
      const p = lv[i][0];
      const s = lv[i][1];
      if (!(Number.isFinite(p) && p > 0 && Number.isFinite(s) && s > 0)) assert.fail(`${label}: ${side}[${i}] = ${p} x ${s}`);
      if (i > 0 && !(sign * (p - lv[i - 1][0]) > 0)) assert.fail(`${label}: ${side} not strictly ${sign < 0 ? 'descending' : 'ascending'} at ${i}: ${lv[i - 1][0]} then ${p}`);
    }
  }
  assert.ok(ob.bids[0][0] < ob.asks[0][0], `${label}: crossed, bid ${ob.bids[0][0]} >= ask ${ob.asks[0][0]}`);
}

/**
 * bookTop is the first n [price, size] levels a side of ob as a string to
 * compare (OKX's REST levels also carry an order count, left out).
 */
export function bookTop(ob, n) {
  return JSON.stringify([ob.bids.slice(0, n).map((l) => l.slice(0, 2)), ob.asks.slice(0, n).map((l) => l.slice(0, 2))]);
}

/**
 * onEveryBook calls fn with every book of symbol that ccxt's WS clients
 * of ex resolve from now on: one per message ccxt applies, not only those
 * a watchOrderBook call returns (those skip the books applied between two
 * calls). Books with an empty side are not passed.
 */
export function onEveryBook(ex, symbol, fn) {
  const client = ex.client.bind(ex);
  ex.client = (url) => {
    const cl = client(url);
    if (!cl.bookHook) {
      const resolve = cl.resolve.bind(cl);
      cl.resolve = (result, hash) => {
        if (result && result.symbol === symbol && Array.isArray(result.bids) && Array.isArray(result.asks) && result.bids.length && result.asks.length) fn(result);
        return resolve(result, hash);
      };
      cl.bookHook = true;
    }
    return cl;
  };
}
