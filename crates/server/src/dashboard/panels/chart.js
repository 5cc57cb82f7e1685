//! The chart (TradingView lightweight-charts): candles of the selected instrument at every
//! interval /api/candles serves, crosshair with OHLC readout, zoom and scroll, the day's
//! levels (/api/levels) as price lines, and the account's fills (/api/trades) as markers.
//! The newest bar follows live ticks between refreshes. Scrolled back to its first bar, it
//! loads the days before from `/api/candles?from&to` (the broker's history), a few days
//! at a time, until a month of days has none.
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { api } from '../lib/api.js';
import { onTick as onSymbolTick, on, want } from '../lib/socket.js';
import { price, isNum } from '../lib/format.js';
import { selected, useObservable, select } from '../lib/selection.js';

const LWC = window.LightweightCharts; // the vendored standalone build, loaded by index.html
// The bar lengths /api/candles serves (mandi_domain::candles::INTERVALS_MIN); the browser
// test compares them with the API's own bad_interval list.
const INTERVALS = [1, 3, 5, 10, 15, 30, 60];
const DEFAULT_INTERVAL = 5;
const CHART_EVERY_MS = 5000;
const IST_OFFSET_S = 19800; // the time axis shows UTC: shifting by +5:30 makes it read IST
// Older days load when fewer than this many bars are left of the view's left edge.
const OLDER_WHEN_WITHIN = 10;
// Days per older fetch (the API takes at most 31): fewer for short bars, which are many.
const olderSpan = (interval) => (interval <= 5 ? 5 : 20);
// Stop looking further back after this many days in a row without a bar.
const MAX_EMPTY_DAYS = 30;
// A shifted bar time's IST date, and a date moved by whole days (YYYY-MM-DD).
const istDate = (shifted) => new Date(shifted * 1000).toISOString().slice(0, 10);
const addDays = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
const validBar = (b) => isFinite(Date.parse(b.start)) && [b.open, b.high, b.low, b.close].every(isNum);
// [key, label, colour, value in the /api/levels answer]
const LEVELS = [
  ['r3', 'R3', '#c0392b', (l) => l.pivots?.r3], ['r2', 'R2', '#c0392b', (l) => l.pivots?.r2],
  ['r1', 'R1', '#c0392b', (l) => l.pivots?.r1], ['tc', 'TC', '#8e44ad', (l) => l.cpr?.top],
  ['pivot', 'P', '#8e44ad', (l) => l.pivots?.p ?? l.cpr?.pivot], ['bc', 'BC', '#8e44ad', (l) => l.cpr?.bottom],
  ['s1', 'S1', '#1e8449', (l) => l.pivots?.s1], ['s2', 'S2', '#1e8449', (l) => l.pivots?.s2],
  ['s3', 'S3', '#1e8449', (l) => l.pivots?.s3], ['pdh', 'PDH', '#7f8c8d', (l) => l.previous_day?.high],
  ['pdl', 'PDL', '#7f8c8d', (l) => l.previous_day?.low], ['pdc', 'PDC', '#7f8c8d', (l) => l.previous_day?.close],
  ['today_high', 'HOD', '#2471a3', (l) => l.today?.high], ['today_low', 'LOD', '#2471a3', (l) => l.today?.low],
];

window.__mandi.chart = { fetches: 0, symbol: '', interval: 0, bars: 0, levels: [], markers: [], older: 0, oldest: '', olderFetches: 0 };

const toBar = (b) => ({
  time: Math.floor(Date.parse(b.start) / 1000) + IST_OFFSET_S,
  open: b.open, high: Math.max(b.high, b.open, b.close), low: Math.min(b.low, b.open, b.close), close: b.close,
});

function createChart(el) {
  const css = getComputedStyle(document.documentElement);
  const chart = LWC.createChart(el, {
    autoSize: true,
    layout: { background: { color: css.getPropertyValue('--panel').trim() || '#fff' }, textColor: css.getPropertyValue('--muted').trim() || '#555', fontSize: 11 },
    grid: { vertLines: { color: 'rgba(128,128,128,0.12)' }, horzLines: { color: 'rgba(128,128,128,0.12)' } },
    crosshair: { mode: LWC.CrosshairMode.Normal },
    rightPriceScale: { borderVisible: false },
    timeScale: { timeVisible: true, secondsVisible: false, borderVisible: false, rightOffset: 4, barSpacing: 9 },
    localization: { priceFormatter: (p) => price(p) },
  });
  const series = chart.addSeries(LWC.CandlestickSeries, {
    upColor: '#1e8449', downColor: '#c0392b', wickUpColor: '#1e8449', wickDownColor: '#c0392b', borderVisible: false,
  });
  const markers = LWC.createSeriesMarkers(series, []);
  return { chart, series, markers, lines: [] };
}

