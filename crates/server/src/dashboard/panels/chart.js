//! The chart (TradingView lightweight-charts): candles of the selected instrument at every
//! interval /api/candles serves, crosshair with OHLC readout, zoom and scroll, the day's
//! levels (/api/levels) as price lines, and the account's fills (/api/trades) as markers.
//! The newest bar follows live ticks between refreshes.
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

window.__mandi.chart = { fetches: 0, symbol: '', interval: 0, bars: 0, levels: [], markers: [] };

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
        bars = (candles.candles || []).filter((b) => isFinite(Date.parse(b.start)) && [b.open, b.high, b.low, b.close].every(isNum)).map(toBar);
        series.setData(bars);
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
          const bar = [...bars].reverse().find((b) => b.time <= t);
          if (!bar) continue;
          const buy = f.side === 'BUY';
          marks.push({ time: bar.time, position: buy ? 'belowBar' : 'aboveBar', color: buy ? '#1e8449' : '#c0392b',
            shape: buy ? 'arrowUp' : 'arrowDown', text: `${buy ? 'B' : 'S'} ${f.quantity} @ ${price(f.price)}` });
        }
        marks.sort((a, b) => a.time - b.time);
        markers.setMarkers(marks);
        window.__mandi.chart = { fetches: window.__mandi.chart.fetches, symbol, interval, bars: bars.length,
          levels: found.map(({ key, price: p }) => ({ key, price: p })), markers: marks.map((m) => ({ time: m.time, text: m.text })) };
        setNote((levels && levels.note) || '');
        if (!bars.length) setMsg({ text: `No candles for ${symbol} yet: they are built from its ticks once it streams.`, kind: 'empty' });
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
    return () => { stop = true; clearTimeout(timer); release(); offTick(); offTrade(); };
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
