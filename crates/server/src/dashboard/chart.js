// mandi dashboard, candle chart: polls /api/candles and /api/levels for one symbol and
// draws them as inline SVG (bars, IST time axis, price axis, the day's levels), its newest
// bar following live ticks. Loaded after app.js and uses its helpers ($, formatters,
// isNum); app.js calls initChart() once the instruments are known and chartTick() per tick.
'use strict';

// The bar lengths /api/candles serves (mandi_domain::candles::INTERVALS_MIN). Written out
// because the API only lists them in a bad_interval answer; the browser test compares the
// two, so a change on the server side fails there rather than here.
const CHART_INTERVALS = [1, 3, 5, 10, 15, 30, 60];
const CHART_DEFAULT_INTERVAL = 5;
const CHART_EVERY_MS = 5000;
const CHART_HEIGHT = 340;
const CHART_PAD = { top: 12, right: 84, bottom: 24, left: 8 }; // right: the price axis
const CANDLE_SLOT_MIN = 6;   // px per bar at least: a day of 1-minute bars shows only the newest that fit
const CANDLE_SLOT_MAX = 22;  // px per bar at most: the morning's first bars do not become slabs
const TIME_LABEL_PX = 64;    // px between time-axis labels at least
const LABEL_GAP = 14;        // px between level labels, so close levels (a narrow CPR) stay legible
const CHAR_W = 6.7;          // px per character of the 11 px monospace labels: no text measuring needed
const TICK_RENDER_MS = 1000; // live ticks redraw the newest bar at most this often
// [data-level, label, colour group, value in the /api/levels answer]. The API's `cpr` gives
// `top` and `bottom` (whichever of TC and BC is higher), drawn as TC and BC as charts do.
const LEVELS = [
  ['r3', 'R3', 'resistance', (l) => l.pivots?.r3],
  ['r2', 'R2', 'resistance', (l) => l.pivots?.r2],
  ['r1', 'R1', 'resistance', (l) => l.pivots?.r1],
  ['tc', 'TC', 'cpr', (l) => l.cpr?.top],
  ['pivot', 'P', 'cpr', (l) => l.pivots?.p ?? l.cpr?.pivot],
  ['bc', 'BC', 'cpr', (l) => l.cpr?.bottom],
  ['s1', 'S1', 'support', (l) => l.pivots?.s1],
  ['s2', 'S2', 'support', (l) => l.pivots?.s2],
  ['s3', 'S3', 'support', (l) => l.pivots?.s3],
  ['pdh', 'PDH', 'previous', (l) => l.previous_day?.high],
  ['pdl', 'PDL', 'previous', (l) => l.previous_day?.low],
  ['pdc', 'PDC', 'previous', (l) => l.previous_day?.close],
  ['today_high', 'HOD', 'today', (l) => l.today?.high],
  ['today_low', 'LOD', 'today', (l) => l.today?.low],
];

const hhmmFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', hour12: false,
});

const chart = {
  symbol: '',
  interval: CHART_DEFAULT_INTERVAL,
  candles: [],     // [{ t (ms), o, h, l, c }] of the last good answer, oldest first
  levels: null,    // the last /api/levels answer, or null
  error: null,     // { text, kind }: 'error' replaces the chart, 'warn' sits above the last one
  loading: false,  // between a picker change and its first answer
  asOf: null,      // when the shown candles were fetched
  gen: 0,          // bumped per request: an answer to an older one (picker changed since) is dropped
  abort: null,
  timer: null,
  tickTimer: null,
  width: 0,        // container width of the last drawing, to redraw only on a real resize
};
window.__mandi.chart = { fetches: 0, renders: 0 };

/** GET a JSON answer; a non-2xx throws with the API's own message, `status` and `code`. */
async function getJson(url, signal) {
  const res = await fetch(url, { cache: 'no-store', signal });
  let body = null;
  try { body = await res.json(); } catch { /* not JSON: the status says enough */ }
  if (!res.ok) {
    const err = new Error((body && body.message) || `HTTP ${res.status}`);
    err.status = res.status;
    err.code = body && body.error;
    throw err;
  }
  return body;
}