/**
 * Selects what was typed: the instrument whose symbol matches it in any case (`nifty`,
 * `nifty-29dec2026-fut`), else the text as typed, for the panel to say it is unknown.
 */
async function resolveAndSelect(text) {
  const typed = text.trim();
  if (!typed) return;
  try {
    const body = await api(`api/instruments/search?q=${encodeURIComponent(typed)}&limit=10`);
    const hit = (body.results || []).find((r) => r.symbol.toUpperCase() === typed.toUpperCase()
      || (r.broker_symbol || '').toUpperCase() === typed.toUpperCase());
    select(hit ? hit.symbol : typed);
  } catch {
    select(typed);
  }
}

export function ChartPanel() {
  const sel = useObservable(selected);
  const symbol = (sel && sel.symbol) || '';
  const [interval, setInterval_] = useState(DEFAULT_INTERVAL);
  const [typed, setTyped] = useState(symbol);
  const [msg, setMsg] = useState({ text: 'Loading chart…', kind: 'info' });
  const [info, setInfo] = useState('');
  const [note, setNote] = useState('');
  const box = useRef(null);
  const lw = useRef(null);

  useEffect(() => { setTyped(symbol); }, [symbol]);
  useEffect(() => {
    lw.current = createChart(box.current);
    const { chart, series } = lw.current;
    chart.subscribeCrosshairMove((p) => {
      const b = p && p.seriesData && p.seriesData.get(series);
      if (b) setInfo(`O ${price(b.open)} H ${price(b.high)} L ${price(b.low)} C ${price(b.close)}`);
    });
    return () => { chart.remove(); lw.current = null; };
  }, []);

  useEffect(() => {
    if (!symbol) return undefined;
    let stop = false;
    let timer = null;
    let bars = [];
    let first = true;
    // Bars of earlier days, loaded as the view reaches its first bar; `cursor` is the
    // first day asked for so far (the next fetch ends the day before).
    let older = [];
    let cursor = null;
    let emptyDays = 0;
    let loadingOlder = false;
    const merged = () => {
      const firstLive = bars.length ? bars[0].time : Infinity;
      return older.filter((b) => b.time < firstLive).concat(bars);
    };
    const report = () => {
      const all = merged();
      Object.assign(window.__mandi.chart, { older: older.length, oldest: all.length ? istDate(all[0].time) : '' });
    };
    const { series, markers, chart } = lw.current;
    series.setData([]);
    setInfo(''); // the previous symbol's OHLC must not stand under the new name
    const release = want([symbol]);
    const draw = async () => {
      window.__mandi.chart.fetches++;
      try {
        const q = `symbol=${encodeURIComponent(symbol)}`;
        const [candles, levels, trades] = await Promise.all([
          api(`api/candles?${q}&interval=${interval}`),
          api(`api/levels?${q}`).catch(() => null),
          api('api/trades').catch(() => ({ trades: [] })),
        ]);
        if (stop) return;
        bars = (candles.candles || []).filter(validBar).map(toBar);
        const all = merged();
        series.setData(all);
        if (first && bars.length) { chart.timeScale().scrollToRealTime(); first = false; }
        // Levels: one price line each, replaced on every refresh.
        lw.current.lines.forEach((l) => series.removePriceLine(l));
        const found = levels ? LEVELS.map(([key, label, color, pick]) => ({ key, label, color, price: pick(levels) })).filter((l) => isNum(l.price) && l.price > 0) : [];
        lw.current.lines = found.map((l) => series.createPriceLine({
          price: l.price, color: l.color, lineWidth: 1, lineStyle: LWC.LineStyle.Dashed, axisLabelVisible: true, title: l.label,
        }));
        // Fills: an arrow on the bar each fell in (markers must sit on a bar's time).
        const fills = (trades.trades || []).filter((f) => f.symbol === symbol);
        const marks = [];
        for (const f of fills) {
          const t = Math.floor(Date.parse(f.filled_at) / 1000) + IST_OFFSET_S;
          const bar = [...all].reverse().find((b) => b.time <= t);
          if (!bar) continue;
          const buy = f.side === 'BUY';
          marks.push({ time: bar.time, position: buy ? 'belowBar' : 'aboveBar', color: buy ? '#1e8449' : '#c0392b',
            shape: buy ? 'arrowUp' : 'arrowDown', text: `${buy ? 'B' : 'S'} ${f.quantity} @ ${price(f.price)}` });
        }
        marks.sort((a, b) => a.time - b.time);
        markers.setMarkers(marks);
        Object.assign(window.__mandi.chart, { symbol, interval, bars: bars.length,
          levels: found.map(({ key, price: p }) => ({ key, price: p })), markers: marks.map((m) => ({ time: m.time, text: m.text })) });
        report();
        setNote((levels && levels.note) || '');
        if (!all.length) setMsg({ text: `No candles for ${symbol} yet: they are built from its ticks once it streams.`, kind: 'empty' });
        else setMsg(null);
        const last = bars[bars.length - 1];
        if (last) setInfo(`O ${price(last.open)} H ${price(last.high)} L ${price(last.low)} C ${price(last.close)}`);
      } catch (e) {
        if (stop) return;
        if (e.code === 'unknown_symbol' || e.status === 404) { series.setData([]); setMsg({ text: `${symbol} is not a known instrument.`, kind: 'error' }); return; }
        setMsg({ text: `Cannot load candles for ${symbol} (${e.message}); retrying`, kind: 'warn' });
      }
      if (!stop) timer = setTimeout(draw, CHART_EVERY_MS);
    };
    // Older days: fetched when the view nears the first bar; a span without bars (a
    // weekend, a holiday) goes straight on to the span before it.
    const loadOlder = async () => {
      if (loadingOlder || stop || emptyDays >= MAX_EMPTY_DAYS) return;
      loadingOlder = true;
      let again = false;
      try {
        const all = merged();
        const end = cursor || (all.length ? istDate(all[0].time) : istDate(Date.now() / 1000 + IST_OFFSET_S));
        const to = addDays(end, -1);
        const from = addDays(to, 1 - olderSpan(interval));
        window.__mandi.chart.olderFetches++;
        const body = await api(`api/candles?symbol=${encodeURIComponent(symbol)}&interval=${interval}&from=${from}&to=${to}`);
        if (stop) return;
        cursor = from;
        const got = (body.candles || []).filter(validBar).map(toBar);
        if (got.length) {
          emptyDays = 0;
          const have = new Set(older.map((b) => b.time));
          older = got.filter((b) => !have.has(b.time)).concat(older).sort((a, b) => a.time - b.time);
          series.setData(merged());
          setMsg(null); // a symbol quiet today may still have earlier days
        } else {
          emptyDays += olderSpan(interval);
          again = true;
        }
        report();
      } catch (e) {
        if (!stop) setNote(`Earlier days are not available (${e.message}).`);
      } finally {
        loadingOlder = false;
      }
      if (again) loadOlder();
    };
    const onRange = (r) => { if (r && r.from < OLDER_WHEN_WITHIN) loadOlder(); };
    chart.timeScale().subscribeVisibleLogicalRangeChange(onRange);
    draw();
    // Live: the newest bar takes each tick inside its interval; the next refresh adds new bars.
    const offTick = onSymbolTick(symbol, (t) => {
      const last = bars[bars.length - 1];
      if (!last || !(t.ltp > 0)) return;
      const at = Math.floor(Date.parse(t.exchange_time || t.received_time) / 1000) + IST_OFFSET_S;
      if (at < last.time || at >= last.time + interval * 60) return;
      last.close = t.ltp; last.high = Math.max(last.high, t.ltp); last.low = Math.min(last.low, t.ltp);
      series.update({ ...last });
    });
    const offTrade = on('trading', (m) => { if (m.type === 'fill') { clearTimeout(timer); if (!stop) timer = setTimeout(draw, 200); } });
    return () => {
      stop = true; clearTimeout(timer); release(); offTick(); offTrade();
      chart.timeScale().unsubscribeVisibleLogicalRangeChange(onRange);
    };
  }, [symbol, interval]);

  return html`
    <section id="chart-panel" class="panel chart-panel" aria-labelledby="chart-title">
      <div class="panel-head">
        <h2 id="chart-title">Chart</h2>
        <label>Symbol <input id="chart-symbol" autocomplete="off" spellcheck="false" size="24" value=${typed}
          onInput=${(e) => setTyped(e.target.value)}
          onKeyDown=${(e) => { if (e.key === 'Enter') resolveAndSelect(e.target.value); }} /></label>
        <label>Interval <select id="chart-interval" value=${interval} onChange=${(e) => setInterval_(Number(e.target.value))}>
          ${INTERVALS.map((m) => html`<option value=${m}>${m < 60 ? `${m}m` : '1h'}</option>`)}</select></label>
        <span id="chart-info" class="chart-info">${symbol} · ${interval}m · ${info}</span>
      </div>
      <p id="chart-msg" class="chart-msg" hidden=${!msg} data-kind=${msg ? msg.kind : ''} role="status">${msg ? msg.text : ''}</p>
      <div id="chart" class="chart" data-symbol=${symbol} data-interval=${interval} ref=${box}></div>
      <p id="chart-note" class="chart-note" hidden=${!note}>${note}</p>
    </section>`;
}
