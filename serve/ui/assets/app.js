// candlecassette admin dashboard. Reads and drives the admin API of the
// server that served this page (same origin, nothing else): /__admin/ID/...
// for the exchange picked, which every server answers.
'use strict';

(function () {
  const TOKEN_KEY = 'candlecassette.adminToken';
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);

  class AuthError extends Error {}
  class APIError extends Error {
    constructor(status, msg) { super(msg); this.status = status; }
  }

  const state = {
    exchanges: [],
    ex: null,        // the exchange entry of /__admin/market picked
    timer: null,
    chart: null, candleSeries: null, volumeSeries: null, markers: null,
    chartKey: '',    // symbol/interval the chart shows
    serverSkew: 0,   // server clock minus ours, from the Date header
    busy: false,
    lastNow: 0,      // the market's now, from the last candles answer
    windowEnd: 0,    // the chart's window ends here (Unix ms); 0: at now
    windowStart: 0,  // and starts here, when windowEnd is set
  };
  // For tests and the curious: the candles the API last answered, and what
  // the chart itself holds — its candlestick series' bars (with the colour
  // of each) and its markers — read back from the charting library.
  window.ccDashboard = {
    candles: [], refreshes: 0,
    bars: () => (state.candleSeries ? state.candleSeries.data() : []),
    markers: () => (state.markers ? state.markers.markers() : []),
  };

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  // api fetches path from this server with the token, and returns the
  // decoded JSON; a 401 shows the login form.
  async function api(path, opts) {
    opts = opts || {};
    const headers = {};
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    let body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const resp = await fetch(path, { method: opts.method || 'GET', headers, body, cache: 'no-store', credentials: 'omit' });
    const date = Date.parse(resp.headers.get('Date') || '');
    if (!Number.isNaN(date)) state.serverSkew = date - Date.now();
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    const msg = (data && data.error) || text.trim() || resp.statusText;
    if (resp.status === 401) {
      showLogin(t ? 'The server refused this token: ' + msg : '');
      throw new AuthError(msg);
    }
    if (!resp.ok) throw new APIError(resp.status, msg);
    return data;
  }

  function exPath(rest) { return '/__admin/' + encodeURIComponent(state.ex.id) + '/' + rest; }

  function setState(text) { $('state').textContent = text; }

  // ---- login -------------------------------------------------------------

  function showLogin(error) {
    stopPolling();
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = error || '';
    setState('needs the admin token');
    $('token').focus();
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('login-error').textContent = '';
    await start();
  });

  // ---- start -------------------------------------------------------------

  async function start() {
    let market;
    try {
      market = await api('/__admin/market');
    } catch (e) {
      if (!(e instanceof AuthError)) setState('admin API unreachable: ' + e.message);
      return;
    }
    $('login').hidden = true;
    $('app').hidden = false;
    state.exchanges = market.exchanges || [];
    const sel = $('exchange');
    const keep = sel.value;
    sel.replaceChildren(...state.exchanges.map((x) => new Option(x.id, x.id)));
    if (keep && state.exchanges.some((x) => x.id === keep)) sel.value = keep;
    await pickExchange();
  }

  async function pickExchange() {
    state.ex = state.exchanges.find((x) => x.id === $('exchange').value) || state.exchanges[0];
    if (!state.ex) { setState('no exchange served'); return; }
    const ex = state.ex;
    $('mode').textContent = ex.replay ? 'replaying a cassette' : (ex.market ? 'synthetic market' : 'recording (no market view)');
    // Record mode has no market of its own: no chart, pairs or legend.
    for (const el of document.querySelectorAll('.market-only')) el.hidden = !ex.market;
    fillSelect($('symbol'), ex.pairs.map((p) => p.symbol));
    fillSelect($('interval'), ex.intervals, ex.intervals.includes('1m') ? '1m' : undefined);
    state.chartKey = '';
    state.windowEnd = 0;
    $('latest').hidden = true;
    await Promise.all([loadConditions(), loadLimits()]);
    await refresh();
    startPolling();
  }

  function fillSelect(sel, values, preferred) {
    const keep = sel.value;
    sel.replaceChildren(...values.map((v) => new Option(v, v)));
    if (values.includes(keep)) sel.value = keep;
    else if (preferred) sel.value = preferred;
  }

  function startPolling() {
    stopPolling();
    state.timer = setInterval(() => { if ($('live').checked) refresh(); }, POLL_MS);
  }
  function stopPolling() { if (state.timer) clearInterval(state.timer); state.timer = null; }

  // refresh reads everything shown but the control forms.
  async function refresh() {
    if (state.busy || !state.ex) return;
    state.busy = true;
    try {
      await Promise.all([loadCandles(), loadCoverage(), loadStatus(), loadConnections(), loadUsage(), loadRequests()]);
      setState('updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      if (!(e instanceof AuthError)) setState('error: ' + e.message);
    } finally {
      state.busy = false;
      window.ccDashboard.refreshes++;
    }
  }

  // ---- chart -------------------------------------------------------------

  const COLORS = {
    index: { up: '#26a69a', down: '#ef5350' },
    synthetic: { up: '#7b8cde', down: '#c17ac9' },
  };

  function ensureChart() {
    if (state.chart) return;
    const LC = window.LightweightCharts;
    const chart = LC.createChart($('chart'), {
      autoSize: true,
      layout: { background: { type: 'solid', color: '#ffffff' }, textColor: '#1f2933' },
      grid: { vertLines: { color: '#eef1f4' }, horzLines: { color: '#eef1f4' } },
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 3 },
      localization: { timeFormatter: (t) => new Date(t * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z') },
    });
    const candles = chart.addSeries(LC.CandlestickSeries, { priceLineVisible: true });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.28 } });
    const volume = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: '', lastValueVisible: false, priceLineVisible: false });
    volume.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    state.chart = chart;
    state.candleSeries = candles;
    state.volumeSeries = volume;
    state.markers = LC.createSeriesMarkers(candles, []);
  }

  // decimals counts the significant decimals of a decimal string.
  function decimals(s) {
    const i = s.indexOf('.');
    return i < 0 ? 0 : s.replace(/0+$/, '').length - i - 1;
  }

  async function loadCandles() {
    const ex = state.ex;
    if (!ex.market) { $('chart-info').textContent = 'This mode serves no market of its own.'; return; }
    const symbol = $('symbol').value, interval = $('interval').value;
    if (!symbol || !interval) return;
    const q = new URLSearchParams({ symbol, interval, limit: '300' });
    if (state.windowEnd) {
      q.set('end', String(state.windowEnd));
      q.set('start', String(state.windowStart));
      q.set('limit', '1500');
    }
    let data;
    try {
      data = await api(exPath('candles?' + q));
    } catch (e) {
      if (e instanceof APIError) { $('chart-error').textContent = e.message; return; }
      throw e;
    }
    if (symbol !== $('symbol').value || interval !== $('interval').value) return; // changed meanwhile
    $('chart-error').textContent = '';
    ensureChart();
    const key = ex.id + '/' + symbol + '/' + interval;
    const cs = data.candles;
    let prec = 2;
    for (const c of cs.slice(-50)) prec = Math.max(prec, decimals(c.close), decimals(c.open));
    prec = Math.min(prec, 8);
    state.candleSeries.applyOptions({ priceFormat: { type: 'price', precision: prec, minMove: Math.pow(10, -prec) } });
    state.chart.applyOptions({ timeScale: { secondsVisible: interval.endsWith('s') } });
    const bars = [], vols = [], marks = [];
    const counts = { index: 0, synthetic: 0 };
    let prev = null;
    for (const c of cs) {
      const t = Math.floor(c.time / 1000);
      const o = +c.open, cl = +c.close;
      const col = (COLORS[c.source] || COLORS.synthetic)[cl >= o ? 'up' : 'down'];
      bars.push({ time: t, open: o, high: +c.high, low: +c.low, close: cl, color: col, borderColor: col, wickColor: col });
      vols.push({ time: t, value: +c.volume, color: col + '88' });
      counts[c.source] = (counts[c.source] || 0) + 1;
      if (prev !== null && prev !== c.source) {
        marks.push(c.source === 'index'
          ? { time: t, position: 'aboveBar', color: '#26a69a', shape: 'arrowDown', text: 'recording' }
          : { time: t, position: 'aboveBar', color: '#f2b84b', shape: 'arrowDown', text: 'gap' });
      }
      prev = c.source;
    }
    state.candleSeries.setData(bars);
    state.volumeSeries.setData(vols);
    state.markers.setMarkers(marks);
    if (key !== state.chartKey) {
      state.chart.timeScale().fitContent();
      state.chartKey = key;
    }
    window.ccDashboard.candles = cs;
    const el = $('chart');
    el.dataset.exchange = ex.id;
    el.dataset.symbol = symbol;
    el.dataset.interval = interval;
    el.dataset.count = String(cs.length);
    el.dataset.first = cs.length ? String(cs[0].time) : '';
    el.dataset.last = cs.length ? String(cs[cs.length - 1].time) : '';
    el.dataset.lastClose = cs.length ? cs[cs.length - 1].close : '';
    el.dataset.start = String(data.start);
    el.dataset.end = String(data.end);
    const last = cs[cs.length - 1];
    $('chart-info').textContent = cs.length
      ? `${symbol} ${interval}: ${cs.length} candles, ${counts.index || 0} recorded and ${counts.synthetic || 0} synthetic; last close ${last.close}` +
        (last.closed ? '' : ' (in progress)')
      : 'no candles in this window';
    state.lastNow = data.now;
    $('clock').textContent = 'market time ' + iso(data.now);
  }

  function iso(ms) { return new Date(ms).toISOString().replace('.000Z', 'Z'); }

  // ---- coverage ----------------------------------------------------------

  async function loadCoverage() {
    const data = await api(exPath('coverage'));
    const box = $('coverage');
    if (!data.replay) {
      box.replaceChildren(text('p', state.ex.market
        ? 'Not replaying a cassette: every candle comes from the synthetic market.'
        : 'This mode answers from the real exchange: there is no cassette coverage to show.', 'muted'));
      return;
    }
    const series = (data.series || []).filter((s) => s.ranges.length);
    if (!series.length) { box.replaceChildren(text('p', 'The cassette holds no candle index.', 'muted')); return; }
    const rows = [];
    for (const s of series) {
      // Each series on its own time line, from its first recorded candle
      // to its last: runs solid, gaps striped. Click to chart it.
      const lo = s.ranges[0].start, hi = s.ranges[s.ranges.length - 1].end;
      const span = Math.max(hi - lo, 1);
      const row = document.createElement('div');
      row.className = 'cov-row';
      row.dataset.symbol = s.symbol;
      row.dataset.interval = s.interval;
      row.title = 'click to chart this recording, its gaps and what follows';
      row.append(text('span', s.symbol + ' ' + s.interval));
      const bar = document.createElement('div');
      bar.className = 'cov-bar';
      let count = 0;
      for (const r of s.ranges) {
        const run = document.createElement('div');
        run.className = 'run';
        run.style.left = ((r.start - lo) / span * 100) + '%';
        run.style.width = ((r.end - r.start) / span * 100) + '%';
        run.title = `${iso(r.start)} – ${iso(r.end)}: ${r.count} candles`;
        bar.append(run);
        count += r.count;
      }
      const gaps = s.ranges.length - 1;
      row.append(bar, text('span', `${count} candles, ${gaps} gap${gaps === 1 ? '' : 's'}`, 'muted'));
      row.append(text('span', `${iso(lo)} → ${iso(hi)}`, 'cov-when muted'));
      row.addEventListener('click', () => showRecording(s));
      rows.push(row);
    }
    box.replaceChildren(...rows);
  }

  // showRecording charts series s's recording, its gaps and what follows.
  function showRecording(s) {
    if (![...$('symbol').options].some((o) => o.value === s.symbol) ||
        ![...$('interval').options].some((o) => o.value === s.interval)) return;
    $('symbol').value = s.symbol;
    $('interval').value = s.interval;
    // From the first recorded candle (or as far back as one answer
    // reaches) to 60 candles past the last: recorded runs, the gaps
    // between them and the synthetic market after, each in its colour.
    const first = s.ranges[0], last = s.ranges[s.ranges.length - 1];
    const step = (last.end - last.start) / Math.max(last.count, 1);
    state.windowEnd = Math.round(last.end + 60 * step);
    state.windowStart = Math.round(Math.max(first.start, state.windowEnd - 1500 * step));
    $('latest').hidden = false;
    state.chartKey = '';
    refresh();
  }

  function text(tag, s, cls) {
    const el = document.createElement(tag);
    el.textContent = s;
    if (cls) el.className = cls;
    return el;
  }

  // ---- status, usage, requests -------------------------------------------

  async function loadStatus() {
    const s = await api(exPath('status'));
    const ws = s.ws || {}, f = s.faults || {}, rl = s.rate_limits || {};
    const items = [
      ['REST requests', s.requests],
      ['WS connections', ws.connections], ['WS subscriptions', ws.subscriptions],
      ['WS connections ever', ws.total_connections],
      ['WS messages sent / dropped / received', [ws.messages_sent, ws.messages_dropped, ws.messages_received].join(' / ')],
      ['faults injected', nonzero(f)],
      ['rate limits hit', nonzero(rl)],
    ];
    if (s.conns) items.push(['HTTP connections open', s.conns.open]);
    if (s.corrupt_reads) items.push(['damaged cassette reads', s.corrupt_reads]);
    if (s.overdue) items.push(['REST requests overdue (unanswered after 5 s)', s.overdue]);
    const dl = $('status');
    dl.replaceChildren();
    for (const [k, v] of items) dl.append(text('dt', k), text('dd', String(v ?? '')));
  }

  // nonzero lists the counters of o that are not zero, by name; a nested
  // object (the protocol faults: kind → route → count) by its inner keys'
  // totals. The counts of what merely passed (requests, ws_messages) are
  // not faults.
  function nonzero(o) {
    const out = [];
    const add = (k, v) => { if (v) out.push(k.replace(/_/g, ' ') + ' ' + v); };
    for (const [k, v] of Object.entries(o || {})) {
      if (k === 'requests' || k === 'ws_messages') continue;
      if (v && typeof v === 'object') {
        for (const [kind, byRoute] of Object.entries(v)) {
          add(kind, typeof byRoute === 'object' ? Object.values(byRoute || {}).reduce((a, n) => a + n, 0) : byRoute);
        }
        continue;
      }
      add(k, v);
    }
    return out.join(', ') || 'none';
  }

  // loadConnections lists the exchange's live WS connections, oldest
  // first: where each came from, since when, its streams and messages.
  async function loadConnections() {
    const data = await api(exPath('connections'));
    const conns = (data && data.connections) || [];
    const now = Date.now() + state.serverSkew;
    $('conns-note').textContent = conns.length
      ? `${conns.length} open, oldest first`
      : 'No WS connection open.';
    $('conns').tBodies[0].replaceChildren(...conns.map((c) => {
      const opened = Date.parse(c.opened);
      const subs = c.subscriptions || [];
      const row = tr([
        c.path + (c.upstream ? ' → ' + c.upstream : ''),
        c.client,
        Number.isNaN(opened) ? '' : `${iso(opened).slice(11, 19)} (${age(now - opened)})`,
        subs.length ? subs.join(', ') : (c.upstream ? 'relayed: not known' : 'none'),
        `${c.messages_sent} / ${c.messages_received}` + (c.messages_dropped ? ` (${c.messages_dropped} dropped)` : ''),
      ]);
      row.dataset.id = String(c.id);
      row.children[0].className = 'path';
      row.children[3].className = 'subs';
      return row;
    }));
  }

  // age says how long ms is: 42s, 3m 5s, 2h 10m.
  function age(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  }

  async function loadUsage() {
    const data = await api(exPath('limits/usage'));
    const rows = (data.clients || []).map((c) => tr([
      c.ip,
      (c.windows || []).map((w) => `${w.name || 'window'} ${w.used}/${w.limit} per ${w.period}`).join('; '),
      c.ws_conns, c.refused, c.bans, c.banned_until ? iso(Date.parse(c.banned_until)) : '',
    ], c.banned_until ? 'fail' : ''));
    $('usage').tBodies[0].replaceChildren(...(rows.length ? rows : [tr(['no client yet', '', '', '', '', ''])]));
  }

  async function loadRequests() {
    let data;
    try {
      data = await api(exPath('requests'));
    } catch (e) {
      if (e instanceof APIError && (e.status === 404 || e.status === 405)) {
        $('requests-note').textContent = 'Request log not available on this server.';
        $('requests').tBodies[0].replaceChildren();
        return;
      }
      throw e;
    }
    const all = (data && data.requests) || [];
    const mine = all.filter((r) => !r.exchange || r.exchange === state.ex.id);
    const last = mine.slice(-50).reverse();
    $('requests-note').textContent = last.length ? `newest first, ${last.length} of ${mine.length}` : 'No request yet.';
    $('requests').tBodies[0].replaceChildren(...last.map((r) => {
      const row = tr([
        r.time ? new Date(r.time).toISOString().slice(11, 23) : '', r.method,
        r.path + (r.query ? '?' + r.query : ''), r.status, r.source, r.fault || '',
        typeof r.duration_ms === 'number' ? r.duration_ms.toFixed(2) : '', r.client,
      ], (r.status >= 400 || r.fault) ? 'fail' : '');
      row.children[2].className = 'path';
      return row;
    }));
  }

  function tr(cells, cls) {
    const row = document.createElement('tr');
    if (cls) row.className = cls;
    for (const c of cells) row.append(text('td', String(c ?? '')));
    return row;
  }

  // ---- controls ----------------------------------------------------------

  async function loadConditions() {
    const c = await api(exPath('conditions'));
    $('cond-latency').value = c.latency;
    $('cond-jitter').value = c.jitter;
    $('cond-loss').value = c.loss;
    $('cond-loss-mode').value = c.loss_mode || 'drop';
    $('cond-error-rate').value = c.error_rate;
    $('conditions-json').value = JSON.stringify(c, null, 2);
    return c;
  }

  async function loadLimits() {
    const l = await api(exPath('limits'));
    $('lim-rest-limit').value = l.rest_limit;
    $('lim-rest-period').value = l.rest_period;
    $('lim-ws-limit').value = l.ws_limit;
    $('lim-ws-burst').value = l.ws_burst;
    $('lim-ws-conns').value = l.ws_conns_per_ip;
    $('lim-disabled').checked = !!l.disabled;
    $('limits-json').value = JSON.stringify(l, null, 2);
  }

  // change runs a control's request and shows the server's answer once the
  // controls hold what the server now has (done reloads them): shown
  // before, an edit made on seeing it was overwritten by the reload.
  async function change(what, fn, done) {
    const err = $(what + '-error'), ok = $(what + '-ok') || $('actions-result');
    err.textContent = '';
    ok.textContent = '';
    try {
      const msg = await fn();
      if (done) await done();
      ok.textContent = msg || 'applied';
      refresh();
    } catch (e) {
      if (e instanceof AuthError) return;
      err.textContent = e.message;
    }
  }

  function num(id) {
    const v = $(id).value.trim();
    return v === '' ? 0 : Number(v);
  }

  $('conditions-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    change('conditions', async () => {
      await api(exPath('conditions'), { method: 'PUT', json: {
        latency: $('cond-latency').value.trim() || '0s',
        jitter: $('cond-jitter').value.trim() || '0s',
        loss: num('cond-loss'),
        loss_mode: $('cond-loss-mode').value,
        error_rate: num('cond-error-rate'),
      } });
      return 'conditions applied';
    }, loadConditions);
  });

  $('conditions-json-apply').addEventListener('click', () => {
    change('conditions', async () => {
      let body;
      try { body = JSON.parse($('conditions-json').value); } catch (e) { throw new Error('not JSON: ' + e.message); }
      await api(exPath('conditions'), { method: 'PUT', json: body });
      return 'conditions applied';
    }, loadConditions);
  });

  $('outage-start').addEventListener('click', () => {
    change('conditions', async () => {
      const secs = Math.round(num('outage-seconds'));
      if (!(secs > 0)) throw new Error('outage: give a positive number of seconds');
      const cur = await api(exPath('conditions'));
      const at = new Date(Date.now() + state.serverSkew).toISOString();
      const outages = (cur.outages || []).concat([{ at, duration: secs + 's' }]);
      await api(exPath('conditions'), { method: 'PUT', json: { outages } });
      return `outage of ${secs}s started at ${at}`;
    }, loadConditions);
  });

  $('limits-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    change('limits', async () => {
      await api(exPath('limits'), { method: 'PUT', json: {
        rest_limit: num('lim-rest-limit'),
        rest_period: $('lim-rest-period').value.trim() || '0s',
        ws_limit: num('lim-ws-limit'),
        ws_burst: num('lim-ws-burst'),
        ws_conns_per_ip: num('lim-ws-conns'),
        disabled: $('lim-disabled').checked,
      } });
      return 'limits applied';
    }, loadLimits);
  });

  $('limits-json-apply').addEventListener('click', () => {
    change('limits', async () => {
      let body;
      try { body = JSON.parse($('limits-json').value); } catch (e) { throw new Error('not JSON: ' + e.message); }
      await api(exPath('limits'), { method: 'PUT', json: body });
      return 'limits applied';
    }, loadLimits);
  });

  $('reset').addEventListener('click', () => {
    change('actions', async () => {
      await api(exPath('reset'), { method: 'POST' });
      return 'counters, usage and bans reset';
    });
  });

  $('disconnect').addEventListener('click', () => {
    change('actions', async () => {
      const r = await api(exPath('disconnect'), { method: 'POST' });
      return `closed ${r.closed} WS connection(s)`;
    });
  });

  $('latest').addEventListener('click', () => {
    state.windowEnd = 0;
    $('latest').hidden = true;
    state.chartKey = '';
    refresh();
  });

  $('exchange').addEventListener('change', () => { pickExchange().catch(report); });
  $('symbol').addEventListener('change', () => { state.chartKey = ''; refresh(); });
  $('interval').addEventListener('change', () => { state.chartKey = ''; refresh(); });

  function report(e) { if (!(e instanceof AuthError)) setState('error: ' + e.message); }

  start().catch(report);
})();
