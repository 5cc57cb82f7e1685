// Browser check of the mandi dashboard: headless Debian Chromium opens MANDI_URL (an already
// running mandi server) and asserts, with deadlines, that the feed badge goes live, the
// quotes table fills and keeps moving, the paper account follows an order, and the chart
// draws candles and the day's levels, follows its pickers and says what it cannot draw.
// Saves artifacts/dashboard.png (and chart-levels.png: the chart with pivots). Run via ./run.sh.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.MANDI_URL || 'http://127.0.0.1:8000';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEADLINE_MS = 15_000;
const SYMBOLS = ['NIFTY', 'SENSEX', 'RELIANCE', 'CRUDEOIL'];
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const SCREENSHOT = join(ARTIFACTS, 'dashboard.png');
const LEVELS_SCREENSHOT = join(ARTIFACTS, 'chart-levels.png');

let browser;
let page;
let screenshotTaken = false;
const pageErrors = [];

/** Polls `fn(arg)` in the page until truthy; fails with `what` after DEADLINE_MS. */
function waitInPage(what, fn, arg) {
  return waitInPageOf(page, what, fn, arg);
}

/** waitInPage on another page `pg`. */
async function waitInPageOf(pg, what, fn, arg) {
  try {
    return await pg.waitForFunction(fn, arg, { timeout: DEADLINE_MS, polling: 100 });
  } catch (err) {
    const badge = await pg.$eval('#status-badge', (b) => `${b.dataset.state} (${b.title})`).catch(() => '?');
    const chart = await pg.$eval('#chart-msg', (m) => (m.hidden ? 'drawn' : m.textContent)).catch(() => '?');
    throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}; badge=${badge}; chart=${chart}\n${err.message}`);
  }
}

/** Attributes and texts in the chart holding NaN, Infinity or undefined: a broken scale. */
function badChartValues() {
  const bad = [];
  for (const el of document.querySelectorAll('#chart *')) {
    for (const a of el.attributes) {
      if (/NaN|Infinity|undefined/.test(a.value)) bad.push(`<${el.tagName} ${a.name}="${a.value}">`);
    }
  }
  for (const t of document.querySelectorAll('#chart text')) {
    if (/NaN|Infinity|undefined/.test(t.textContent)) bad.push(`text "${t.textContent}"`);
  }
  return bad;
}

/** What the chart of `pg` draws, read back from its SVG. */
function readChart(pg) {
  return pg.evaluate(() => {
    const svg = document.querySelector('#chart svg');
    const num = (el, a) => Number.parseFloat(el.getAttribute(a));
    const plot = svg && svg.querySelector('rect.plot');
    const msg = document.querySelector('#chart-msg');
    return {
      symbol: svg ? svg.dataset.symbol : null,
      interval: svg ? Number(svg.dataset.interval) : null,
      plot: plot ? { top: num(plot, 'y'), bottom: num(plot, 'y') + num(plot, 'height') } : null,
      candles: [...document.querySelectorAll('#chart .candle')].map((g) => ({
        start: g.dataset.start,
        dir: g.dataset.dir,
        top: num(g.querySelector('.wick'), 'y1'),
        bottom: num(g.querySelector('.wick'), 'y2'),
        bodyH: num(g.querySelector('.body'), 'height'),
        fill: getComputedStyle(g.querySelector('.body')).fill,
        title: g.querySelector('title').textContent,
      })),
      lines: Object.fromEntries([...document.querySelectorAll('#chart line.level')]
        .map((l) => [l.dataset.level, { y: num(l, 'y1'), price: Number(l.dataset.price) }])),
      labels: Object.fromEntries([...document.querySelectorAll('#chart .level-label')]
        .map((g) => [g.dataset.level, g.textContent])),
      off: Object.fromEntries([...document.querySelectorAll('#chart .level-off')]
        .map((t) => [t.dataset.level, t.textContent])),
      timeLabels: [...document.querySelectorAll('#chart .axis-label.time')].map((t) => t.textContent),
      priceLabels: document.querySelectorAll('#chart .axis-label.price').length,
      message: { text: msg.textContent, kind: msg.dataset.kind, hidden: msg.hidden },
    };
  });
}

/** [r, g, b] of a computed `rgb(...)` colour. */
function rgb(css) {
  return (css.match(/\d+(\.\d+)?/g) || []).slice(0, 3).map(Number);
}

const priceFmt = new Intl.NumberFormat('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const istHhmm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', hour12: false });

/**
 * Pivots, CPR and a previous day made up around today's real range, for the levels the
 * simulator cannot have (its data dir is fresh, so no previous session): R1/R2, S1/S2, CPR
 * and PDH/PDL close to the candles, R3/S3 far enough off to be drawn as off-chart markers.
 */
function madeUpLevels({ high, low }) {
  const h = Math.max(high - low, 1);
  const p = (high + low) / 2;
  const far = Math.max(40 * h, high * 0.05);
  const r = (v) => Math.round(v * 100) / 100;
  return {
    previous_day: { date: '2026-01-01', open: r(p), high: r(high + 0.35 * h), low: r(low - 0.35 * h), close: r(p + 0.05 * h) },
    pivots: { p: r(p), r1: r(high + 0.2 * h), r2: r(high + 0.5 * h), r3: r(high + far), s1: r(low - 0.2 * h), s2: r(low - 0.5 * h), s3: r(low - far) },
    cpr: { top: r(p + 0.1 * h), bottom: r(p - 0.1 * h), pivot: r(p), width_pct: 0.1 },
  };
}

/** Commit `text` in the chart's symbol box as a user does (type, Enter). */
async function chartSymbol(text) {
  await page.fill('#chart-symbol', text);
  await page.press('#chart-symbol', 'Enter');
}

/** LTP of every listed row as numbers (cells are en-IN formatted, e.g. "25,760.85"). */
function readLtps(symbols) {
  return page.evaluate((syms) => Object.fromEntries(syms.map((s) => {
    const cell = document.querySelector(`tr[data-symbol="${s}"] [data-field="ltp"]`);
    return [s, cell ? Number.parseFloat(cell.textContent.replace(/,/g, '')) : Number.NaN];
  })), symbols);
}

describe(`mandi dashboard at ${BASE_URL}`, { timeout: 120_000 }, () => {
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: DEADLINE_MS,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 640 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(BASE_URL, { waitUntil: 'domcontentloaded', timeout: DEADLINE_MS });
  });

  after(async () => {
    try {
      if (page && !screenshotTaken) {
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: DEADLINE_MS }).catch(() => {});
      }
    } finally {
      await browser?.close();
    }
  });

  it('status badge reaches live', async () => {
    await waitInPage('#status-badge[data-state="live"]',
      () => document.querySelector('#status-badge')?.dataset.state === 'live');
  });

  it('shows one market pill per exchange, and data quality on the badge', async () => {
    const EXCHANGES = ['NSE', 'BSE', 'MCX'];
    // The simulator runs with market.always_open, so every exchange reads open.
    await waitInPage(`pills ${EXCHANGES.join(', ')} open`, (names) => names.every((e) => {
      const pill = document.querySelector(`#markets .pill[data-exchange="${e}"]`);
      return pill && pill.dataset.market === 'open' && pill.textContent === `${e} open`;
    }), EXCHANGES);
    const single = await page.$$eval('#markets .pill:not([data-exchange])', (p) => p.length);
    assert.equal(single, 0, 'no coarse "market open" pill left');
    await waitInPage('#status-badge[data-quality="good"]',
      () => document.querySelector('#status-badge')?.dataset.quality === 'good');
  });

  it('has a row for each demo instrument', async () => {
    await waitInPage(`rows ${SYMBOLS.join(', ')}`,
      (syms) => syms.every((s) => document.querySelector(`tr[data-symbol="${s}"]`)), SYMBOLS);
  });

  it('every row shows a positive LTP', async () => {
    await waitInPage('a positive LTP in every row', (syms) => syms.every((s) => {
      const cell = document.querySelector(`tr[data-symbol="${s}"] [data-field="ltp"]`);
      return cell && Number.parseFloat(cell.textContent.replace(/,/g, '')) > 0;
    }), SYMBOLS);
    const ltps = await readLtps(SYMBOLS);
    for (const s of SYMBOLS) assert.ok(ltps[s] > 0, `${s} LTP ${ltps[s]} should be > 0`);
  });

  it('prices move and tick messages keep arriving', async () => {
    const initial = await readLtps(SYMBOLS);
    const ticksBefore = await page.evaluate(() => window.__mandi.ticks);
    await waitInPage('window.__mandi.ticks to grow', (n) => window.__mandi.ticks > n, ticksBefore);
    await waitInPage('an LTP to change', (prev) => Object.entries(prev).some(([s, v]) => {
      const cell = document.querySelector(`tr[data-symbol="${s}"] [data-field="ltp"]`);
      const now = cell ? Number.parseFloat(cell.textContent.replace(/,/g, '')) : Number.NaN;
      return now > 0 && now !== v;
    }), initial);
  });

  it('a tradable row shows the touch (bid < ask) and an index shows none', async () => {
    const num = (sym, f) => `Number.parseFloat((document.querySelector('tr[data-symbol="${sym}"] [data-field="${f}"]')?.textContent || '').replace(/,/g, ''))`;
    await waitInPage('RELIANCE bid and ask', new Function(`return ${num('RELIANCE', 'bid')} > 0 && ${num('RELIANCE', 'ask')} > ${num('RELIANCE', 'bid')};`));
    const niftyBid = await page.$eval('tr[data-symbol="NIFTY"] [data-field="bid"]', (td) => td.textContent.trim());
    assert.equal(niftyBid, '—', 'an index has no book');
  });

  it('every row carries its instrument health, live while the market is open', async () => {
    await waitInPage('data-health="live" on every row', (syms) => syms.every(
      (s) => document.querySelector(`tr[data-symbol="${s}"]`)?.dataset.health === 'live'), SYMBOLS);
  });

  it('the paper account shows its cash and the configured bot', async () => {
    await waitInPage('the account cash', () => /\d/.test(document.querySelector('#account [data-field="cash"]')?.textContent || ''));
    await waitInPage('the nifty_orb bot listed', () => document.querySelector('#bots [data-bot="nifty_orb"]') !== null);
  });

  it('an order placed over HTTP appears as a position through the socket', async () => {
    const before = await page.evaluate(() => window.__mandi.tradingUpdates);
    const placed = await page.evaluate(async () => {
      const chain = await (await fetch('api/option-chain?underlying=NIFTY&strikes=1')).json();
      const symbol = chain.rows[0].call.symbol;
      const res = await fetch('api/orders', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ symbol, side: 'BUY', lots: 1, tag: 'browser-check' }),
      });
      return { status: res.status, symbol, body: await res.json() };
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    await waitInPage('a trading update on the socket', (n) => window.__mandi.tradingUpdates > n, before);
    await waitInPage(`a position row for ${placed.symbol}`,
      (sym) => document.querySelector(`#positions-body tr[data-symbol="${sym}"]`) !== null, placed.symbol);
  });

  it('the chart offers the intervals the API serves, 5 minutes by default, for the first symbol', async () => {
    const refused = await page.evaluate(async () => (await fetch('api/candles?symbol=NIFTY&interval=0')).json());
    const offered = await page.$$eval('#chart-interval option', (os) => os.map((o) => Number(o.value)));
    assert.deepEqual(offered, refused.valid, 'picker intervals = the API\'s bad_interval "valid" list');
    assert.equal(await page.inputValue('#chart-interval'), '5');
    assert.equal(await page.inputValue('#chart-symbol'), 'NIFTY');
  });

  it('the chart draws NIFTY 5-minute candles on a finite scale with IST times', async () => {
    await waitInPage('a NIFTY 5m candle in the chart',
      () => document.querySelector('#chart svg[data-symbol="NIFTY"][data-interval="5"] .candle') !== null);
    const c = await readChart(page);
    assert.deepEqual(await page.evaluate(badChartValues), []);
    assert.ok(c.candles.length >= 1);
    assert.equal(c.message.hidden, true, `no message over a drawn chart, got "${c.message.text}"`);
    for (const k of c.candles) {
      assert.ok(c.plot.top <= k.top && k.top <= k.bottom && k.bottom <= c.plot.bottom, `wick inside the plot: ${JSON.stringify(k)}`);
      assert.ok(k.bodyH >= 1, 'a body is at least 1 px');
      // 5-minute bars count from 09:15 IST (03:45 UTC): every start is on a 5-minute boundary.
      const start = new Date(k.start);
      assert.equal(start.getUTCMinutes() % 5 + start.getUTCSeconds(), 0, `5m bar start ${k.start}`);
      // Green when it closed at or above its open, red below: by the bar's own O and C.
      const [, open, close] = k.title.match(/ O ([\d,.]+) .* C ([\d,.]+)$/).map((v) => Number.parseFloat(v.replace(/,/g, '')));
      const [r, g] = rgb(k.fill);
      assert.ok(close >= open ? g > r : r > g, `bar "${k.title}" filled ${k.fill}`);
    }
    const barTimes = new Set(c.candles.map((k) => istHhmm.format(new Date(k.start))));
    assert.ok(c.timeLabels.length >= 1);
    for (const t of c.timeLabels) assert.ok(barTimes.has(t), `time label ${t} is a bar's IST start (${[...barTimes]})`);
    assert.ok(c.priceLabels >= 2, `price axis labels: ${c.priceLabels}`);
    assert.match(await page.textContent('#chart-info'), /^NIFTY · 5m · O [\d,]+\.\d\d H [\d,]+\.\d\d L [\d,]+\.\d\d C [\d,]+\.\d\d/);
  });

  it('the chart draws the levels /api/levels has, and today\'s range bounds every candle', async () => {
    const lv = await page.evaluate(async () => (await fetch('api/levels?symbol=NIFTY')).json());
    assert.ok(lv.today, `NIFTY ticks, so today has a range: ${JSON.stringify(lv)}`);
    const present = ['today_high', 'today_low'];
    if (lv.previous_day) present.push('pdc');
    if (lv.previous_day?.high) present.push('pdh', 'pdl');
    if (lv.pivots) present.push('pivot', 'r1', 's1');
    // A level far from the candles is a marker at the edge instead of a line: either counts.
    await waitInPage(`level marks ${present.join(', ')}`,
      (keys) => keys.every((k) => document.querySelector(`#chart [data-level="${k}"]`)), present);
    const c = await readChart(page);
    const { today_high: hod, today_low: lod } = c.lines;
    assert.ok(hod && lod, `HOD and LOD are lines: ${JSON.stringify(c.lines)}`);
    for (const k of c.candles) {
      assert.ok(hod.y <= k.top + 0.5 && lod.y >= k.bottom - 0.5, `HOD ${hod.y} / LOD ${lod.y} around wick ${k.top}..${k.bottom}`);
    }
    assert.equal(c.labels.today_high, `HOD ${priceFmt.format(hod.price)}`);
    assert.equal(c.labels.today_low, `LOD ${priceFmt.format(lod.price)}`);
    if (!lv.pivots) {
      for (const k of ['pivot', 'tc', 'bc', 'r1', 's1']) assert.equal(c.lines[k] ?? c.off[k], undefined, `no ${k} while pivots are null`);
    }
    assert.deepEqual(await page.evaluate(badChartValues), []);
  });

  it('pivots and CPR are drawn in price order near the candles, a far R3/S3 as off-chart markers', async () => {
    const pg = await browser.newPage({ viewport: { width: 1360, height: 640 } });
    pg.on('pageerror', (err) => pageErrors.push(`levels page: ${err.message}`));
    try {
      await pg.route(/\/api\/levels\?/, async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        if (body.today) {
          Object.assign(body, madeUpLevels(body.today));
          delete body.note; // it explained the missing pivots
        }
        await route.fulfill({ response: res, json: body });
      });
      await pg.goto(BASE_URL, { waitUntil: 'domcontentloaded', timeout: DEADLINE_MS });
      const lines = ['r2', 'pdh', 'r1', 'tc', 'pivot', 'bc', 's1', 'pdl', 's2']; // made-up prices, highest first
      await waitInPageOf(pg, 'pivot, CPR and PDH/PDL lines with R3/S3 off the chart', (keys) =>
        keys.every((k) => document.querySelector(`#chart line.level[data-level="${k}"]`))
        && ['r3', 's3'].every((k) => document.querySelector(`#chart .level-off[data-level="${k}"]`)), lines);
      const c = await readChart(pg);
      assert.deepEqual(await pg.evaluate(badChartValues), []);
      assert.equal(c.lines.r3, undefined, 'a far R3 does not squash the candles');
      assert.equal(c.lines.s3, undefined);
      assert.match(c.off.r3, /^▲ R3 [\d,]+\.\d\d$/);
      assert.match(c.off.s3, /^▼ S3 [\d,]+\.\d\d$/);
      // Higher price, higher on screen (smaller y), and every line inside the plot.
      const ys = lines.map((k) => c.lines[k].y);
      for (let i = 1; i < ys.length; i++) assert.ok(ys[i - 1] < ys[i], `${lines[i - 1]} above ${lines[i]}: ${ys}`);
      for (const [k, l] of Object.entries(c.lines)) assert.ok(l.y >= c.plot.top && l.y <= c.plot.bottom, `${k} inside the plot`);
      for (const [k, name] of [['pivot', 'P'], ['tc', 'TC'], ['bc', 'BC'], ['r1', 'R1'], ['s1', 'S1'], ['pdh', 'PDH'], ['pdl', 'PDL']]) {
        assert.equal(c.labels[k], `${name} ${priceFmt.format(c.lines[k].price)}`);
      }
      // The candles still use most of the height: the levels near them did not flatten them.
      const span = Math.max(...c.candles.map((k) => k.bottom)) - Math.min(...c.candles.map((k) => k.top));
      assert.ok(span > (c.plot.bottom - c.plot.top) * 0.25, `candles span ${span} px`);
      await mkdir(ARTIFACTS, { recursive: true });
      await pg.locator('#chart-panel').screenshot({ path: LEVELS_SCREENSHOT, timeout: DEADLINE_MS });
    } finally {
      await pg.close();
    }
  });

  it('switching the interval refetches and redraws at that interval', async () => {
    const fiveMin = await readChart(page);
    assert.equal(fiveMin.interval, 5);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/candles?')
        && new URL(r.url()).searchParams.get('interval') === '1', { timeout: DEADLINE_MS }),
      page.selectOption('#chart-interval', '1'),
    ]);
    const body = await res.json();
    assert.equal(body.interval, '1m');
    await waitInPage('1m candles drawn',
      () => document.querySelector('#chart svg[data-symbol="NIFTY"][data-interval="1"] .candle') !== null);
    const oneMin = await readChart(page);
    assert.deepEqual(await page.evaluate(badChartValues), []);
    // One-minute bars split the five-minute ones: at least as many, the first inside the first 5m bar.
    assert.ok(oneMin.candles.length >= fiveMin.candles.length, `${oneMin.candles.length} 1m vs ${fiveMin.candles.length} 5m bars`);
    assert.ok(oneMin.candles.length >= Math.min(body.candles.length, 100), 'every fetched bar drawn while they fit');
    const first5 = Date.parse(fiveMin.candles[0].start);
    const first1 = Date.parse(oneMin.candles[0].start);
    assert.ok(first1 >= first5 && first1 < first5 + 300_000, `first 1m bar ${oneMin.candles[0].start} in the 5m bar ${fiveMin.candles[0].start}`);
    for (const k of oneMin.candles) assert.equal(new Date(k.start).getUTCSeconds(), 0, `1m bar start ${k.start}`);
  });

  it('an unknown symbol, or one without ticks, gets a message in the panel instead of a chart', async () => {
    await chartSymbol('NOSUCHSYMBOL');
    await waitInPage('the unknown-symbol message', () => {
      const m = document.querySelector('#chart-msg');
      return !m.hidden && m.dataset.kind === 'error' && /NOSUCHSYMBOL is not a known instrument/.test(m.textContent)
        && !document.querySelector('#chart svg');
    });
    // A far out-of-the-money put: a real instrument nobody streams, so it has no candles.
    const quiet = await page.evaluate(async () =>
      (await (await fetch('api/option-chain?underlying=NIFTY&strikes=10')).json()).rows[0].put.symbol);
    await chartSymbol(quiet);
    await waitInPage(`the no-candles message for ${quiet}`, (sym) => {
      const m = document.querySelector('#chart-msg');
      return !m.hidden && m.dataset.kind === 'empty' && m.textContent.startsWith(`No candles for ${sym} yet`)
        && !document.querySelector('#chart svg');
    }, quiet);
    // A quote row's click charts it; a configured symbol may be typed in any case.
    await page.click('tr[data-symbol="SENSEX"] td.sym');
    await waitInPage('the SENSEX chart', () => document.querySelector('#chart svg[data-symbol="SENSEX"] .candle') !== null);
    await chartSymbol('nifty');
    await waitInPage('the NIFTY chart back, message gone', () =>
      document.querySelector('#chart svg[data-symbol="NIFTY"][data-interval="1"] .candle') !== null
      && document.querySelector('#chart-msg').hidden);
    assert.equal(await page.inputValue('#chart-symbol'), 'NIFTY');
    assert.deepEqual(await page.evaluate(badChartValues), []);
  });

  it('raised no uncaught page errors', () => {
    assert.deepEqual(pageErrors, []);
  });

  it('saves a screenshot', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: DEADLINE_MS });
    screenshotTaken = true;
  });
});