/** Bars with finite prices and a parseable start only: one bad bar must not put NaN in the SVG. */
function cleanCandles(list) {
  const out = [];
  for (const b of Array.isArray(list) ? list : []) {
    const t = Date.parse(b && b.start);
    if (!Number.isFinite(t) || ![b.open, b.high, b.low, b.close].every(isNum)) continue;
    out.push({ t, o: b.open, c: b.close, h: Math.max(b.high, b.open, b.close), l: Math.min(b.low, b.open, b.close) });
  }
  return out;
}

async function refreshChart() {
  clearTimeout(chart.timer);
  chart.timer = null;
  chart.abort?.abort();
  const gen = ++chart.gen;
  const { symbol, interval } = chart;
  if (!symbol) {
    chart.candles = [];
    chart.error = { text: 'Pick or type a symbol to chart.', kind: 'empty' };
    renderChart();
    return;
  }
  const abort = new AbortController();
  chart.abort = abort;
  const q = `symbol=${encodeURIComponent(symbol)}`;
  window.__mandi.chart.fetches++;
  try {
    // Candles first, levels after: today's range only grows, so levels asked later always
    // span the bars drawn (HOD/LOD never cut through a wick).
    const candles = await getJson(`api/candles?${q}&interval=${interval}`, abort.signal);
    // Levels are extra: candles without them are still worth drawing.
    const levels = await getJson(`api/levels?${q}`, abort.signal).catch((err) => {
      if (err.name === 'AbortError') throw err;
      return null;
    });
    if (gen !== chart.gen) return;
    chart.candles = cleanCandles(candles && candles.candles);
    chart.levels = levels;
    chart.error = null;
    chart.asOf = new Date();
  } catch (err) {
    if (err.name === 'AbortError' || gen !== chart.gen) return;
    if (err.status >= 400 && err.status < 500) {
      // The server refuses this symbol or interval: there is nothing to draw for it.
      chart.candles = [];
      chart.levels = null;
      chart.error = { text: err.message, kind: 'error' };
    } else {
      // 503 while the price store restarts, or the network: keep the last chart under a note.
      chart.error = { text: `Cannot load candles for ${symbol} (${err.message}); retrying`, kind: 'warn' };
    }
  } finally {
    // Polling continues even for an unknown symbol: a reloaded instrument master may add it.
    if (gen === chart.gen) chart.timer = setTimeout(refreshChart, CHART_EVERY_MS);
  }
  chart.loading = false;
  renderChart();
}

function setChartMessage(text, kind) {
  const el = $('chart-msg');
  el.textContent = text || '';
  el.dataset.kind = kind || '';
  el.hidden = !text;
}

function renderChart() {
  window.__mandi.chart.renders++;
  const box = $('chart');
  const err = chart.error;
  const note = $('chart-note');
  note.textContent = (chart.levels && chart.levels.note) || '';
  note.hidden = !note.textContent || !chart.candles.length;
  if (!chart.candles.length) {
    box.replaceChildren();
    chart.width = 0;
    $('chart-info').textContent = '';
    if (err) setChartMessage(err.text, err.kind);
    else if (chart.loading) setChartMessage(`Loading ${chart.symbol} · ${chart.interval}m…`, 'empty');
    else {
      setChartMessage(`No candles for ${chart.symbol} yet: they are built from its ticks ` +
        '(only instruments mandi streams have them).', 'empty');
    }
    return;
  }
  setChartMessage(err ? err.text : '', err ? err.kind : '');
  chart.width = box.clientWidth;
  box.innerHTML = chartSvg(chart.candles, chart.levels, Math.max(320, chart.width));
  const last = chart.candles[chart.candles.length - 1];
  $('chart-info').textContent = `${chart.symbol} · ${chart.interval}m · O ${priceFmt.format(last.o)}` +
    ` H ${priceFmt.format(last.h)} L ${priceFmt.format(last.l)} C ${priceFmt.format(last.c)}` +
    (chart.asOf ? ` · as of ${formatTime(chart.asOf.toISOString())} IST` : '');
}

