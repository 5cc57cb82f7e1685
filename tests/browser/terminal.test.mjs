// Browser check of the trading terminal against a running mandi (MANDI_URL, the built-in
// simulator): search and a server-kept watchlist that survives a reload and streams; the
// NIFTY option chain full of numbers with ATM marked; a BUY from the chain through the
// ticket into the order book, positions (live mark, exit) and the chart's fill markers;
// five levels of depth for a future; a bot stopped from its panel with its decisions.
// Saves a screenshot of each panel under artifacts/terminal-*.png. Run via ./run.sh.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.MANDI_URL || 'http://127.0.0.1:8000';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEADLINE_MS = 20_000;
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const LIST = `Calls ${Date.now() % 100000}`;

let browser;
let page;
const pageErrors = [];
let boughtSymbol;

/** Polls `fn(arg)` in the page until truthy; fails naming `what` after DEADLINE_MS. */
async function waitFor(what, fn, arg) {
  try {
    return await page.waitForFunction(fn, arg, { timeout: DEADLINE_MS, polling: 100 });
  } catch (err) {
    await shot('failure').catch(() => {});
    throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}\n${err.message}`);
  }
}

async function shot(name, selector) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `terminal-${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path, timeout: DEADLINE_MS });
  else await page.screenshot({ path, fullPage: true, timeout: DEADLINE_MS });
}

const num = (text) => Number.parseFloat(String(text).replace(/,/g, ''));

/** GET a JSON API path from the page (same origin, same session). */
function get(path) {
  return page.evaluate(async (p) => (await fetch(p, { cache: 'no-store' })).json(), path);
}

