// Browser check of who may use mandi: against a mandi started with API keys
// (MANDI_KEYED_URL, key MANDI_TEST_KEY), headless Debian Chromium is sent from the
// dashboard to the login page, logs in and streams quotes; then a page served from a second
// origin (another port on 127.0.0.1: same site, so the session cookie travels) can neither
// open /ws nor place an order. Run via ./run.sh.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const KEYED_URL = process.env.MANDI_KEYED_URL;
const KEY = process.env.MANDI_TEST_KEY;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEADLINE_MS = 15_000;

let browser;
let context;
let page;
let foreign;
let foreignUrl;

/** Open orders on the keyed server, asked directly (node, with the key). */
async function orders() {
  const res = await fetch(`${KEYED_URL}/api/orders`, { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(res.status, 200);
  return (await res.json()).orders;
}

describe('access to a keyed mandi', { skip: !KEYED_URL || !KEY }, () => {
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext();
    page = await context.newPage();
    // The second origin: a blank page on another port that the test drives.
    foreign = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title><p>another origin</p>');
    });
    await new Promise((r) => foreign.listen(0, '127.0.0.1', r));
    foreignUrl = `http://127.0.0.1:${foreign.address().port}/`;
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => (foreign ? foreign.close(r) : r()));
  });

  it('the dashboard sends a browser without a session to the login page', async () => {
    await page.goto(KEYED_URL);
    await page.waitForURL(/\/login$/, { timeout: DEADLINE_MS });
    const status = await page.evaluate(async () => (await fetch('api/instruments')).status);
    assert.equal(status, 401);
  });

  it('a wrong key is refused on the login page and the right one streams quotes', async () => {
    await page.fill('#key', 'not-the-key-0123456789');
    await page.click('#submit');
    await page.waitForSelector('#login-error:not([hidden])', { timeout: DEADLINE_MS });
    await page.fill('#key', KEY);
    await page.click('#submit');
    await page.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: DEADLINE_MS });
    await page.waitForFunction(() => document.querySelector('#status-badge')?.dataset.state === 'live',
      null, { timeout: DEADLINE_MS, polling: 100 });
    const first = await page.$eval('#quotes-body', (b) => b.textContent);
    await page.waitForFunction((t) => document.querySelector('#quotes-body').textContent !== t,
      first, { timeout: DEADLINE_MS, polling: 100 });
    const cookies = await context.cookies(KEYED_URL);
    const session = cookies.find((c) => c.name === 'mandi_session');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('mandi_session')), false,
      'page script cannot read the session');
  });

  it('a page on another origin cannot open /ws, even with the session cookie', async () => {
    const other = await context.newPage();
    await other.goto(foreignUrl);
    const ws = KEYED_URL.replace(/^http/, 'ws');
    const outcome = await other.evaluate((url) => new Promise((resolve) => {
      const sock = new WebSocket(`${url}/ws`);
      sock.onopen = () => resolve('open');
      sock.onerror = () => resolve('refused');
      setTimeout(() => resolve('timeout'), 10_000);
    }), ws);
    assert.equal(outcome, 'refused');
    await other.close();
  });

  it('a page on another origin cannot place an order, with or without a preflight', async () => {
    const before = (await orders()).length;
    const chain = await (await fetch(`${KEYED_URL}/api/option-chain?underlying=NIFTY&strikes=1`,
      { headers: { authorization: `Bearer ${KEY}` } })).json();
    const symbol = chain.rows[0].call.symbol;
    const other = await context.newPage();
    await other.goto(foreignUrl);
    const tried = await other.evaluate(async ({ url, symbol }) => {
      const body = JSON.stringify({ symbol, side: 'BUY', lots: 1, tag: 'cross-origin' });
      const out = {};
      // A "simple" request: no preflight, the cookie travels (same site).
      await fetch(`${url}/api/orders`, { method: 'POST', mode: 'no-cors', credentials: 'include',
        headers: { 'content-type': 'text/plain' }, body }).then(() => { out.simple = 'sent'; },
        (e) => { out.simple = `failed: ${e.message}`; });
      // JSON needs a preflight, which mandi does not grant this origin.
      await fetch(`${url}/api/orders`, { method: 'POST', credentials: 'include',
        headers: { 'content-type': 'application/json' }, body }).then((r) => { out.json = r.status; },
        (e) => { out.json = `failed: ${e.message}`; });
      return out;
    }, { url: KEYED_URL, symbol });
    assert.match(String(tried.json), /^failed/, `the JSON order is blocked: ${JSON.stringify(tried)}`);
    const after = await orders();
    assert.equal(after.length, before, `no order placed: ${JSON.stringify(after.slice(before))}`);
    assert.ok(!after.some((o) => o.tag === 'cross-origin'));
    await other.close();
  });
});
