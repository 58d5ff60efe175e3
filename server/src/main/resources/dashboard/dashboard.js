/*
 * Toolformer dashboard: one snapshot from GET api/dashboard?range=…, then live batches from the
 * server-sent event stream api/dashboard/events, merged in place (latest value per key for the
 * window/health panels, appended transitions for alerts and incidents). No framework, no build step;
 * Chart.js 4 comes from its WebJar.
 *
 * Loaded without `defer` in <head>: it sets the theme before first paint and starts the snapshot
 * request at once; everything touching the page waits for DOMContentLoaded (which runs after the
 * deferred Chart.js script).
 */
(() => {
  'use strict';

  // ---------------------------------------------------------------- constants

  const RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 };
  const RANGE_TEXT = { '15m': 'last 15 minutes', '1h': 'last 1 hour', '6h': 'last 6 hours', '24h': 'last 24 hours' };
  const DEFAULT_RANGE = '1h';
  const THEME_KEY = 'toolformer.dashboard.theme';
  const MINUTE = 60_000;
  const HOUR = 3_600_000;
  const ERROR_THRESHOLD_PCT = 1;
  const LATENCY_SLO_MS = 2000;
  const VARIANCE_LIMIT = 0.10;
  const MAX_RECENT_ALERTS = 50;
  const MAX_TIMELINE = 200;
  const LATEST_PANELS = ['slo', 'burn_rates', 'cost', 'speculation', 'health'];
  const TRANSITION_PANELS = ['alerts', 'incidents'];
  const BURN_THRESHOLDS = [
    { value: 14.4, label: '14.4× page (1h & 5m)', level: 'crit' },
    { value: 6, label: '6× page (6h & 30m)', level: 'crit' },
    { value: 3, label: '3× ticket (1d & 2h)', level: 'warn' },
    { value: 1, label: '1× ticket (3d & 6h)', level: 'warn' },
  ];
  const STATUS_SERIES = [
    { field: 'success', label: 'Success', color: 'ok' },
    { field: 'errors', label: 'Errors', color: 'crit' },
    { field: 'timeouts', label: 'Timeouts', color: 'warn' },
    { field: 'unavailable', label: 'Unavailable (not served)', color: 'unserved' },
    { field: 'rejected', label: 'Rejected (client)', color: 'purple' },
    { field: 'cancelled', label: 'Cancelled', color: 'neutral' },
  ];
  const ALERT_SYMBOL = { FIRING: '▲', PENDING: '◔', RESOLVED: '✓' };
  const ALERT_LEVEL = { FIRING: 'crit', PENDING: 'warn', RESOLVED: 'ok' };
  const OUTCOME_LEVEL = { EXECUTED: 'ok', SKIPPED_COOLDOWN: 'neutral', SKIPPED_RATE_LIMIT: 'warn', FAILED: 'crit' };
  const OUTCOME_SYMBOL = { EXECUTED: '✓', SKIPPED_COOLDOWN: '↷', SKIPPED_RATE_LIMIT: '↷', FAILED: '✖' };

  // ---------------------------------------------------------------- theme (before first paint)

  const root = document.documentElement;
  const darkQuery = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  function storedTheme() {
    try {
      const t = window.localStorage.getItem(THEME_KEY);
      return t === 'dark' || t === 'light' ? t : null;
    } catch (e) {
      return null;
    }
  }

  root.dataset.theme = storedTheme() || (darkQuery && darkQuery.matches ? 'dark' : 'light');

  // ---------------------------------------------------------------- state

  let range = initialRange();
  const store = {
    loaded: false,
    rangeMs: RANGES[range],
    clockOffset: 0, // server clock - browser clock, ms
    latest: Object.fromEntries(LATEST_PANELS.map(p => [p, new Map()])),
    alerts: [],
    incidents: [],
    seen: new Set(),
    seq: 0,
  };
  let loadToken = 0;
  let loading = false;
  let replayBuffer = [];
  let renderTimer = 0;
  let dirty = false;
  let lastUpdate = 0;
  let needsResync = false;
  let pal = null;
  const charts = {}; // id -> Chart
  const sloCards = new Map(); // slo name -> { el, chart, refs }
  const lastSignature = {};
  const el = {};

  // Start the request now, in parallel with Chart.js and the rest of the page.
  let pendingSnapshot = fetchSnapshot(range);
  pendingSnapshot.catch(() => { /* reported when init() awaits it */ });
  loading = true;

  function initialRange() {
    try {
      const r = new URLSearchParams(window.location.search).get('range');
      if (r && RANGES[r]) return r;
    } catch (e) { /* old browser: fall through */ }
    return DEFAULT_RANGE;
  }

  function fetchSnapshot(r) {
    return fetch('api/dashboard?range=' + encodeURIComponent(r), {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    }).then(resp => {
      if (!resp.ok) throw new Error('HTTP ' + resp.status);
      return resp.json();
    });
  }

  // ---------------------------------------------------------------- helpers

  const serverNow = () => Date.now() + store.clockOffset;

  /** Record timestamps are ISO-8601 strings in the API; accept epoch ms too. */
  function ts(v) {
    if (v == null) return NaN;
    if (typeof v === 'number') return v;
    const n = Date.parse(v);
    return Number.isFinite(n) ? n : NaN;
  }

  const num = v => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);
  const pad = n => String(n).padStart(2, '0');

  function hhmm(t) {
    const d = new Date(t);
    return pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function hhmmss(t) {
    const d = new Date(t);
    return hhmm(t) + ':' + pad(d.getSeconds());
  }

  function dateTime(t) {
    if (!Number.isFinite(t)) return '–';
    const d = new Date(t);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hhmmss(t);
  }

  /** HH:MM:SS today, "Mon DD HH:MM" otherwise. */
  function shortTime(t) {
    if (!Number.isFinite(t)) return '–';
    const d = new Date(t);
    const now = new Date(serverNow());
    if (d.toDateString() === now.toDateString()) return hhmmss(t);
    return d.toLocaleDateString('en-GB', { day: '2-digit', month: 'short' }) + ' ' + hhmm(t);
  }

  function ago(t) {
    if (!Number.isFinite(t)) return '';
    const s = Math.max(0, Math.round((serverNow() - t) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min ago';
    return Math.floor(s / 86400) + ' d ago';
  }

  /** A compact number: integers as they are, others to 4 significant digits. */
  function fmtNum(v) {
    if (v == null || !Number.isFinite(Number(v))) return '–';
    const n = Number(v);
    if (Number.isInteger(n)) return String(n);
    const a = Math.abs(n);
    if (a >= 1000) return n.toFixed(0);
    return String(Number(n.toPrecision(4)));
  }

  /**
   * x to `digits` decimals, rounding half up on its shortest decimal form, as Java's
   * String.format("%.2f") does (toFixed rounds the binary value: 1.005 would give "1.00").
   */
  function fixed(x, digits) {
    const n = num(x);
    const shifted = Number(Math.round(Number(Math.abs(n) + 'e' + digits)) + 'e-' + digits);
    return Number.isFinite(shifted) ? (n < 0 && shifted !== 0 ? '-' : '') + shifted.toFixed(digits) : n.toFixed(digits);
  }

  const fmtUsd = (v, digits) => '$' + fixed(v, digits);

  function fmtPct(ratio, digits) {
    return (num(ratio) * 100).toFixed(digits) + ' %';
  }

  /** "99.9 %" from 0.999, without trailing zeros. */
  function fmtObjective(ratio) {
    return String(Number((num(ratio) * 100).toFixed(4))) + ' %';
  }

  function fmtDuration(ms) {
    const d = ms / 86_400_000;
    if (d >= 1 && Number.isInteger(d)) return d + ' d';
    const h = ms / HOUR;
    if (h >= 1 && Number.isInteger(h)) return h + ' h';
    return Math.round(ms / MINUTE) + ' min';
  }

  /** Builds an element: h('td', {class: 'num'}, 'text', child, …). */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'scope' ||
            k === 'colspan' || k === 'datetime' || k === 'title' || k === 'id') node.setAttribute(k, v === true ? '' : String(v));
        else node[k] = v;
      }
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /** A state badge: symbol (hidden from screen readers) + the state's text. */
  function badge(text, level, symbol, extraClass) {
    return h('span', { class: 'badge ' + (level || '') + (extraClass ? ' ' + extraClass : '') },
      symbol ? h('span', { class: 'sym', 'aria-hidden': 'true' }, symbol) : null,
      h('span', { class: 'badge-text' }, text));
  }

  function timeEl(t, text) {
    return h('time', { datetime: Number.isFinite(t) ? new Date(t).toISOString() : null, title: dateTime(t) }, text);
  }

  function labelList(map) {
    const entries = Object.entries(map || {});
    if (!entries.length) return h('span', { class: 'muted' }, '–');
    return h('span', { class: 'labels' }, entries.map(([k, v]) => h('code', null, k + '=' + v)));
  }

  /** Re-renders a region only when its model changed, so selections and hovers survive batches. */
  function changed(region, model) {
    const sig = JSON.stringify(model);
    if (lastSignature[region] === sig) return false;
    lastSignature[region] = sig;
    return true;
  }

  function cssVar(name) {
    return getComputedStyle(root).getPropertyValue(name).trim();
  }

  function readPalette() {
    const p = {};
    for (const n of ['text', 'muted', 'faint', 'grid', 'border', 'panel', 'ok', 'warn', 'crit', 'info', 'purple', 'unserved', 'neutral']) {
      p[n] = cssVar('--' + n);
    }
    p.series = [];
    for (let i = 1; i <= 10; i++) p.series.push(cssVar('--series-' + i));
    return p;
  }

  function alpha(color, a) {
    const m = /^#([0-9a-f]{6})$/i.exec(color || '');
    if (!m) return color;
    const n = parseInt(m[1], 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }

  /** A stable colour per series name, so a tool keeps its colour across batches and charts. */
  const seriesSlots = new Map();
  function seriesColor(name) {
    if (!seriesSlots.has(name)) seriesSlots.set(name, seriesSlots.size);
    return pal.series[seriesSlots.get(name) % pal.series.length];
  }

  // ---------------------------------------------------------------- data merge

  function resetStore(snapshot) {
    store.latest = Object.fromEntries(LATEST_PANELS.map(p => [p, new Map()]));
    store.alerts = [];
    store.incidents = [];
    store.seen = new Set();
    store.rangeMs = num(snapshot.range_ms) || RANGES[range];
    if (Number.isFinite(snapshot.now)) store.clockOffset = snapshot.now - Date.now();
  }

  function transitionId(item) {
    const v = item.value || {};
    return [item.panel, item.key, item.timestamp, v.state, v.event_time, v.action, v.executed_at, v.outcome].join('|');
  }

  function ingest(item) {
    if (!item || !item.panel || !item.value) return;
    const map = store.latest[item.panel];
    if (map) {
      const existing = map.get(item.key);
      // A batch queued before the snapshot was taken must not overwrite a newer value.
      if (!existing || num(item.timestamp) >= num(existing.timestamp)) map.set(item.key, item);
      return;
    }
    if (!TRANSITION_PANELS.includes(item.panel)) return;
    const id = transitionId(item);
    if (store.seen.has(id)) return;
    store.seen.add(id);
    item.seq = ++store.seq;
    store[item.panel].push(item);
  }

  function applySnapshot(snapshot) {
    resetStore(snapshot);
    for (const panel of LATEST_PANELS.concat(TRANSITION_PANELS)) {
      for (const item of snapshot[panel] || []) ingest(item);
    }
    for (const item of replayBuffer) ingest(item);
    replayBuffer = [];
    store.loaded = true;
  }

  /** Drops what slid out of the range, by the same rule as the server (Kafka record time). */
  function prune() {
    const cutoff = serverNow() - store.rangeMs;
    for (const panel of LATEST_PANELS) {
      if (panel === 'health') continue; // executors stay listed whatever the range, like the API
      for (const [key, item] of store.latest[panel]) {
        if (num(item.timestamp) < cutoff) store.latest[panel].delete(key);
      }
    }
    for (const panel of TRANSITION_PANELS) {
      const before = store[panel].length;
      store[panel] = store[panel].filter(i => num(i.timestamp) >= cutoff);
      if (store[panel].length !== before) {
        store.seen = new Set(store.alerts.concat(store.incidents).map(transitionId));
      }
    }
  }

  // ---------------------------------------------------------------- derived model

  function values(panel) {
    return Array.from(store.latest[panel].values(), i => i.value);
  }

  /** Consecutive bucket starts from the first data point (or the range start) up to now. */
  function timeAxis(starts, step) {
    const now = serverNow();
    const finite = starts.filter(Number.isFinite);
    if (!finite.length) return { times: [], index: () => -1 };
    const rangeStart = Math.floor((now - store.rangeMs) / step) * step;
    let first = Math.floor(Math.min(...finite) / step) * step;
    first = Math.max(first, rangeStart);
    let last = Math.max(Math.floor(Math.max(...finite) / step) * step, Math.floor(now / step) * step);
    const cap = Math.ceil(store.rangeMs / step) + 2;
    if ((last - first) / step > cap) first = last - cap * step;
    const times = [];
    for (let t = first; t <= last; t += step) times.push(t);
    return {
      times,
      index: t => {
        const i = Math.round((Math.floor(t / step) * step - first) / step);
        return i >= 0 && i < times.length ? i : -1;
      },
    };
  }

  function derive() {
    const slo = values('slo');
    const global = slo.filter(v => v.tool === '*' && v.provider === '*');
    const byTool = slo.filter(v => v.tool !== '*');
    const spec = values('speculation');
    const cost = values('cost');
    const health = values('health');
    const minuteAxis = timeAxis(global.concat(byTool, spec).map(v => ts(v.window_start)), MINUTE);

    // Tiles.
    // The error rate's denominator is the eligible calls: client mistakes (rejected) and cancellations are not
    // failures of the service; calls we could not serve (unavailable) are.
    let requests = 0, eligible = 0, bad = 0, latestGlobal = null;
    for (const v of global) {
      requests += num(v.requests);
      eligible += num(v.requests) - num(v.rejected) - num(v.cancelled);
      bad += num(v.errors) + num(v.timeouts) + num(v.unavailable);
      if (!latestGlobal || ts(v.window_start) > ts(latestGlobal.window_start)) latestGlobal = v;
    }
    const cost1m = cost.filter(v => v.window_size === '1m');
    const cost1h = cost.filter(v => v.window_size === '1h');
    const costSum = cost1m.reduce((s, v) => s + num(v.cost_usd), 0);
    const up = health.filter(v => v.state === 'UP').length;
    const alerts = deriveAlerts();

    return {
      minuteAxis, global, byTool, spec, cost1h, health, alerts,
      tiles: { requests, eligible, bad, latestGlobal, costSum, up, executors: health.length },
      incidents: store.incidents.slice().sort((a, b) =>
        (ts(b.value.executed_at) - ts(a.value.executed_at)) || (b.seq - a.seq)),
      burn: values('burn_rates').sort((a, b) => String(a.slo).localeCompare(String(b.slo))),
    };
  }

  function deriveAlerts() {
    const ordered = store.alerts.slice().sort((a, b) =>
      (ts(a.value.event_time) - ts(b.value.event_time)) || (a.seq - b.seq));
    const latest = new Map();
    for (const item of ordered) latest.set(item.value.fingerprint || item.key, item.value);
    const active = [...latest.values()].filter(v => v.state === 'FIRING' || v.state === 'PENDING');
    active.sort((a, b) => (a.state === b.state ? 0 : a.state === 'FIRING' ? -1 : 1) ||
      (ts(b.active_since) - ts(a.active_since)));
    const firing = active.filter(v => v.state === 'FIRING').length;
    const recent = ordered.slice(-MAX_RECENT_ALERTS).reverse().map(i => i.value);
    return { active, recent, firing, pending: active.length - firing };
  }

  // ---------------------------------------------------------------- charts

  const thresholdPlugin = {
    id: 'tfThresholds',
    afterDatasetsDraw(chart) {
      const lines = chart.$thresholds;
      const y = chart.scales && chart.scales.y;
      if (!lines || !lines.length || !y) return;
      const { ctx, chartArea: { left, right, top, bottom } } = chart;
      ctx.save();
      ctx.font = '600 10.5px ' + (cssVar('--font') || 'sans-serif');
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      for (const line of lines) {
        const py = y.getPixelForValue(line.value);
        if (!Number.isFinite(py) || py < top - 0.5 || py > bottom + 0.5) continue;
        ctx.strokeStyle = line.color;
        ctx.lineWidth = 1.25;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(left, py);
        ctx.lineTo(right, py);
        ctx.stroke();
        if (line.label) {
          ctx.setLineDash([]);
          const w = ctx.measureText(line.label).width;
          ctx.fillStyle = alpha(pal.panel, 0.85) || pal.panel;
          ctx.fillRect(right - w - 6, py - 13, w + 4, 12);
          ctx.fillStyle = line.color;
          ctx.fillText(line.label, right - 4, py - 1.5);
        }
      }
      ctx.restore();
    },
  };

  function baseOptions({ xTitle, yTitle, stacked, yTick, tooltipValue, suggestedMax, max }) {
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      normalized: true,
      interaction: { mode: 'index', intersect: false },
      elements: {
        point: { radius: 0, hoverRadius: 3, hitRadius: 4 },
        line: { borderWidth: 1.5, tension: 0 },
        bar: { borderWidth: 0 },
      },
      layout: { padding: { top: 4, right: 4 } },
      plugins: {
        legend: {
          position: 'bottom',
          labels: { boxWidth: 10, boxHeight: 10, padding: 8, font: { size: 11 } },
        },
        tooltip: {
          callbacks: {
            title: items => {
              const item = items[0];
              if (!item) return '';
              const t = item.chart.$times && item.chart.$times[item.dataIndex];
              return t != null ? dateTime(t) : item.label;
            },
            label: ctx => (ctx.parsed.y == null ? null : ctx.dataset.label + ': ' + tooltipValue(ctx.parsed.y)),
          },
        },
      },
      scales: {
        x: {
          stacked: !!stacked,
          title: { display: true, text: xTitle, font: { size: 11 } },
          grid: { display: false },
          ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 14, font: { size: 10.5 } },
        },
        y: {
          stacked: !!stacked,
          beginAtZero: true,
          suggestedMax,
          max,
          title: { display: true, text: yTitle, font: { size: 11 } },
          ticks: { callback: yTick, font: { size: 10.5 }, maxTicksLimit: 7 },
          border: { display: false },
        },
      },
    };
  }

  function makeChart(canvas, type, opts) {
    if (!canvas || !window.Chart) return null;
    const chart = new window.Chart(canvas, { type, data: { labels: [], datasets: [] }, options: baseOptions(opts) });
    chart.$times = [];
    chart.$thresholds = [];
    styleChart(chart);
    return chart;
  }

  function styleChart(chart) {
    const o = chart.options;
    o.color = pal.muted;
    o.plugins.legend.labels.color = pal.text;
    for (const axis of Object.values(o.scales)) {
      axis.ticks.color = pal.muted;
      axis.title.color = pal.muted;
      axis.grid.color = pal.grid;
      if (axis.border) axis.border.color = pal.grid;
    }
    o.plugins.tooltip.backgroundColor = alpha(cssVar('--panel-head'), 0.97);
    o.plugins.tooltip.titleColor = pal.text;
    o.plugins.tooltip.bodyColor = pal.text;
    o.plugins.tooltip.borderColor = pal.border;
    o.plugins.tooltip.borderWidth = 1;
  }

  function createCharts() {
    if (!window.Chart) {
      document.querySelectorAll('.chart-box .empty').forEach(p => {
        p.textContent = 'Charts unavailable: Chart.js did not load';
        p.hidden = false;
      });
      return;
    }
    window.Chart.defaults.font.family = cssVar('--font') || window.Chart.defaults.font.family;
    window.Chart.register(thresholdPlugin);
    const time = 'time (local, HH:MM)';
    charts.throughput = makeChart(document.getElementById('chart-throughput'), 'bar', {
      xTitle: time, yTitle: 'requests / min', stacked: true,
      yTick: v => fmtNum(v), tooltipValue: v => fmtNum(v) + ' / min',
    });
    charts.errorRate = makeChart(document.getElementById('chart-error-rate'), 'line', {
      xTitle: time, yTitle: '%', suggestedMax: ERROR_THRESHOLD_PCT * 1.25,
      yTick: v => fmtNum(v) + ' %', tooltipValue: v => v.toFixed(2) + ' %',
    });
    charts.latency = makeChart(document.getElementById('chart-latency'), 'line', {
      xTitle: time, yTitle: 'ms', suggestedMax: LATENCY_SLO_MS * 1.1,
      yTick: v => fmtNum(v), tooltipValue: v => Math.round(v) + ' ms',
    });
    charts.cost = makeChart(document.getElementById('chart-cost'), 'bar', {
      xTitle: 'hour (local, HH:MM)', yTitle: 'USD', stacked: true,
      yTick: v => '$' + fmtNum(v), tooltipValue: v => fmtUsd(v, 4),
    });
    charts.speculation = makeChart(document.getElementById('chart-speculation'), 'line', {
      xTitle: time, yTitle: '%', max: 100,
      yTick: v => v + ' %', tooltipValue: v => v.toFixed(1) + ' %',
    });
  }

  /** Replaces a chart's datasets in place, reusing dataset objects by id so Chart.js keeps its state. */
  function setDatasets(chart, labels, times, specs) {
    const byId = new Map(chart.data.datasets.map(d => [d.$id, d]));
    chart.data.labels = labels;
    chart.$times = times;
    chart.data.datasets = specs.map(spec => Object.assign(byId.get(spec.$id) || {}, spec));
    chart.update('none');
  }

  function setEmpty(canvasId, empty) {
    const canvas = document.getElementById(canvasId);
    const note = canvas && canvas.parentElement.querySelector('.empty');
    if (note && window.Chart) note.hidden = !empty;
  }

  function lineStyle(color, extra) {
    return Object.assign({
      type: 'line', borderColor: color, backgroundColor: color, borderWidth: 1.5, pointRadius: 0,
      spanGaps: false, fill: false,
    }, extra);
  }

  function renderThroughput(m) {
    const chart = charts.throughput;
    if (!chart) return;
    const { times, index } = m.minuteAxis;
    const series = STATUS_SERIES.map(s => ({ s, data: new Array(times.length).fill(null) }));
    for (const v of m.global) {
      const i = index(ts(v.window_start));
      if (i < 0) continue;
      for (const x of series) x.data[i] = num(v[x.s.field]);
    }
    setDatasets(chart, times.map(hhmm), times, series.map(({ s, data }) => ({
      $id: s.field, label: s.label, data, backgroundColor: pal[s.color], borderColor: pal[s.color],
      barPercentage: 1, categoryPercentage: 0.92,
    })));
    setEmpty('chart-throughput', !m.global.length);
  }

  function renderErrorRate(m) {
    const chart = charts.errorRate;
    if (!chart) return;
    const { times, index } = m.minuteAxis;
    const data = new Array(times.length).fill(null);
    for (const v of m.global) {
      const i = index(ts(v.window_start));
      if (i >= 0) data[i] = num(v.error_rate) * 100;
    }
    chart.$thresholds = [{ value: ERROR_THRESHOLD_PCT, label: '1 % alert threshold', color: pal.crit }];
    setDatasets(chart, times.map(hhmm), times, [
      lineStyle(pal.info, {
        $id: 'error-rate', label: 'Error rate', data, fill: 'origin', backgroundColor: alpha(pal.info, 0.15),
      }),
    ]);
    setEmpty('chart-error-rate', !m.global.length);
  }

  function renderLatency(m) {
    const chart = charts.latency;
    if (!chart) return;
    const { times, index } = m.minuteAxis;
    const blank = () => new Array(times.length).fill(null);
    const p50 = blank(), p95 = blank(), p99 = blank();
    for (const v of m.global) {
      const i = index(ts(v.window_start));
      if (i < 0) continue;
      p50[i] = num(v.latency_p50_ms);
      p95[i] = num(v.latency_p95_ms);
      p99[i] = num(v.latency_p99_ms);
    }
    // No tool-only window exists: a tool's p95 is the worst p95 over its providers, per minute.
    const perTool = new Map();
    for (const v of m.byTool) {
      const i = index(ts(v.window_start));
      if (i < 0 || num(v.requests) === 0) continue;
      if (!perTool.has(v.tool)) perTool.set(v.tool, blank());
      const arr = perTool.get(v.tool);
      arr[i] = Math.max(arr[i] == null ? -Infinity : arr[i], num(v.latency_p95_ms));
    }
    chart.$thresholds = [{ value: LATENCY_SLO_MS, label: 'SLO 2000 ms', color: pal.crit }];
    const specs = [
      lineStyle(pal.ok, { $id: 'p50', label: 'p50', data: p50, borderWidth: 2 }),
      lineStyle(pal.warn, { $id: 'p95', label: 'p95', data: p95, borderWidth: 2 }),
      lineStyle(pal.crit, { $id: 'p99', label: 'p99', data: p99, borderWidth: 2 }),
    ];
    for (const tool of [...perTool.keys()].sort()) {
      const c = seriesColor('tool:' + tool);
      specs.push(lineStyle(alpha(c, 0.8), { $id: 'tool:' + tool, label: 'p95 ' + tool, data: perTool.get(tool), borderWidth: 1 }));
    }
    setDatasets(chart, times.map(hhmm), times, specs);
    setEmpty('chart-latency', !m.global.length && !perTool.size);
  }

  function renderCostChart(m) {
    const chart = charts.cost;
    if (!chart) return;
    const { times, index } = timeAxis(m.cost1h.map(v => ts(v.window_start)), HOUR);
    const byModel = new Map();
    for (const v of m.cost1h) {
      const i = index(ts(v.window_start));
      if (i < 0) continue;
      const name = v.provider + ' / ' + v.model;
      if (!byModel.has(name)) byModel.set(name, new Array(times.length).fill(null));
      byModel.get(name)[i] = (byModel.get(name)[i] || 0) + num(v.cost_usd);
    }
    const names = [...byModel.keys()].sort();
    setDatasets(chart, times.map(hhmm), times, names.map(name => {
      const c = seriesColor('model:' + name);
      return { $id: name, label: name, data: byModel.get(name), backgroundColor: c, borderColor: c, barPercentage: 0.9, categoryPercentage: 0.9 };
    }));
    setEmpty('chart-cost', !names.length);
  }

  function renderSpeculationChart(m) {
    const chart = charts.speculation;
    if (!chart) return;
    const { times, index } = m.minuteAxis;
    const byTool = new Map();
    for (const v of m.spec) {
      const i = index(ts(v.window_start));
      // accuracy is 0 by definition when nothing resolved; plotting that as 0 % would mislead.
      if (i < 0 || num(v.hits) + num(v.misses) === 0) continue;
      if (!byTool.has(v.tool)) byTool.set(v.tool, new Array(times.length).fill(null));
      byTool.get(v.tool)[i] = num(v.accuracy) * 100;
    }
    const tools = [...byTool.keys()].sort((a, b) => (a === '*' ? -1 : b === '*' ? 1 : a.localeCompare(b)));
    setDatasets(chart, times.map(hhmm), times, tools.map(tool => tool === '*'
      ? lineStyle(pal.text, { $id: '*', label: 'all tools', data: byTool.get(tool), borderWidth: 2 })
      : lineStyle(seriesColor('tool:' + tool), { $id: tool, label: tool, data: byTool.get(tool) })));
    setEmpty('chart-speculation', !tools.length);
  }

  // ---------------------------------------------------------------- tiles

  function setTile(id, metric, text, status, statusBadge, note) {
    const tile = document.getElementById(id);
    if (!tile) return;
    const value = tile.querySelector('[data-metric="' + metric + '"]');
    if (value.textContent !== text) value.textContent = text;
    tile.dataset.status = status || 'none';
    const slot = tile.querySelector('.tile-status');
    slot.replaceChildren(...(statusBadge ? [statusBadge] : []));
    if (note != null) tile.querySelector('.tile-note').textContent = note;
  }

  function renderTiles(m) {
    const t = m.tiles;
    setTile('tile-requests', 'requests', String(t.requests), t.requests ? 'info' : 'none', null,
      m.global.length ? m.global.length + ' one-minute windows' : 'no windows yet');

    if (t.eligible > 0) {
      const pct = (100 * t.bad) / t.eligible; // same operation order as the IT's 100.0 * bad / eligible
      const over = pct > ERROR_THRESHOLD_PCT;
      setTile('tile-error-rate', 'error-rate', fixed(pct, 2) + ' %', over ? 'crit' : 'ok',
        over ? badge('ABOVE 1 %', 'crit', '▲') : badge('OK', 'ok', '✓'), t.bad + ' failed');
    } else {
      setTile('tile-error-rate', 'error-rate', '–', 'none', null,
        '(errors + timeouts + unavailable) / (requests − rejected − cancelled)');
    }

    if (t.latestGlobal) {
      const p95 = Math.round(num(t.latestGlobal.latency_p95_ms));
      const over = p95 > LATENCY_SLO_MS;
      setTile('tile-p95', 'p95', p95 + ' ms', over ? 'crit' : 'ok',
        over ? badge('ABOVE SLO', 'crit', '▲') : badge('OK', 'ok', '✓'),
        'minute ' + hhmm(ts(t.latestGlobal.window_start)) + ' · SLO 2000 ms');
    } else {
      setTile('tile-p95', 'p95', '–', 'none', null, 'latest minute · SLO 2000 ms');
    }

    setTile('tile-cost', 'cost', fmtUsd(t.costSum, 4), t.costSum > 0 ? 'info' : 'none', null,
      'USD, per-minute windows');

    const down = t.executors - t.up;
    setTile('tile-executors', 'executors-up', String(t.up),
      !t.executors ? 'none' : down ? 'crit' : 'ok',
      !t.executors ? null : down ? badge(down + ' DOWN', 'crit', '✖') : badge('ALL UP', 'ok', '●'),
      'of ' + t.executors + ' executor' + (t.executors === 1 ? '' : 's'));

    const a = m.alerts;
    setTile('tile-alerts', 'alerts-firing', String(a.firing),
      a.firing ? 'crit' : a.pending ? 'warn' : 'ok',
      a.firing ? badge('FIRING', 'crit', '▲') : a.pending ? badge('PENDING', 'warn', '◔') : badge('NONE', 'ok', '✓'),
      a.pending + ' pending');
  }

  // ---------------------------------------------------------------- SLO cards

  function budgetLevel(remaining) {
    return remaining < 0 ? 'crit' : remaining < 0.25 ? 'warn' : 'ok';
  }

  function burnLevel(rate) {
    return rate >= 6 ? 'crit' : rate >= 1 ? 'warn' : '';
  }

  function createSloCard(name) {
    const refs = {
      objective: h('strong'),
      budgetValue: h('span', { class: 'budget-value' }),
      budgetState: h('span'),
      bar: h('span'),
      meta: h('span'),
      list: h('ul', { class: 'burn-list', 'aria-label': 'Burn rate per lookback window' }),
      canvas: h('canvas', { role: 'img', 'aria-label': 'Bar chart of the burn rate of SLO ' + name + ' per lookback window, in multiples of the budget rate, with page and ticket thresholds' }),
    };
    refs.barWrap = h('div', { class: 'budget-bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': 'Error budget remaining' }, refs.bar);
    const card = h('article', { class: 'slo-card', 'data-slo': name },
      h('div', null,
        h('h3', null, name),
        h('p', { class: 'slo-meta' }, 'Objective ', refs.objective, ' · ', refs.meta),
        h('div', { class: 'budget-label' }, h('span', null, 'Error budget remaining'), refs.budgetState),
        refs.budgetValue,
        refs.barWrap,
        refs.list),
      h('div', { class: 'slo-chart' }, refs.canvas));
    el.sloCards.append(card);
    const chart = makeChart(refs.canvas, 'bar', {
      xTitle: 'lookback window', yTitle: '× budget', suggestedMax: 15,
      yTick: v => fmtNum(v) + '×', tooltipValue: v => v.toFixed(2) + '× budget rate',
    });
    if (chart) chart.options.plugins.legend.display = false;
    const entry = { el: card, chart, refs };
    sloCards.set(name, entry);
    return entry;
  }

  function renderSlos(m) {
    el.sloEmpty.hidden = m.burn.length > 0;
    const names = new Set(m.burn.map(b => b.slo));
    for (const [name, entry] of sloCards) {
      if (!names.has(name)) {
        if (entry.chart) entry.chart.destroy();
        entry.el.remove();
        sloCards.delete(name);
      }
    }
    for (const b of m.burn) {
      const entry = sloCards.get(b.slo) || createSloCard(b.slo);
      const r = entry.refs;
      const remaining = num(b.budget_remaining);
      const level = budgetLevel(remaining);
      r.objective.textContent = fmtObjective(b.objective);
      r.meta.textContent = fmtDuration(num(b.budget_window_ms)) + ' budget · computed ' + shortTime(ts(b.computed_at));
      r.budgetValue.textContent = (remaining * 100).toFixed(1) + ' %';
      r.budgetState.replaceChildren(level === 'crit' ? badge('EXHAUSTED', 'crit', '✖')
        : level === 'warn' ? badge('LOW', 'warn', '▲') : badge('OK', 'ok', '✓'));
      r.barWrap.className = 'budget-bar ' + level;
      r.barWrap.setAttribute('aria-valuenow', (remaining * 100).toFixed(1));
      r.barWrap.setAttribute('aria-valuetext', (remaining * 100).toFixed(1) + ' % remaining');
      r.bar.style.width = Math.max(0, Math.min(100, remaining * 100)) + '%';

      const windows = (b.windows || []).slice().sort((x, y) => num(x.window_ms) - num(y.window_ms));
      if (changed('slo-list:' + b.slo, windows)) {
        r.list.replaceChildren(...windows.map(w => {
          const rate = num(w.burn_rate);
          const lvl = burnLevel(rate);
          return h('li', { class: lvl, title: w.bad + ' bad of ' + w.requests + ' requests (' + fmtPct(w.error_rate, 3) + ')' },
            w.window + ' ' + rate.toFixed(2) + '×' + (lvl === 'crit' ? ' ▲' : ''));
        }));
      }
      if (entry.chart) {
        entry.chart.$thresholds = BURN_THRESHOLDS.map(t => ({ value: t.value, label: t.label, color: pal[t.level] }));
        setDatasets(entry.chart, windows.map(w => w.window), null, [{
          $id: 'burn', label: 'Burn rate',
          data: windows.map(w => num(w.burn_rate)),
          backgroundColor: windows.map(w => alpha(pal[burnLevel(num(w.burn_rate)) || 'info'], 0.85)),
          borderColor: windows.map(w => pal[burnLevel(num(w.burn_rate)) || 'info']),
          borderWidth: 1, barPercentage: 0.7, categoryPercentage: 0.9,
        }]);
      }
    }
  }

  // ---------------------------------------------------------------- tables

  function emptyRow(cols, text) {
    return h('tr', { class: 'empty-row' }, h('td', { colspan: cols }, text));
  }

  function handlingBadges(v) {
    const out = [];
    if (v.silenced) out.push(badge('SILENCED', 'neutral', '⊘', 'outline'));
    if (v.acknowledged) out.push(badge('ACKNOWLEDGED', 'info', '✔', 'outline'));
    return out.length ? h('span', { class: 'labels' }, out) : h('span', { class: 'muted' }, '–');
  }

  function alertState(state) {
    return badge(state, ALERT_LEVEL[state] || 'neutral', ALERT_SYMBOL[state] || '•');
  }

  function renderAlerts(m) {
    const a = m.alerts;
    el.alertsSummary.textContent = a.firing + ' firing · ' + a.pending + ' pending · ' +
      store.alerts.length + ' transitions in range';
    // The "… ago" column ages too: redraw at least every 30 s.
    if (changed('alerts-active', [a.active, Math.floor(serverNow() / 30_000)])) {
      const tbody = el.alertsActive.tBodies[0];
      tbody.replaceChildren(...(a.active.length ? a.active.map(v =>
        h('tr', { 'data-fingerprint': v.fingerprint, 'data-state': v.state },
          h('td', null, alertState(v.state)),
          h('td', null, v.severity || '–'),
          h('td', null, h('strong', null, v.rule), v.annotations && v.annotations.summary
            ? h('span', { class: 'sub' }, v.annotations.summary) : null),
          h('td', null, labelList(v.labels)),
          h('td', { class: 'num' }, fmtNum(v.value)),
          h('td', { class: 'num' }, fmtNum(v.threshold)),
          h('td', { class: 'nowrap' }, timeEl(ts(v.active_since), shortTime(ts(v.active_since))),
            h('span', { class: 'sub' }, ago(ts(v.active_since)))),
          h('td', null, handlingBadges(v))))
        : [emptyRow(8, store.loaded ? 'No active alerts' : 'No data yet')]));
    }
    if (changed('alerts-recent', a.recent)) {
      const tbody = el.alertsRecent.tBodies[0];
      tbody.replaceChildren(...(a.recent.length ? a.recent.map(v =>
        h('tr', { 'data-transition': v.fingerprint, 'data-state': v.state },
          h('td', { class: 'nowrap' }, timeEl(ts(v.event_time), shortTime(ts(v.event_time)))),
          h('td', null, alertState(v.state)),
          h('td', null, v.rule),
          h('td', null, labelList(v.labels)),
          h('td', { class: 'num' }, fmtNum(v.value)),
          h('td', { class: 'num' }, fmtNum(v.threshold)),
          h('td', { class: 'nowrap' }, timeEl(ts(v.active_since), shortTime(ts(v.active_since)))),
          h('td', null, handlingBadges(v))))
        : [emptyRow(8, 'No alert transitions in range')]));
    }
  }

  function renderIncidents(m) {
    const list = m.incidents.slice(0, MAX_TIMELINE).map(i => i.value);
    if (!changed('incidents', [list, m.incidents.length])) return;
    const items = list.map(v => {
      const t = ts(v.executed_at);
      return h('li', { class: OUTCOME_LEVEL[v.outcome] || 'neutral', 'data-incident': v.incident_id },
        h('div', { class: 'tl-head' },
          timeEl(t, shortTime(t)),
          badge(v.outcome, OUTCOME_LEVEL[v.outcome] || 'neutral', OUTCOME_SYMBOL[v.outcome] || '•')),
        h('div', { class: 'tl-title' }, h('code', null, v.action), ' · ', v.rule),
        v.detail ? h('div', { class: 'tl-detail' }, v.detail) : null,
        v.parameters && Object.keys(v.parameters).length ? labelList(v.parameters) : null);
    });
    if (!items.length) items.push(h('li', { class: 'empty-inline' }, 'No incident actions in range'));
    if (m.incidents.length > MAX_TIMELINE) {
      items.push(h('li', { class: 'timeline-more' }, (m.incidents.length - MAX_TIMELINE) + ' older actions not shown'));
    }
    el.timeline.replaceChildren(...items);
    el.timeline.querySelectorAll('li > time').forEach(t => t.classList.add('tl-time'));
  }

  function renderCostTable(m) {
    const latest = new Map();
    for (const v of m.cost1h) {
      const name = v.provider + ' / ' + v.model;
      const cur = latest.get(name);
      if (!cur || ts(v.window_start) > ts(cur.window_start)) latest.set(name, v);
    }
    const rows = [...latest.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    if (!changed('cost-table', rows)) return;
    const table = el.costTable;
    table.tBodies[0].replaceChildren(...(rows.length ? rows.map(([name, v]) => {
      const variance = v.variance_ratio;
      const hasVar = variance != null && Number.isFinite(Number(variance));
      const over = hasVar && Math.abs(variance) > VARIANCE_LIMIT;
      const varText = hasVar ? (variance > 0 ? '+' : variance < 0 ? '−' : '') + Math.abs(variance * 100).toFixed(1) + ' %' : '–';
      const start = ts(v.window_start);
      return h('tr', { 'data-model': name },
        h('th', { scope: 'row', class: 'nowrap' },
          h('span', { 'aria-hidden': 'true', style: 'color:' + seriesColor('model:' + name) }, '■ '),
          h('span', null, v.provider), h('span', { class: 'sub' }, v.model)),
        h('td', { class: 'nowrap' }, timeEl(start, hhmm(start)), h('span', { class: 'sub' }, v.is_final ? 'closed' : 'open')),
        h('td', { class: 'num' }, String(num(v.requests))),
        h('td', { class: 'num' }, fmtUsd(v.cost_usd, 4)),
        h('td', { class: 'num' }, fmtUsd(v.cost_per_request_usd, 6)),
        h('td', { class: 'num', 'data-variance': hasVar ? String(variance) : '' }, varText,
          over ? h('span', { class: 'sub' }, badge('OVER 10 %', 'crit', variance > 0 ? '▲' : '▼')) : null));
    }) : [emptyRow(6, 'No hourly cost windows in range')]));
    const foot = table.tFoot;
    if (rows.length) {
      const reqs = rows.reduce((s, [, v]) => s + num(v.requests), 0);
      const usd = rows.reduce((s, [, v]) => s + num(v.cost_usd), 0);
      foot.replaceChildren(h('tr', null,
        h('th', { scope: 'row' }, 'Total'), h('td'),
        h('td', { class: 'num' }, String(reqs)),
        h('td', { class: 'num' }, fmtUsd(usd, 4)),
        h('td', { class: 'num' }, reqs ? fmtUsd(usd / reqs, 6) : '–'),
        h('td')));
    } else {
      foot.replaceChildren();
    }
  }

  function renderSpeculationStats(m) {
    // Prefer the all-tools windows; summing them with per-tool windows would count everything twice.
    const all = m.spec.filter(v => v.tool === '*');
    const src = all.length ? all : m.spec;
    let wasted = 0, hits = 0, misses = 0;
    for (const v of src) {
      wasted += num(v.wasted_cost_usd);
      hits += num(v.hits);
      misses += num(v.misses);
    }
    el.specWasted.textContent = src.length ? fmtUsd(wasted, 4) : '–';
    el.specAccuracy.textContent = hits + misses ? ((hits / (hits + misses)) * 100).toFixed(1) + ' %' : '–';
    el.specHits.textContent = src.length ? String(hits) : '–';
    el.specMisses.textContent = src.length ? String(misses) : '–';
  }

  function renderExecutors(m) {
    const rows = m.health.slice().sort((a, b) =>
      (a.state === b.state ? 0 : a.state === 'DOWN' ? -1 : 1) || String(a.executor_id).localeCompare(String(b.executor_id)));
    // LEFT: stopped cleanly (scale-down, rollout), which is not an outage.
    const down = rows.filter(v => v.state === 'DOWN').length;
    const left = rows.filter(v => v.state === 'LEFT').length;
    el.executorsSummary.textContent = rows.length
      ? (rows.length - down - left) + ' up · ' + down + ' down' + (left ? ' · ' + left + ' left' : '')
      : 'no heartbeats yet';
    const model = rows.map(v => [v, ago(ts(v.last_seen))]);
    if (!changed('executors', model)) return;
    const mib = b => num(b) / 1048576;
    el.executors.tBodies[0].replaceChildren(...(rows.length ? rows.map(v => {
      const isUp = v.state === 'UP';
      const used = mib(v.heap_used_bytes), max = mib(v.heap_max_bytes);
      const heapShare = max > 0 ? used / max : 0;
      const cpu = num(v.cpu_percent);
      const lastSeen = ts(v.last_seen);
      return h('tr', { 'data-executor': v.executor_id, 'data-state': v.state },
        h('th', { scope: 'row' }, h('code', null, v.executor_id)),
        h('td', null, isUp ? badge('UP', 'ok', '●') : v.state === 'LEFT' ? badge('LEFT', '', '○') : badge('DOWN', 'crit', '✖')),
        h('td', { class: 'nowrap' }, timeEl(lastSeen, shortTime(lastSeen)), h('span', { class: 'sub' }, ago(lastSeen))),
        h('td', { class: 'num' }, h('span', { class: 'bar-cell' },
          Math.round(used) + ' / ' + Math.round(max),
          h('span', { class: 'mini-bar ' + (heapShare > 0.9 ? 'crit' : heapShare > 0.75 ? 'warn' : ''), 'aria-hidden': 'true' },
            h('span', { style: 'width:' + Math.min(100, heapShare * 100).toFixed(0) + '%' })))),
        h('td', { class: 'num' }, h('span', { class: 'bar-cell' }, cpu.toFixed(1),
          h('span', { class: 'mini-bar ' + (cpu > 90 ? 'crit' : cpu > 75 ? 'warn' : ''), 'aria-hidden': 'true' },
            h('span', { style: 'width:' + Math.min(100, cpu).toFixed(0) + '%' })))),
        h('td', { class: 'num' }, String(num(v.in_flight))),
        h('td', { class: 'num' }, String(num(v.consumer_lag))),
        h('td', { class: 'nowrap' }, timeEl(ts(v.changed_at), shortTime(ts(v.changed_at)))));
    }) : [emptyRow(8, 'No executors have reported yet')]));
  }

  // ---------------------------------------------------------------- render loop

  function scheduleRender() {
    dirty = true;
    if (renderTimer || document.hidden) return;
    renderTimer = setTimeout(() => {
      renderTimer = 0;
      renderNow();
    }, 50);
  }

  function renderNow() {
    if (!store.loaded || !pal) return;
    dirty = false;
    const m = derive();
    const steps = [renderTiles, renderThroughput, renderErrorRate, renderLatency, renderSlos,
      renderAlerts, renderIncidents, renderCostChart, renderCostTable, renderSpeculationStats,
      renderSpeculationChart, renderExecutors];
    for (const step of steps) {
      try {
        step(m);
      } catch (err) {
        // One panel's bad record must not blank the rest of the page.
        console.error('dashboard: ' + step.name + ' failed', err);
      }
    }
    renderLastUpdate();
  }

  function markUpdated() {
    lastUpdate = Date.now();
  }

  function renderLastUpdate() {
    if (!lastUpdate) return;
    el.lastUpdate.textContent = hhmmss(lastUpdate);
    el.lastUpdate.setAttribute('datetime', new Date(lastUpdate).toISOString());
    el.lastUpdate.title = dateTime(lastUpdate);
  }

  // ---------------------------------------------------------------- loading and live updates

  async function loadSnapshot(pending) {
    const token = ++loadToken;
    loading = true;
    document.body.setAttribute('aria-busy', 'true');
    clearTimeout(loadSnapshot.retry);
    try {
      const snapshot = await (pending || fetchSnapshot(range));
      if (token !== loadToken) return;
      applySnapshot(snapshot);
      loading = false;
      markUpdated();
      for (const k of Object.keys(lastSignature)) delete lastSignature[k];
      renderNow();
      showBanner(null);
      document.body.dataset.ready = 'true';
    } catch (err) {
      if (token !== loadToken) return;
      showBanner('Could not load dashboard data (' + (err && err.message ? err.message : err) + '). Retrying in 5 s…');
      loadSnapshot.retry = setTimeout(() => loadSnapshot(), 5000);
    } finally {
      if (token === loadToken) document.body.removeAttribute('aria-busy');
    }
  }

  function showBanner(text) {
    el.banner.hidden = !text;
    el.banner.textContent = text || '';
  }

  function onBatch(data) {
    let items;
    try {
      items = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (!Array.isArray(items) || !items.length) return;
    // While a snapshot is on its way, keep the batch to replay on top of it.
    if (loading) {
      replayBuffer.push(...items);
      if (replayBuffer.length > 50_000) replayBuffer.splice(0, replayBuffer.length - 50_000);
    }
    if (!store.loaded) return;
    items.forEach(ingest);
    markUpdated();
    scheduleRender();
  }

  function setLive(state) {
    const text = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' }[state];
    const symbol = { connecting: '◌', live: '●', reconnecting: '⟳', offline: '✖' }[state];
    if (el.live.dataset.state === state) return; // unchanged: no repeated screen-reader announcement
    el.live.dataset.state = state;
    el.live.querySelector('.live-text').textContent = text;
    el.live.querySelector('.live-symbol').textContent = symbol;
    el.live.title = state === 'live' ? 'Receiving live updates from the server' : text;
  }

  function connect() {
    if (!('EventSource' in window)) {
      setLive('offline');
      return;
    }
    const source = new EventSource('api/dashboard/events');
    source.addEventListener('open', () => setLive('live'));
    source.addEventListener('hello', () => {
      setLive('live');
      // Batches sent while we were disconnected are gone: take a fresh snapshot.
      if (needsResync) {
        needsResync = false;
        loadSnapshot();
      }
    });
    source.addEventListener('batch', e => onBatch(e.data));
    source.addEventListener('error', () => {
      setLive('reconnecting');
      if (store.loaded) needsResync = true;
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 3000);
      }
    });
  }

  // ---------------------------------------------------------------- controls

  function updateThemeButton() {
    const dark = root.dataset.theme === 'dark';
    const btn = el.themeToggle;
    btn.querySelector('.theme-symbol').textContent = dark ? '☀' : '☾';
    btn.querySelector('.theme-text').textContent = dark ? 'Light' : 'Dark';
    btn.setAttribute('aria-label', dark ? 'Switch to light theme' : 'Switch to dark theme');
    btn.title = btn.getAttribute('aria-label');
  }

  function applyTheme(theme, persist) {
    root.dataset.theme = theme;
    if (persist) {
      try {
        window.localStorage.setItem(THEME_KEY, theme);
      } catch (e) { /* private mode: the choice lasts for this page only */ }
    }
    if (!el.themeToggle) return;
    updateThemeButton();
    restyle();
  }

  function restyle() {
    pal = readPalette();
    for (const chart of allCharts()) styleChart(chart);
    for (const k of Object.keys(lastSignature)) delete lastSignature[k];
    renderNow();
    for (const chart of allCharts()) chart.update('none');
  }

  function allCharts() {
    return Object.values(charts).concat([...sloCards.values()].map(e => e.chart)).filter(Boolean);
  }

  function setRangeText() {
    document.querySelectorAll('[data-range-text]').forEach(n => { n.textContent = RANGE_TEXT[range]; });
  }

  function onRangeChange() {
    const r = el.range.value;
    if (!RANGES[r] || r === range) return;
    range = r;
    setRangeText();
    try {
      const url = new URL(window.location.href);
      url.searchParams.set('range', r);
      window.history.replaceState(null, '', url);
    } catch (e) { /* not essential */ }
    loadSnapshot();
  }

  function init() {
    el.live = document.getElementById('live-status');
    el.lastUpdate = document.getElementById('last-update');
    el.range = document.getElementById('range');
    el.themeToggle = document.getElementById('theme-toggle');
    el.banner = document.getElementById('banner');
    el.sloCards = document.getElementById('slo-cards');
    el.sloEmpty = document.getElementById('slo-empty');
    el.alertsActive = document.getElementById('alerts-active');
    el.alertsRecent = document.getElementById('alerts-recent');
    el.alertsSummary = document.getElementById('alerts-summary');
    el.timeline = document.getElementById('incident-timeline');
    el.costTable = document.getElementById('cost-table');
    el.specWasted = document.querySelector('[data-metric="wasted-cost"]');
    el.specAccuracy = document.getElementById('spec-accuracy');
    el.specHits = document.getElementById('spec-hits');
    el.specMisses = document.getElementById('spec-misses');
    el.executors = document.getElementById('executors');
    el.executorsSummary = document.getElementById('executors-summary');

    const tz = document.getElementById('tz');
    try {
      tz.textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || 'browser time zone';
    } catch (e) {
      tz.textContent = 'browser time zone';
    }

    el.range.value = range;
    setRangeText();
    el.range.addEventListener('change', onRangeChange);
    el.themeToggle.addEventListener('click', () =>
      applyTheme(root.dataset.theme === 'dark' ? 'light' : 'dark', true));
    if (darkQuery && darkQuery.addEventListener) {
      darkQuery.addEventListener('change', e => {
        if (!storedTheme()) applyTheme(e.matches ? 'dark' : 'light', false);
      });
    }
    updateThemeButton();

    pal = readPalette();
    createCharts();
    connect();
    loadSnapshot(pendingSnapshot);
    pendingSnapshot = null;

    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && dirty) scheduleRender();
    });
    // Slide the range and refresh "… ago" texts even when no batch arrives.
    setInterval(() => {
      if (!store.loaded) return;
      prune();
      scheduleRender();
    }, 15_000);

    // Print on white, whatever the screen theme; charts re-measured for the paper width.
    let themeBeforePrint = null;
    window.addEventListener('beforeprint', () => {
      themeBeforePrint = root.dataset.theme;
      if (themeBeforePrint === 'dark') applyTheme('light', false);
      for (const chart of allCharts()) chart.resize();
    });
    window.addEventListener('afterprint', () => {
      if (themeBeforePrint === 'dark') applyTheme('dark', false);
      themeBeforePrint = null;
      for (const chart of allCharts()) chart.resize();
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
