// mandi dashboard: loads /api/instruments, keeps one browser WebSocket to /ws alive
// (backoff 1 s ×2 → 30 s with jitter, re-subscribe after every reconnect) and patches
// quote cells in place from tick/snapshot messages; the paper account (positions, PnL,
// bots, their decisions) follows the socket's trading updates. The candle chart is in
// chart.js (loaded after this file; `initChart` and `chartTick` are called from here).
// No framework, no build step.
'use strict';

const BACKOFF_START_MS = 1000;
const BACKOFF_CAP_MS = 30000;
const PING_EVERY_MS = 25000;
const SILENT_SOCKET_MS = 70000; // server heartbeats every 30 s: this much silence means a dead socket
const FLASH_MS = 700; // background flash on an LTP move
const HEALTH_EVERY_MS = 15000;
const SUBSCRIBE_BATCH = 100; // symbols per subscribe message, so a long list never trips too_many_symbols
// Tick field → table column, in display order after the symbol cell.
const FIELDS = ['ltp', 'change_pct', 'bid', 'ask', 'bid_qty', 'ask_qty', 'volume', 'oi', 'high', 'low', 'updated'];
const PRICE_FIELDS = new Set(['ltp', 'bid', 'ask', 'high', 'low']);
const QTY_FIELDS = new Set(['bid_qty', 'ask_qty', 'volume', 'oi']);
const BADGE_LABELS = {
  live: 'Live', connecting: 'Connecting', reconnecting: 'Reconnecting', rest_fallback: 'REST fallback',
  login_required: 'Login required', stopped: 'Stopped', disconnected: 'Disconnected',
};
// Data-quality labels that override the connection's: an open socket carrying nothing.
const QUALITY_LABELS = { quiet: 'Quiet', stale: 'Stale' };

// Test hooks: ticks = tick messages received; reconnects = successful re-opens after a drop.
window.__mandi = { ticks: 0, reconnects: 0, tradingUpdates: 0 };

// Fields where 0 means the broker does not send them for this instrument.
const ZERO_IS_MISSING = new Set(['bid', 'ask', 'bid_qty', 'ask_qty', 'volume', 'oi']);

const $ = (id) => document.getElementById(id);
const priceFmt = new Intl.NumberFormat('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const qtyFmt = new Intl.NumberFormat('en-IN', { maximumFractionDigits: 0 });
const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});

const rows = new Map(); // symbol → { tr, cells: {field → td}, ltp }
let symbols = [];
let ws = null;
let attempt = 0;        // consecutive failed connects; drives the backoff
let everOpened = false;
let lastMessageAt = 0;
let retryTimer = null;

// ---------- formatting ----------

function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

function formatField(field, tick) {
  if (field === 'updated') return formatTime(tick.exchange_time || tick.received_time, null);
  const v = tick[field];
  if (!isNum(v)) return null;
  // Zero in a field the instrument never fills (an index has no book, volume or OI)
  // means "not applicable", not a price of 0.
  if (v === 0 && ZERO_IS_MISSING.has(field)) return '—';
  if (field === 'change_pct') return (v > 0 ? '+' : '') + v.toFixed(2) + '%';
  if (PRICE_FIELDS.has(field)) return priceFmt.format(v);
  if (QTY_FIELDS.has(field)) return qtyFmt.format(v);
  return String(v);
}

function formatTime(iso, missing = '—') {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? timeFmt.format(d) : missing;
}

// ---------- table ----------

function buildTable(instruments) {
  const body = $('quotes-body');
  const frag = document.createDocumentFragment();
  rows.clear();
  for (const inst of instruments) {
    const tr = document.createElement('tr');
    tr.dataset.symbol = inst.symbol;
    const sym = document.createElement('td');
    sym.className = 'sym';
    sym.dataset.field = 'symbol';
    sym.innerHTML = '<span class="name"></span><span class="venue"></span>';
    sym.firstChild.textContent = inst.symbol;
    sym.lastChild.textContent = [inst.exchange, inst.segment].filter(Boolean).join(' · ');
    sym.title = `security id ${inst.security_id} · lot ${inst.lot_size} · tick ${inst.tick_size}`;
    tr.appendChild(sym);
    const cells = {};
    for (const field of FIELDS) {
      const td = document.createElement('td');
      td.dataset.field = field;
      td.textContent = '—';
      cells[field] = td;
      tr.appendChild(td);
    }
    rows.set(inst.symbol, { tr, cells, ltp: null });
    frag.appendChild(tr);
  }
  body.replaceChildren(frag);
  if (!instruments.length) body.innerHTML = '<tr class="placeholder"><td colspan="12">No instruments configured.</td></tr>';
}

