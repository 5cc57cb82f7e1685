// Browser check of the mandi dashboard: headless Debian Chromium opens MANDI_URL (an already
// running mandi server) and asserts, with deadlines, that the feed badge goes live, the
// quotes table fills and keeps moving, and the paper account follows an order. Saves artifacts/dashboard.png. Run via ./run.sh.
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

let browser;
let page;
let screenshotTaken = false;
const pageErrors = [];

/** Polls `fn(arg)` in the page until truthy; fails with `what` after DEADLINE_MS. */
async function waitInPage(what, fn, arg) {
  try {
    return await page.waitForFunction(fn, arg, { timeout: DEADLINE_MS, polling: 100 });
  } catch (err) {
    const badge = await page.$eval('#status-badge', (b) => `${b.dataset.state} (${b.title})`).catch(() => '?');
    throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}; badge=${badge}\n${err.message}`);
  }
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

  it('raised no uncaught page errors', () => {
    assert.deepEqual(pageErrors, []);
  });

  it('saves a screenshot', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: DEADLINE_MS });
    screenshotTaken = true;
  });
});
