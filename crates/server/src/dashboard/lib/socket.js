//! The one /ws connection and the live store: backoff 1 s ×2 → 30 s with jitter, a
//! keepalive and dead-socket watchdog, and ref-counted symbol interest, so each panel asks
//! only for what it shows and a symbol is unsubscribed when the last panel lets go of it.
//! Every reconnect re-subscribes the current interest.
import { useEffect, useState } from '../vendor/preact-htm.module.js';

const BACKOFF_START_MS = 1000;
const BACKOFF_CAP_MS = 30000;
const PING_EVERY_MS = 25000;
const SILENT_SOCKET_MS = 70000; // server heartbeats every 30 s: this much silence means a dead socket
const SUBSCRIBE_BATCH = 100;    // symbols per message, so a long list never trips too_many_symbols

// Test hooks: ticks received, successful re-opens after a drop, trading updates.
window.__mandi = { ticks: 0, reconnects: 0, tradingUpdates: 0, subscribed: [] };

/** Latest tick and health per symbol; connection status and heartbeat. */
export const live = { ticks: new Map(), health: new Map(), status: null, heartbeat: null };

const interest = new Map(); // symbol → number of panels showing it
const tickSubs = new Map(); // symbol → Set(fn)
const typeSubs = new Map(); // message type → Set(fn)
let ws = null;
let attempt = 0;
let everOpened = false;
let lastMessageAt = 0;
let retryTimer = null;
const pending = { sub: new Set(), unsub: new Set(), timer: null };

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

function sendBatches(action, symbols) {
  for (let i = 0; i < symbols.length; i += SUBSCRIBE_BATCH) {
    const msg = { action, symbols: symbols.slice(i, i + SUBSCRIBE_BATCH) };
    if (action === 'subscribe') msg.mode = 'full'; // depth comes only in full mode
    send(msg);
  }
}

// Interest changes within one task go out as one subscribe and one unsubscribe message.
function flush() {
  pending.timer = null;
  const sub = [...pending.sub].filter((s) => interest.has(s));
  const unsub = [...pending.unsub].filter((s) => !interest.has(s));
  pending.sub.clear();
  pending.unsub.clear();
  if (sub.length) sendBatches('subscribe', sub);
  if (unsub.length) sendBatches('unsubscribe', unsub);
  window.__mandi.subscribed = [...interest.keys()];
}

function schedule() {
  if (!pending.timer) pending.timer = setTimeout(flush, 0);
}

/** Declare interest in `symbols`; returns the release. */
export function want(symbols) {
  const list = [...new Set(symbols.filter(Boolean))];
  for (const s of list) {
    const n = interest.get(s) || 0;
    interest.set(s, n + 1);
    if (n === 0) { pending.sub.add(s); pending.unsub.delete(s); }
  }
  schedule();
  return () => {
    for (const s of list) {
      const n = (interest.get(s) || 1) - 1;
      if (n > 0) interest.set(s, n);
      else { interest.delete(s); pending.unsub.add(s); pending.sub.delete(s); }
    }
    schedule();
  };
}

function addTo(map, key, fn) {
  if (!map.has(key)) map.set(key, new Set());
  map.get(key).add(fn);
  return () => map.get(key)?.delete(fn);
}

/** Calls `fn(tick)` on each tick of `symbol`. */
export function onTick(symbol, fn) { return addTo(tickSubs, symbol, fn); }
/** Calls `fn(msg)` on each message of `type` (e.g. `bot_event`, `trading`). */
export function on(type, fn) { return addTo(typeSubs, type, fn); }

function emit(type, msg) { typeSubs.get(type)?.forEach((fn) => fn(msg)); }

function applyTick(t) {
  if (!t || !t.symbol) return;
  live.ticks.set(t.symbol, t);
  tickSubs.get(t.symbol)?.forEach((fn) => fn(t));
}

function onMessage(ev) {
  lastMessageAt = Date.now();
  let msg;
  try { msg = JSON.parse(ev.data); } catch { return; }
  switch (msg.type) {
    case 'tick': window.__mandi.ticks++; applyTick(msg.data); break;
    case 'snapshot': (msg.data || []).forEach(applyTick); break;
    case 'connection_status': live.status = msg; window.__mandi.status = msg; emit('status', msg); break;
    case 'instrument_status':
      if (msg.data) { live.health.set(msg.data.symbol, msg.data.state); emit('health', msg.data); }
      break;
    case 'heartbeat': live.heartbeat = msg; emit('heartbeat', msg); break;
    case 'order_update': case 'fill': case 'position_update': case 'fill_refused':
      window.__mandi.tradingUpdates++; emit('trading', msg); break;
    default: emit(msg.type, msg); break; // bot_event, error, contract_rolled, …
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
    sendBatches('subscribe', [...interest.keys()]);
    emit('open', {});
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
  emit('down', { message: `Browser connection to mandi is down; retrying in ${(delay / 1000).toFixed(1)} s` });
  retryTimer = setTimeout(connect, delay);
}

/** Opens the socket once; later calls do nothing. */
export function start() {
  if (ws || retryTimer) return;
  connect();
  // Keepalive and watchdog: a half-open TCP connection never fires onclose by itself.
  setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastMessageAt > SILENT_SOCKET_MS) { ws.close(); ws = null; scheduleReconnect(); return; }
    send({ action: 'ping' });
  }, PING_EVERY_MS);
}

/**
 * Subscribes `symbols` while the component is mounted and re-renders it at most once per
 * animation frame when any of them ticks or changes health. Returns `live`.
 */
export function useLive(symbols) {
  const [, setVersion] = useState(0);
  const key = symbols.filter(Boolean).join('\n');
  useEffect(() => {
    const list = key ? key.split('\n') : [];
    let frame = 0;
    const bump = () => {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; setVersion((v) => v + 1); });
    };
    const offs = list.map((s) => onTick(s, bump));
    const offHealth = on('health', (h) => { if (list.includes(h.symbol)) bump(); });
    const release = want(list);
    return () => { release(); offs.forEach((f) => f()); offHealth(); if (frame) cancelAnimationFrame(frame); };
  }, [key]);
  return live;
}

/** Re-renders on each message of `type`, returning the latest. */
export function useMessage(type, initial = null) {
  const [msg, setMsg] = useState(initial);
  useEffect(() => on(type, setMsg), [type]);
  return msg;
}