function setText(td, text) {
  if (text !== null && td.textContent !== text) td.textContent = text;
}

// Flash colours live in style.css (--flash-up / --flash-down); read once, on first use.
let flashColors = null;
function flash(td, dir) {
  if (!flashColors) {
    const css = getComputedStyle(document.documentElement);
    flashColors = { up: css.getPropertyValue('--flash-up').trim(), down: css.getPropertyValue('--flash-down').trim() };
  }
  td.dataset.move = dir; // persists: colours the LTP text by its last move
  // Web Animations restart cleanly on every move without forcing a layout per tick.
  td.animate([{ backgroundColor: flashColors[dir] }, { backgroundColor: 'transparent' }],
    { duration: FLASH_MS, easing: 'ease-out' });
}

function applyTick(tick) {
  if (tick) chartTick(tick);
  const row = tick && rows.get(tick.symbol);
  if (!row) return;
  for (const field of FIELDS) setText(row.cells[field], formatField(field, tick));
  if (isNum(tick.ltp)) {
    if (row.ltp !== null && tick.ltp !== row.ltp) flash(row.cells.ltp, tick.ltp > row.ltp ? 'up' : 'down');
    row.ltp = tick.ltp;
  }
  if (isNum(tick.change_pct)) {
    row.cells.change_pct.dataset.sign = tick.change_pct > 0 ? 'up' : tick.change_pct < 0 ? 'down' : 'flat';
  }
  if (tick.source && row.tr.dataset.source !== tick.source) row.tr.dataset.source = tick.source;
  row.cells.updated.title = `source: ${tick.source || '?'} · exchange ${formatTime(tick.exchange_time)}` +
    ` · received ${formatTime(tick.received_time)} IST`;
}

// ---------- status ----------

// Per-instrument health (live / quiet / stale / fallback / login_required / closed): the
// row is marked so a frozen or last-known price never looks live.
function applyInstrumentStatus(status) {
  const row = status && rows.get(status.symbol);
  if (!row) return;
  row.tr.dataset.health = status.state;
  row.tr.title = `data: ${status.state}`;
}

function setBadge(state, message, quality) {
  const badge = $('status-badge');
  badge.dataset.state = state;
  badge.dataset.quality = quality || 'unknown';
  badge.textContent = QUALITY_LABELS[quality] || BADGE_LABELS[state] || state;
  badge.title = message || BADGE_LABELS[state] || state;
}

function showNotice(text) {
  const el = $('notice');
  el.textContent = text || '';
  el.hidden = !text;
}

function applyStatus(msg) {
  window.__mandi.status = msg;
  setBadge(msg.mode, msg.message, msg.quality);
  if (msg.broker) $('broker').textContent = msg.broker;
  applyMarkets(msg.markets);
  // Anything short of a live feed with data flowing gets the server's one-line reason in
  // plain sight, not just a tooltip.
  const why = msg.message || (msg.auth_required ? 'Broker login required.' : '');
  const fine = msg.mode === 'live' && !msg.auth_required && !QUALITY_LABELS[msg.quality];
  showNotice(fine ? '' : why);
}

// One pill per exchange ({"NSE": "open", "MCX": "closed"}), so an open MCX never makes
// NSE look open.
function applyMarkets(markets) {
  if (!markets || typeof markets !== 'object') return;
  const box = $('markets');
  const entries = Object.entries(markets);
  if (!entries.length) return;
  box.querySelectorAll('.pill:not([data-exchange])').forEach((p) => p.remove());
  for (const [exchange, state] of entries) {
    let pill = box.querySelector(`[data-exchange="${CSS.escape(exchange)}"]`);
    if (!pill) {
      pill = document.createElement('span');
      pill.className = 'pill';
      pill.dataset.exchange = exchange;
      box.appendChild(pill);
    }
    pill.dataset.market = state;
    pill.textContent = `${exchange} ${state}`;
    pill.title = `${exchange} session (IST): ${state}`;
  }
}