describe(`mandi terminal at ${BASE_URL}`, { timeout: 240_000 }, () => {
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: DEADLINE_MS,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (d) => d.accept()); // the confirmations of exit and delete
    await page.goto(BASE_URL, { waitUntil: 'domcontentloaded', timeout: DEADLINE_MS });
    await waitFor('the badge to go live', () => document.querySelector('#status-badge')?.dataset.state === 'live');
  });

  after(async () => {
    await browser?.close();
  });

  it('search "NIFTY" lists NIFTY instruments as you type', async () => {
    await page.fill('#wl-search', 'NIFTY');
    await waitFor('search results for NIFTY', () => document.querySelectorAll('.search-results li[data-symbol]').length >= 3);
    const symbols = await page.$$eval('.search-results li[data-symbol]', (ls) => ls.map((l) => l.dataset.symbol));
    assert.ok(symbols.every((s) => /NIFTY/.test(s)), `every hit names NIFTY: ${symbols}`);
    await shot('search', '#watchlist');
    await page.fill('#wl-search', '');
  });

  it('the NIFTY chain shows at least 21 strikes with numbers in every LTP, bid, ask, OI, OI change and IV cell, ATM marked', async () => {
    await waitFor('21 strikes', () => document.querySelectorAll('#chain-body tr[data-strike]').length >= 21);
    const FIELDS = ['ltp', 'bid', 'ask', 'oi', 'oi_change', 'iv'];
    await waitFor('a number in every LTP, bid, ask, OI, OI change and IV cell of both legs', (fields) => {
      const cells = [...document.querySelectorAll('#chain-body td[data-leg]')].filter((td) => fields.includes(td.dataset.field));
      return cells.length >= 21 * 2 * fields.length
        && cells.every((td) => Number.isFinite(Number.parseFloat(td.textContent.replace(/[^\d.-]/g, ''))));
    }, FIELDS);
    const atm = await page.$$eval('#chain-body tr.atm', (rs) => rs.map((r) => ({ strike: Number(r.dataset.strike), tag: r.textContent.includes('ATM') })));
    assert.equal(atm.length, 1, 'exactly one ATM row');
    assert.ok(atm[0].tag, 'the ATM row is labelled');
    // The marked row is the API's ATM strike. The index may cross a strike's midpoint
    // between the panel's last refresh and a fresh API answer, so both are read together
    // until they agree (the panel refreshes every 2 s).
    await waitFor('the marked row to be the API\'s ATM strike', async () => {
      const api = await (await fetch('api/option-chain?underlying=NIFTY&strikes=10')).json();
      const row = document.querySelector('#chain-body tr.atm');
      return row && Number(row.dataset.strike) === api.atm_strike;
    });
    // In the money: calls below the spot, puts above, shaded.
    const itm = await page.$$eval('#chain-body tr[data-strike]', (rs) => rs.map((r) => ({
      strike: Number(r.dataset.strike),
      call: r.querySelector('td[data-leg="call"]').classList.contains('itm'),
      put: r.querySelector('td[data-leg="put"]').classList.contains('itm'),
    })));
    assert.ok(itm.some((r) => r.call) && itm.some((r) => r.put), 'both sides have ITM rows');
    for (const r of itm) assert.ok(!(r.call && r.put), `strike ${r.strike} is ITM on one side at most`);
    assert.match(await page.textContent('#chain-pcr'), /^PCR \d+\.\d\d$/);
    await shot('chain', '#chain');
  });

  it('a call added from the chain to a new watchlist is still there after a reload, and its row streams', async () => {
    await page.fill('#wl-new-name', LIST);
    await page.click('#wl-new');
    await waitFor(`the ${LIST} tab active`, (name) => document.querySelector(`.tab.active[data-list="${name}"]`) !== null, LIST);
    const row = page.locator('#chain-body tr.atm');
    await row.hover();
    const call = await row.locator('td[data-leg="call"][data-field="ltp"]').getAttribute('title');
    await row.locator('td[data-leg="call"] button.add').click();
    await waitFor(`${call} in the list`, (s) => document.querySelector(`#quotes-body tr[data-symbol="${s}"]`) !== null, call);
    // Stored on the server, not only in this page.
    await waitFor('the list saved on the server', async ([name, s]) => {
      const body = await (await fetch('api/watchlists', { headers: { 'x-mandi-client': localStorage.getItem('mandi.client-id') } })).json();
      return body.lists.some((l) => l.name === name && l.symbols.includes(s));
    }, [LIST, call]);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitFor(`the ${LIST} tab after the reload`, (name) => document.querySelector(`.tab[data-list="${name}"]`) !== null, LIST);
    await page.click(`.tab[data-list="${LIST}"]`);
    await waitFor(`a price in the ${call} row`, (s) => Number.parseFloat(
      (document.querySelector(`#quotes-body tr[data-symbol="${s}"] [data-field="ltp"]`)?.textContent || '').replace(/,/g, '')) > 0, call);
    const ticks = await page.evaluate(() => window.__mandi.ticks);
    const first = await page.textContent(`#quotes-body tr[data-symbol="${call}"]`);
    await waitFor('the row to change (it streams)', ([s, t]) => document.querySelector(`#quotes-body tr[data-symbol="${s}"]`)?.textContent !== t, [call, first]);
    // Rendering waits for an animation frame, so the change seen above may be a tick that was
    // already counted in `ticks`; wait for the next one rather than assert it has come.
    await waitFor('another tick on /ws', (n) => window.__mandi.ticks > n, ticks);
    assert.ok(await page.evaluate((s) => window.__mandi.subscribed.includes(s), call), 'the row\'s symbol is subscribed');
    await waitFor('health on the row', (s) => document.querySelector(`#quotes-body tr[data-symbol="${s}"]`)?.dataset.health === 'live', call);
    await shot('watchlist', '#watchlist');
  });

  it('a BUY of 1 lot from the chain fills, shows in positions with a live mark and on the chart, and its exit closes it', async () => {
    const row = page.locator('#chain-body tr.atm');
    await waitFor('the chain', () => document.querySelector('#chain-body tr.atm') !== null);
    await row.hover();
    boughtSymbol = await row.locator('td[data-leg="call"][data-field="ltp"]').getAttribute('title');
    await row.locator('td[data-leg="call"] button.buy').click();
    await waitFor('the ticket on the call', (s) => document.querySelector('#ticket-symbol')?.textContent === s, boughtSymbol);
    assert.equal(await page.inputValue('#ticket-lots'), '1');
    await page.click('#ticket-review');
    await page.click('#ticket-confirm');
    await waitFor('a filled order in the order book', (s) =>
      document.querySelector(`#orders-body tr[data-symbol="${s}"][data-status="filled"]`) !== null, boughtSymbol);
    await page.click('#tab-positions');
    await waitFor('an open position with a mark', (s) => {
      const tr = document.querySelector(`#positions-body tr[data-symbol="${s}"][data-open="true"]`);
      return tr && Number.parseFloat(tr.querySelector('[data-field="mark"]').textContent.replace(/,/g, '')) > 0;
    }, boughtSymbol);
    const mark = await page.textContent(`#positions-body tr[data-symbol="${boughtSymbol}"] [data-field="mark"]`);
    await waitFor('the mark to move with the market', ([s, m]) =>
      document.querySelector(`#positions-body tr[data-symbol="${s}"] [data-field="mark"]`)?.textContent !== m, [boughtSymbol, mark]);
    // The chart follows the selection (the ticket selected the call) and marks the fill.
    await waitFor('a fill marker on the chart', (s) => window.__mandi.chart.symbol === s
      && window.__mandi.chart.markers.some((m) => m.text.startsWith('B ')), boughtSymbol);
    await shot('chart', '#chart-panel');
    await shot('ticket', '#ticket');
    await page.click('#tab-orders');
    await shot('orders', '#paper');
    await page.click('#tab-positions');
    await shot('positions', '#paper');
    await page.click(`#positions-body tr[data-symbol="${boughtSymbol}"] button.exit`);
    await waitFor('the position closed', (s) =>
      document.querySelector(`#positions-body tr[data-symbol="${s}"][data-open="false"]`) !== null, boughtSymbol);
    const positions = await get('api/positions');
    const p = positions.positions.find((x) => x.symbol === boughtSymbol);
    assert.equal(p.net_quantity, 0, `flat after the exit: ${JSON.stringify(p)}`);
    await waitFor('a sell marker too', () => window.__mandi.chart.markers.some((m) => m.text.startsWith('S ')));
  });

  it('the trade book lists both fills', async () => {
    await page.click('#tab-trades');
    await waitFor('two fills of the call', (s) => document.querySelectorAll(`#trades-body tr[data-symbol="${s}"]`).length >= 2, boughtSymbol);
    await shot('trades', '#paper');
  });

  it('Modify in the order book moves an open limit to a new price: the old order is cancelled, the new one open', async () => {
    const quote = await get(`api/quotes?symbols=${encodeURIComponent(boughtSymbol)}`);
    const ltp = quote.quotes[boughtSymbol].ltp;
    const onTick = (v) => Math.round(v * 20) / 20;
    const first = onTick(ltp * 0.6);
    const placed = await page.evaluate(async ([symbol, price]) => (await fetch('api/orders', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ symbol, side: 'BUY', lots: 1, type: 'LIMIT', price, tag: 'terminal' }),
    })).json(), [boughtSymbol, first]);
    const oldId = placed.order.order_id;
    assert.equal(placed.order.status, 'open', `a resting limit: ${JSON.stringify(placed.order)}`);
    await page.click('#tab-orders');
    await page.click(`#orders-body tr[data-order-id="${oldId}"] button.modify`);
    await waitFor('the ticket modifying the order', (id) => document.querySelector('#ticket-title')?.textContent === `Modify order ${id}`, oldId);
    assert.equal(await page.inputValue('#ticket-type'), 'LIMIT');
    assert.equal(Number(await page.inputValue('#ticket-price')), first);
    const moved = onTick(first * 0.9);
    await page.fill('#ticket-price', String(moved));
    await page.click('#ticket-review');
    await page.click('#ticket-confirm');
    await waitFor('the old order cancelled and a new open one', ([id, sym]) =>
      document.querySelector(`#orders-body tr[data-order-id="${id}"][data-status="cancelled"]`) !== null
      && document.querySelector(`#orders-body tr[data-symbol="${sym}"][data-status="open"]`) !== null, [oldId, boughtSymbol]);
    const open = (await get('api/orders?status=open')).orders.filter((o) => o.symbol === boughtSymbol && o.status === 'open');
    assert.equal(open.length, 1, `one open order: ${JSON.stringify(open)}`);
    assert.equal(open[0].kind.price, moved, 'at the new price');
    assert.notEqual(open[0].order_id, oldId, 'a new order');
    assert.match(await page.textContent('#ticket-result'), new RegExp(`order ${oldId} replaced by order ${open[0].order_id}`));
    await page.click(`#orders-body tr[data-order-id="${open[0].order_id}"] button.cancel`);
    await waitFor('the new order cancelled too', (id) =>
      document.querySelector(`#orders-body tr[data-order-id="${id}"][data-status="cancelled"]`) !== null, open[0].order_id);
  });

  it('depth shows five levels for a futures contract', async () => {
    // The nearest NIFTY future: Dhan names it "NIFTY DEC FUT"; this month's may have expired.
    const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
    const now = new Date().getUTCMonth();
    let fut = null;
    for (const m of [now, (now + 1) % 12, (now + 2) % 12]) {
      const hits = await get(`api/instruments/search?q=${encodeURIComponent(`NIFTY ${MONTHS[m]} FUT`)}&limit=5`);
      fut = hits.results.find((r) => /-FUT$/.test(r.symbol));
      if (fut) break;
    }
    assert.ok(fut, 'a NIFTY future in the master');
    await page.fill('#chart-symbol', fut.symbol);
    await page.press('#chart-symbol', 'Enter');
    await waitFor(`five levels of depth for ${fut.symbol}`, (s) => {
      if (document.querySelector('#depth')?.dataset.symbol !== s) return false;
      const rows = [...document.querySelectorAll('#depth-body tr')];
      const n = (tr, f) => Number.parseFloat(tr.querySelector(`[data-field="${f}"]`).textContent.replace(/,/g, ''));
      return rows.length === 5 && rows.every((tr) => n(tr, 'bid_price') > 0 && n(tr, 'ask_price') > 0
        && n(tr, 'bid_qty') > 0 && n(tr, 'ask_qty') > 0 && n(tr, 'bid_orders') > 0 && n(tr, 'ask_orders') > 0);
    }, fut.symbol);
    const book = await page.$$eval('#depth-body tr', (rs) => rs.map((tr) => ({
      bid: Number.parseFloat(tr.querySelector('[data-field="bid_price"]').textContent.replace(/,/g, '')),
      ask: Number.parseFloat(tr.querySelector('[data-field="ask_price"]').textContent.replace(/,/g, '')),
    })));
    assert.ok(book[0].bid < book[0].ask, `best bid under best ask: ${JSON.stringify(book[0])}`);
    for (let i = 1; i < 5; i++) {
      assert.ok(book[i].bid <= book[i - 1].bid && book[i].ask >= book[i - 1].ask, `levels in order: ${JSON.stringify(book)}`);
    }
    await shot('depth', '#depth');
  });

  it('B and S open the ticket on the selected instrument, Esc closes the confirmation', async () => {
    await page.click('#chart-title'); // focus off any input
    await page.keyboard.press('s');
    await waitFor('a SELL ticket', () => document.querySelector('#ticket')?.classList.contains('side-sell'));
    await page.keyboard.press('b');
    await waitFor('a BUY ticket', () => document.querySelector('#ticket')?.classList.contains('side-buy'));
    await page.click('#ticket-review');
    await waitFor('the confirmation', () => document.querySelector('#ticket-confirm') !== null);
    await page.keyboard.press('Escape');
    await waitFor('the confirmation gone', () => document.querySelector('#ticket-confirm') === null);
  });

  it('stopping a bot from the panel shows in /api/bots, and its decisions appear', async () => {
    await waitFor('the nifty_orb bot', () => document.querySelector('#bots [data-bot="nifty_orb"]') !== null);
    const before = (await get('api/bots')).bots.find((b) => b.name === 'nifty_orb');
    assert.equal(before.paused, false, `running at first: ${JSON.stringify(before)}`);
    await page.click('#bots [data-bot="nifty_orb"] button.pause');
    await waitFor('paused in the panel', () => document.querySelector('#bots [data-bot="nifty_orb"]')?.dataset.paused === 'true');
    const after = (await get('api/bots')).bots.find((b) => b.name === 'nifty_orb');
    assert.equal(after.paused, true, `/api/bots says paused: ${JSON.stringify(after)}`);
    await page.click('#bots [data-bot="nifty_orb"] button.exit');
    await waitFor('a nifty_orb decision in the panel', () => document.querySelector('#bot-events li[data-bot="nifty_orb"]') !== null);
    const text = await page.textContent('#bot-events li[data-bot="nifty_orb"]');
    assert.match(text, /nifty_orb \S+ \S+/, `a decision names its kind and reason: ${text}`);
    await shot('bots', '#bots-panel');
    await page.click('#bots [data-bot="nifty_orb"] button.pause');
    await waitFor('running again', () => document.querySelector('#bots [data-bot="nifty_orb"]')?.dataset.paused === 'false');
  });

  it('raised no uncaught page errors, and the whole terminal is saved', async () => {
    await shot('full');
    assert.deepEqual(pageErrors, []);
  });
});
