// The ccxt tests iterate the binary's registry (`candlecassette exchanges
// --json`), so what the registry says must be usable: every registered id
// has its row in harness.mjs's CCXT table (else it would silently not be
// tested), passing.json's todo lists name registered ids only, no CCXT row
// is left over from an exchange that is gone, and every id serves the 1m
// candles and the pairs the tests ask ccxt for.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as h from '../harness.mjs';

const listings = h.registry(h.binary());
const ids = new Set(listings.map((l) => l.id));

describe('the registry and the ccxt table', () => {
  it('the binary registers exchanges', () => {
    assert.ok(listings.length > 0, 'candlecassette exchanges --json listed nothing');
  });

  it('every registered id has a CCXT row', () => {
    const missing = [];
    for (const l of listings) {
      try {
        h.entry(l);
      } catch (err) {
        missing.push(err.message);
      }
    }
    assert.deepEqual(missing, [], missing.join('\n'));
  });

  it('every CCXT row is used by a registered id', () => {
    const used = new Set(listings.map((l) => `${l.family}.${l.market}`));
    const stale = Object.entries(h.CCXT).flatMap(([family, rows]) => Object.keys(rows).map((m) => `${family}.${m}`))
      .filter((k) => !used.has(k));
    assert.deepEqual(stale, [], `CCXT rows without a registered exchange (remove them, or register the plugin): ${stale.join(', ')}`);
  });

  it("passing.json's todo lists name registered ids only", () => {
    const passing = h.readPassing();
    for (const [list, todo] of Object.entries(passing)) {
      const unknown = [...todo].filter((id) => !ids.has(id));
      assert.deepEqual(unknown, [], `passing.json todo.${list} names ids the binary does not register: ${unknown.join(', ')}`);
    }
  });

  it('every id serves 1m candles, the pairs and a WS path', () => {
    for (const l of listings) {
      assert.ok(l.intervals.some((iv) => iv.interval === '1m' && iv.name), `${l.id} does not serve 1m: ${JSON.stringify(l.intervals)}`);
      assert.ok(l.pairs.length > 0 && l.pairs.every((p) => p.symbol), `${l.id}: pairs ${JSON.stringify(l.pairs)}`);
      assert.ok(l.ws_paths.length > 0 && l.rest_routes.length > 0, `${l.id}: no WS path or REST route`);
    }
  });
});