function applyHeartbeat(msg) {
  const h = msg.connection_health || {};
  const ago = isNum(h.last_tick_seconds_ago) ? ` · last tick ${h.last_tick_seconds_ago.toFixed(1)} s ago` : '';
  const el = $('heartbeat');
  el.textContent = `heartbeat ${formatTime(msg.timestamp)} IST${ago}`;
  el.dataset.healthy = String(h.is_healthy !== false);
  el.title = `feed ${h.state || '?'} · quality ${h.connection_quality || '?'}` +
    (h.using_rest_fallback ? ' · using REST fallback' : '');
  applyMarkets(msg.markets);
}

// ---------- socket ----------

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

function onMessage(ev) {
  lastMessageAt = Date.now();
  let msg;
  try { msg = JSON.parse(ev.data); } catch { return; }
  switch (msg.type) {
    case 'tick': window.__mandi.ticks++; applyTick(msg.data); break;
    case 'snapshot': (msg.data || []).forEach(applyTick); break;
    case 'connection_status': applyStatus(msg); break;
    case 'instrument_status': applyInstrumentStatus(msg.data); break;
    case 'heartbeat': applyHeartbeat(msg); break;
    case 'error': showNotice(`${msg.code}: ${msg.message}`); break;
    case 'order_update': case 'fill': case 'position_update': case 'fill_refused':
      window.__mandi.tradingUpdates++; schedulePaperRefresh(); break;
    case 'bot_event': addBotEvent(msg.data, true); schedulePaperRefresh(); break;
    default: break; // subscribed, unsubscribed, pong: nothing to show
  }
}

function connect() {
  retryTimer = null;
  const url = new URL('ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const sock = new WebSocket(url);
  ws = sock;
  sock.onopen = () => {
    if (everOpened) window.__mandi.reconnects++;
    everOpened = true;
    attempt = 0;
    lastMessageAt = Date.now();
    for (let i = 0; i < symbols.length; i += SUBSCRIBE_BATCH) {
      send({ action: 'subscribe', symbols: symbols.slice(i, i + SUBSCRIBE_BATCH), mode: 'full' });
    }
  };
  sock.onmessage = onMessage;
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  if (retryTimer) return;
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** attempt);
  const delay = Math.min(BACKOFF_CAP_MS, base * (0.8 + Math.random() * 0.4));
  attempt++;
  setBadge('disconnected', `Browser connection to mandi is down; retrying in ${(delay / 1000).toFixed(1)} s`, 'down');
  retryTimer = setTimeout(connect, delay);
}

// Keepalive and dead-socket watchdog: a half-open TCP connection never fires onclose by itself.
setInterval(() => {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  if (Date.now() - lastMessageAt > SILENT_SOCKET_MS) { ws.close(); ws = null; scheduleReconnect(); return; }
  send({ action: 'ping' });
}, PING_EVERY_MS);

// ---------- paper account ----------

const PAPER_EVERY_MS = 5000; // marks move with every tick; the socket says when orders change
const MAX_EVENTS = 20;
let paperTimer = null;

function money(v) { return isNum(v) ? priceFmt.format(v) : '—'; }

function signed(td, v) {
  td.textContent = money(v);
  td.dataset.sign = isNum(v) && v !== 0 ? (v > 0 ? 'up' : 'down') : '';
}