/** The levels present in an /api/levels answer, as [{ key, label, group, price }]. */
function collectLevels(levels) {
  if (!levels) return [];
  return LEVELS.map(([key, label, group, pick]) => ({ key, label, group, price: pick(levels) }))
    .filter((lv) => isNum(lv.price) && lv.price > 0);
}

/** A round step giving about `target` steps over `range` (1, 2, 2.5 or 5 × 10^k). */
function niceStep(range, target) {
  const raw = range / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

const escAttr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const px = (v) => v.toFixed(1);

/**
 * The chart as one SVG string (built from numbers and our own labels, so one innerHTML
 * per redraw is safe and far cheaper than a node per attribute).
 */
function chartSvg(all, levels, W) {
  const H = CHART_HEIGHT;
  const P = CHART_PAD;
  const plotW = W - P.left - P.right;
  const plotH = H - P.top - P.bottom;
  const bars = all.slice(-Math.max(1, Math.floor(plotW / CANDLE_SLOT_MIN)));
  const slot = Math.min(CANDLE_SLOT_MAX, plotW / bars.length);
  const lo = Math.min(...bars.map((b) => b.l));
  const hi = Math.max(...bars.map((b) => b.h));

  // The y-range is the bars' plus the levels within one bar range of them (at least 0.2 % of
  // the price, so a quiet first minute still shows the levels around it). A level further
  // off would squash the bars into a line: it is not drawn across the chart but listed at
  // the top or bottom edge as an off-chart marker (▲ R3 26,207.23).
  const reach = Math.max(hi - lo, hi * 0.002);
  const found = collectLevels(levels);
  const near = found.filter((lv) => lv.price >= lo - reach && lv.price <= hi + reach);
  const above = found.filter((lv) => lv.price > hi + reach).sort((a, b) => a.price - b.price);
  const below = found.filter((lv) => lv.price < lo - reach).sort((a, b) => b.price - a.price);
  let yMin = Math.min(lo, ...near.map((lv) => lv.price));
  let yMax = Math.max(hi, ...near.map((lv) => lv.price));
  // Padding keeps extremes off the frame, and gives a flat series a range to divide by.
  const pad = Math.max((yMax - yMin) * 0.06, hi * 0.0002, 0.01);
  yMin -= pad;
  yMax += pad;
  const y = (v) => P.top + ((yMax - v) / (yMax - yMin)) * plotH;
  const x = (i) => P.left + (i + 0.5) * slot;
  const right = P.left + plotW;
  const out = [];

  out.push(`<rect class="plot" x="${P.left}" y="${P.top}" width="${px(plotW)}" height="${plotH}"/>`);

  // Price axis: round prices, grid lines across the plot; no label where the last-price tag sits.
  const lastY = y(bars[bars.length - 1].c);
  const step = niceStep(yMax - yMin, 5);
  for (let v = Math.ceil(yMin / step) * step; v <= yMax; v += step) {
    const yy = px(y(v));
    out.push(`<line class="grid" x1="${P.left}" x2="${px(right)}" y1="${yy}" y2="${yy}"/>`);
    if (Math.abs(y(v) - lastY) > 14) {
      out.push(`<text class="axis-label price" x="${px(right + 6)}" y="${px(y(v) + 4)}">${priceFmt.format(v)}</text>`);
    }
  }

  // Time axis in IST. A bar's index on its own grid (start ÷ interval) picks the labelled
  // bars, so labels stay on the same bars as the window slides and land on round times.
  const every = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 240].find((k) => k * slot >= TIME_LABEL_PX) || 240;
  const labelled = bars.map((b, i) => i).filter((i) => Math.floor(bars[i].t / 60000 / chart.interval) % every === 0);
  if (!labelled.length) labelled.push(0);
  for (const i of labelled) {
    out.push(`<line class="grid time" x1="${px(x(i))}" x2="${px(x(i))}" y1="${P.top}" y2="${P.top + plotH}"/>`,
      `<text class="axis-label time" x="${px(x(i))}" y="${H - 7}" text-anchor="middle">${hhmmFmt.format(bars[i].t)}</text>`);
  }

  // Candles: a wick from high to low, a body from open to close (at least 1 px for a doji).
  const bodyW = Math.max(1, slot * 0.7);
  bars.forEach((b, i) => {
    const dir = b.c >= b.o ? 'up' : 'down';
    const top = y(Math.max(b.o, b.c));
    const bodyH = Math.max(1, Math.abs(y(b.o) - y(b.c)));
    const title = `${hhmmFmt.format(b.t)} IST  O ${priceFmt.format(b.o)}  H ${priceFmt.format(b.h)}` +
      `  L ${priceFmt.format(b.l)}  C ${priceFmt.format(b.c)}`;
    out.push(`<g class="candle" data-dir="${dir}" data-start="${new Date(b.t).toISOString()}"><title>${title}</title>` +
      `<line class="wick" x1="${px(x(i))}" x2="${px(x(i))}" y1="${px(y(b.h))}" y2="${px(y(b.l))}"/>` +
      `<rect class="body" x="${px(x(i) - bodyW / 2)}" y="${px(top)}" width="${px(bodyW)}" height="${px(bodyH)}"/></g>`);
  });

  // Level lines, their labels at the right end nudged apart so close levels do not overlap.
  const placed = near.map((lv) => ({ ...lv, y: y(lv.price), text: `${lv.label} ${priceFmt.format(lv.price)}` }))
    .sort((a, b) => a.y - b.y);
  placed.forEach((lv, i) => { lv.ly = Math.max(lv.y, i ? placed[i - 1].ly + LABEL_GAP : P.top + 7); });
  for (let i = placed.length - 1; i >= 0; i--) {
    placed[i].ly = Math.min(placed[i].ly, i === placed.length - 1 ? P.top + plotH - 7 : placed[i + 1].ly - LABEL_GAP);
  }
  // Every line before any label: a label nudged off its line must not be crossed by the next one.
  for (const lv of placed) {
    out.push(`<line class="level" data-level="${lv.key}" data-group="${lv.group}" data-price="${lv.price}"` +
      ` x1="${P.left}" x2="${px(right)}" y1="${px(lv.y)}" y2="${px(lv.y)}"/>`);
  }
  for (const lv of placed) {
    const w = lv.text.length * CHAR_W + 8;
    out.push(`<g class="level-label" data-level="${lv.key}" data-group="${lv.group}">` +
      `<rect x="${px(right - w - 2)}" y="${px(lv.ly - 7)}" width="${px(w)}" height="14" rx="3"/>` +
      `<text x="${px(right - 6)}" y="${px(lv.ly + 4)}" text-anchor="end">${lv.text}</text></g>`);
  }

  // Off-chart markers, nearest first, in a row along the top or bottom edge; those that
  // do not fit (a narrow screen) are counted in a last "+N" (the nearest matter most).
  for (const [list, arrow, yy] of [[above, '▲', P.top + 13], [below, '▼', P.top + plotH - 6]]) {
    let left = P.left + 6;
    for (const [i, lv] of list.entries()) {
      const text = `${arrow} ${lv.label} ${priceFmt.format(lv.price)}`;
      const w = text.length * CHAR_W + 8;
      const rest = list.length - i;
      if (left + w > right - (rest > 1 ? 48 : 4)) {
        out.push(`<text class="level-off-more" x="${px(left)}" y="${yy}">${arrow} +${rest}</text>`);
        break;
      }
      out.push(`<g class="level-off" data-level="${lv.key}" data-group="${lv.group}" data-price="${lv.price}">` +
        `<rect x="${px(left - 4)}" y="${yy - 11}" width="${px(w)}" height="14" rx="3"/>` +
        `<text x="${px(left)}" y="${yy}">${text}</text></g>`);
      left += w + 6;
    }
  }

  // The last price as a tag on the price axis.
  const last = bars[bars.length - 1];
  out.push(`<g class="last-price" data-dir="${last.c >= last.o ? 'up' : 'down'}">` +
    `<rect x="${px(right + 1)}" y="${px(lastY - 8)}" width="${P.right - 3}" height="16" rx="3"/>` +
    `<text x="${px(right + 6)}" y="${px(lastY + 4)}">${priceFmt.format(last.c)}</text></g>`);

  return `<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"` +
    ` role="img" aria-label="${escAttr(`${chart.symbol} ${chart.interval}-minute candles`)}"` +
    ` data-symbol="${escAttr(chart.symbol)}" data-interval="${chart.interval}" data-candles="${bars.length}"` +
    ` data-y-min="${yMin}" data-y-max="${yMax}">${out.join('')}</svg>`;
}

