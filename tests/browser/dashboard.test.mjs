// Browser check of the mandi dashboard: headless Debian Chromium opens MANDI_URL (an already
// running mandi server) and asserts, with deadlines, that the feed badge goes live, the
// default watchlist fills and keeps moving, the paper account follows an order, and the chart
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

/** What the chart draws, as the chart panel reports it (lightweight-charts draws on a canvas). */
function readChart(pg) {
  return pg.evaluate(() => {
    const msg = document.querySelector('#chart-msg');
    return { ...window.__mandi.chart, message: { text: msg.textContent, kind: msg.dataset.kind, hidden: msg.hidden } };
  });
}

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
    const cell = document.querySelector(`#quotes-body tr[data-symbol="${s}"] [data-field="ltp"]`);
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
      (syms) => syms.every((s) => document.querySelector(`#quotes-body tr[data-symbol="${s}"]`)), SYMBOLS);
  });

  it('every row shows a positive LTP', async () => {
    await waitInPage('a positive LTP in every row', (syms) => syms.every((s) => {
      const cell = document.querySelector(`#quotes-body tr[data-symbol="${s}"] [data-field="ltp"]`);
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
      const cell = document.querySelector(`#quotes-body tr[data-symbol="${s}"] [data-field="ltp"]`);
      const now = cell ? Number.parseFloat(cell.textContent.replace(/,/g, '')) : Number.NaN;
      return now > 0 && now !== v;
    }), initial);
  });

  it('a tradable row shows the touch (bid < ask) and an index shows none', async () => {
    const num = (sym, f) => `Number.parseFloat((document.querySelector('#quotes-body tr[data-symbol="${sym}"] [data-field="${f}"]')?.textContent || '').replace(/,/g, ''))`;
    await waitInPage('RELIANCE bid and ask', new Function(`return ${num('RELIANCE', 'bid')} > 0 && ${num('RELIANCE', 'ask')} > ${num('RELIANCE', 'bid')};`));
    const niftyBid = await page.$eval('#quotes-body tr[data-symbol="NIFTY"] [data-field="bid"]', (td) => td.textContent.trim());
    assert.equal(niftyBid, '—', 'an index has no book');
  });

  it('every row carries its instrument health, live while the market is open', async () => {
    await waitInPage('data-health="live" on every row', (syms) => syms.every(
      (s) => document.querySelector(`#quotes-body tr[data-symbol="${s}"]`)?.dataset.health === 'live'), SYMBOLS);
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

  it('the chart draws NIFTY 5-minute candles', async () => {
    await waitInPage('NIFTY 5m candles in the chart',
      () => window.__mandi.chart.symbol === 'NIFTY' && window.__mandi.chart.interval === 5 && window.__mandi.chart.bars > 0);
    const c = await readChart(page);
    assert.equal(c.message.hidden, true, `no message over a drawn chart, got "${c.message.text}"`);
    assert.ok(await page.$('#chart canvas'), 'lightweight-charts drew on a canvas');
    assert.match(await page.textContent('#chart-info'), /^NIFTY · 5m · O [\d,]+\.\d\d H [\d,]+\.\d\d L [\d,]+\.\d\d C [\d,]+\.\d\d/);
  });

  it('the chart draws the levels /api/levels has as price lines', async () => {
    const lv = await page.evaluate(async () => (await fetch('api/levels?symbol=NIFTY')).json());
    assert.ok(lv.today, `NIFTY ticks, so today has a range: ${JSON.stringify(lv)}`);
    const present = ['today_high', 'today_low'];
    if (lv.previous_day) present.push('pdc');
    if (lv.pivots) present.push('pivot', 'r1', 's1');
    await waitInPage(`price lines ${present.join(', ')}`,
      (keys) => keys.every((k) => window.__mandi.chart.levels.some((l) => l.key === k)), present);
    const c = await readChart(page);
    const at = Object.fromEntries(c.levels.map((l) => [l.key, l.price]));
    assert.ok(at.today_high >= at.today_low, `HOD ${at.today_high} over LOD ${at.today_low}`);
  });

  it('pivots and CPR from /api/levels become price lines too', async () => {
    const pg = await browser.newPage({ viewport: { width: 1360, height: 900 } });
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
      const keys = ['r3', 'r2', 'pdh', 'r1', 'tc', 'pivot', 'bc', 's1', 'pdl', 's2', 's3'];
      await waitInPageOf(pg, 'pivot, CPR and PDH/PDL price lines',
        (ks) => ks.every((k) => window.__mandi.chart.levels.some((l) => l.key === k)), keys);
      const c = await readChart(pg);
      const at = Object.fromEntries(c.levels.map((l) => [l.key, l.price]));
      for (let i = 1; i < keys.length; i++) {
        if (keys[i] === 'pdl' || keys[i - 1] === 'pdl' || keys[i] === 'pdh' || keys[i - 1] === 'pdh') continue;
        assert.ok(at[keys[i - 1]] > at[keys[i]], `${keys[i - 1]} above ${keys[i]}: ${JSON.stringify(at)}`);
      }
      await mkdir(ARTIFACTS, { recursive: true });
      await pg.locator('#chart-panel').screenshot({ path: LEVELS_SCREENSHOT, timeout: DEADLINE_MS });
    } finally {
      await pg.close();
    }
  });

  it('switching the interval refetches and redraws at that interval', async () => {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/candles?')
        && new URL(r.url()).searchParams.get('interval') === '1', { timeout: DEADLINE_MS }),
      page.selectOption('#chart-interval', '1'),
    ]);
    const body = await res.json();
    assert.equal(body.interval, '1m');
    await waitInPage('1m candles drawn', () => window.__mandi.chart.interval === 1 && window.__mandi.chart.bars > 0);
    const c = await readChart(page);
    assert.equal(c.bars, body.candles.length, 'every fetched bar drawn');
  });

  it('dragged back to its first bar, the chart loads earlier days from the broker history', async () => {
    await waitInPage('1m candles drawn', () => window.__mandi.chart.interval === 1 && window.__mandi.chart.bars > 0);
    const box = await page.locator('#chart').boundingBox();
    const y = box.y + box.height / 2;
    // Drag right, as a trader does to see earlier bars, until older days arrive.
    for (let i = 0; i < 6; i++) {
      if (await page.evaluate(() => window.__mandi.chart.older > 0)) break;
      await page.mouse.move(box.x + box.width * 0.15, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.85, y, { steps: 8 });
      await page.mouse.up();
    }
    await waitInPage('bars of an earlier day', () => window.__mandi.chart.older > 0);
    const c = await readChart(page);
    const todayIst = new Date(Date.now() + 19800 * 1000).toISOString().slice(0, 10);
    assert.ok(c.oldest < todayIst, `the first bar is before today: ${c.oldest} vs ${todayIst}`);
    assert.ok(c.olderFetches >= 1, 'older days came from /api/candles with a range');
    // The day the chart starts on has those candles in the API too.
    const api = await page.evaluate(async (d) =>
      (await (await fetch(`api/candles?symbol=NIFTY&interval=1&from=${d}&to=${d}`)).json()).candles.length, c.oldest);
    assert.ok(api > 0, `/api/candles has ${c.oldest}`);
  });

  it('an unknown symbol, or one without ticks, gets a message in the panel instead of a chart', async () => {
    await chartSymbol('NOSUCHSYMBOL');
    await waitInPage('the unknown-symbol message', () => {
      const m = document.querySelector('#chart-msg');
      return !m.hidden && m.dataset.kind === 'error' && /NOSUCHSYMBOL is not a known instrument/.test(m.textContent);
    });
    // A far out-of-the-money put: a real instrument nobody streams, so it has no candles.
    const quiet = await page.evaluate(async () =>
      (await (await fetch('api/option-chain?underlying=NIFTY&strikes=30')).json()).rows[0].put.symbol);
    await chartSymbol(quiet);
    await waitInPage(`the no-candles message for ${quiet}`, (sym) => {
      const m = document.querySelector('#chart-msg');
      return !m.hidden && m.dataset.kind === 'empty' && m.textContent.startsWith(`No candles for ${sym} yet`);
    }, quiet);
    // A watchlist row's click charts it; a symbol may be typed in any case.
    await page.click('#quotes-body tr[data-symbol="SENSEX"] td.sym');
    await waitInPage('the SENSEX chart', () => window.__mandi.chart.symbol === 'SENSEX' && window.__mandi.chart.bars > 0);
    await chartSymbol('nifty');
    await waitInPage('the NIFTY chart back, message gone', () =>
      window.__mandi.chart.symbol === 'NIFTY' && window.__mandi.chart.bars > 0 && document.querySelector('#chart-msg').hidden);
    assert.equal(await page.inputValue('#chart-symbol'), 'NIFTY');
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