function renderPositions(report) {
  const s = report.summary || {};
  const account = $('account');
  for (const dd of account.querySelectorAll('dd')) {
    const f = dd.dataset.field;
    const v = f === 'charges' ? (s.charges || {}).total : s[f];
    if (f === 'open_orders') dd.textContent = isNum(v) ? String(v) : '—';
    else if (f === 'cash' || f === 'charges') dd.textContent = money(v);
    else signed(dd, v);
  }
  const body = $('positions-body');
  const list = report.positions || [];
  body.replaceChildren();
  if (!list.length) {
    body.innerHTML = '<tr class="placeholder"><td colspan="8">No positions yet</td></tr>';
    return;
  }
  for (const p of list) {
    const tr = document.createElement('tr');
    tr.dataset.symbol = p.symbol;
    const cells = [p.symbol, String(p.net_quantity), money(p.avg_price), money(p.mark)];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    tr.firstChild.className = 'sym';
    for (const v of [p.unrealized_pnl, p.realized_pnl, null, p.net_pnl]) {
      const td = document.createElement('td');
      if (v === null) td.textContent = money(p.charges); else signed(td, v);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function renderBots(bots) {
  const ul = $('bots');
  ul.replaceChildren();
  if (!bots.length) { ul.innerHTML = '<li class="placeholder">No bots configured</li>'; return; }
  for (const b of bots) {
    const li = document.createElement('li');
    const phase = (b.phase && b.phase.phase) || 'unknown';
    li.dataset.bot = b.name;
    li.dataset.phase = phase;
    li.textContent = `${b.name} · ${b.underlying} · ${phase.replace(/_/g, ' ')} · trades ${b.trades_today} · PnL ${money(b.realised_pnl_today)}`;
    ul.appendChild(li);
  }
}

function addBotEvent(e, newest) {
  const ol = $('bot-events');
  ol.querySelector('.placeholder')?.remove();
  const li = document.createElement('li');
  li.dataset.kind = e.kind;
  li.textContent = `${formatTime(e.at)} ${e.bot} ${e.kind} ${e.code}${e.detail ? ' — ' + e.detail : ''}`;
  if (newest) ol.prepend(li); else ol.appendChild(li);
  while (ol.children.length > MAX_EVENTS) ol.lastChild.remove();
}

async function refreshPaper() {
  paperTimer = null;
  try {
    const [positions, bots] = await Promise.all([
      fetch('api/positions', { cache: 'no-store' }).then((r) => r.json()),
      fetch('api/bots', { cache: 'no-store' }).then((r) => r.json()),
    ]);
    renderPositions(positions);
    renderBots(bots.bots || []);
  } catch {
    // The quotes keep working; the next refresh tries again.
  }
}

function schedulePaperRefresh() {
  if (!paperTimer) paperTimer = setTimeout(refreshPaper, 150);
}

async function loadBotEvents() {
  try {
    const res = await fetch(`api/bots/events?limit=${MAX_EVENTS}`, { cache: 'no-store' });
    const body = await res.json();
    for (const e of (body.events || []).slice().reverse()) addBotEvent(e, false);
  } catch {
    // Shown as they arrive on the socket instead.
  }
}

// ---------- start-up ----------

async function pollHealth() {
  const el = $('health');
  try {
    const res = await fetch('health', { cache: 'no-store' });
    const body = await res.json();
    el.textContent = `server ${body.status || res.status}`;
    el.dataset.status = body.status || 'unknown';
  } catch {
    el.textContent = 'server unreachable';
    el.dataset.status = 'down';
  }
}

async function loadInstruments() {
  for (let wait = BACKOFF_START_MS; ; wait = Math.min(BACKOFF_CAP_MS, wait * 2)) {
    try {
      const res = await fetch('api/instruments', { cache: 'no-store' });
      if (res.status === 401) {
        // The server has API keys and this browser holds no session: log in first.
        location.replace('login');
        return new Promise(() => {});
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.json();
    } catch (err) {
      setBadge('disconnected', `Cannot load instruments (${err.message}); retrying`, 'down');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function start() {
  const instruments = await loadInstruments();
  buildTable(instruments);
  symbols = instruments.map((i) => i.symbol);
  initChart();
  setBadge('connecting', 'Connecting to mandi…');
  connect();
  pollHealth();
  setInterval(pollHealth, HEALTH_EVERY_MS);
  refreshPaper();
  loadBotEvents();
  setInterval(schedulePaperRefresh, PAPER_EVERY_MS);
}

start();