/** A live tick of the charted symbol moves the newest bar between polls. */
function chartTick(tick) {
  const last = chart.candles[chart.candles.length - 1];
  if (!last || tick.symbol !== chart.symbol || !isNum(tick.ltp) || tick.ltp <= 0) return;
  // The price store files a tick under its exchange time, else its arrival: so do we. Only a
  // tick inside the newest bar is applied; a later one opens a bar on the server's grid,
  // which the next poll brings.
  const t = Date.parse(tick.exchange_time || tick.received_time);
  if (!(t >= last.t && t < last.t + chart.interval * 60000)) return;
  last.c = tick.ltp;
  last.h = Math.max(last.h, tick.ltp);
  last.l = Math.min(last.l, tick.ltp);
  const today = chart.levels && chart.levels.today;
  if (today && isNum(today.high) && isNum(today.low)) {
    // Today's range moves with the bar, or a new high would poke through the HOD line.
    today.high = Math.max(today.high, tick.ltp);
    today.low = Math.min(today.low, tick.ltp);
    today.last = tick.ltp;
  }
  if (!chart.tickTimer) {
    chart.tickTimer = setTimeout(() => { chart.tickTimer = null; renderChart(); }, TICK_RENDER_MS);
  }
}

/** Chart `raw` (as typed or clicked) from its first bar. */
function setChartSymbol(raw) {
  const typed = String(raw || '').trim();
  // A configured symbol matches in any case; another (the master's, e.g.
  // NIFTY-08Dec2026-25600-CE) is sent as typed, since case is part of those symbols.
  const symbol = symbols.find((s) => s.toLowerCase() === typed.toLowerCase()) || typed;
  $('chart-symbol').value = symbol;
  chart.symbol = symbol;
  restartChart();
}

/** Picker changed: drop what is drawn (it belongs to the old choice) and ask at once. */
function restartChart() {
  chart.candles = [];
  chart.levels = null;
  chart.error = null;
  chart.loading = true;
  renderChart();
  refreshChart();
}

function initChart() {
  const sel = $('chart-interval');
  sel.replaceChildren(...CHART_INTERVALS.map((m) => new Option(`${m}m`, String(m), false, m === CHART_DEFAULT_INTERVAL)));
  sel.addEventListener('change', () => { chart.interval = Number(sel.value); restartChart(); });
  $('chart-symbols').replaceChildren(...symbols.map((s) => new Option(s, s)));
  const input = $('chart-symbol');
  input.addEventListener('change', () => setChartSymbol(input.value));
  // A click on a quote row charts that symbol.
  $('quotes-body').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-symbol]');
    if (tr && tr.dataset.symbol !== chart.symbol) setChartSymbol(tr.dataset.symbol);
  });
  const box = $('chart');
  new ResizeObserver(() => {
    if (chart.candles.length && box.clientWidth !== chart.width) renderChart();
  }).observe(box);
  setChartSymbol(symbols[0] || '');
}

