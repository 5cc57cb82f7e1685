//! Order ticket: BUY/SELL, lots, MARKET/LIMIT/SL/SL-M, prices snapped to the instrument's
//! tick, a confirmation step, through POST /api/orders. Keys: B buy and S sell the selected
//! instrument, Esc closes the confirmation and the last answer, / jumps to the search box.
//! Modify (from the order book) fills the ticket with an open order; confirming cancels it
//! and places the changed one, and places nothing if the cancel is refused (it filled).
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { api, instrumentOf } from '../lib/api.js';
import { useLive } from '../lib/socket.js';
import { price, onTick, isNum } from '../lib/format.js';
import { selected, ticketRequest, useObservable, openTicket } from '../lib/selection.js';

const TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'];
// An order's `kind.type` as the ticket names it.
const TICKET_TYPE = { MARKET: 'MARKET', LIMIT: 'LIMIT', STOP_LOSS: 'SL', STOP_LOSS_MARKET: 'SL-M' };

function typing(e) {
  const t = e.target;
  return t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName));
}

/** Global shortcuts; installed once by the ticket. */
function useShortcuts(onEscape) {
  // The handler is installed once; the ref always holds the latest render's callback.
  const escape = useRef(onEscape);
  escape.current = onEscape;
  useEffect(() => {
    const onKey = (e) => {
      if (e.key === 'Escape') { escape.current(); return; }
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const sym = selected.get() && selected.get().symbol;
      if ((e.key === 'b' || e.key === 'B') && sym) { e.preventDefault(); openTicket(sym, 'BUY'); }
      if ((e.key === 's' || e.key === 'S') && sym) { e.preventDefault(); openTicket(sym, 'SELL'); }
      if (e.key === '/') { e.preventDefault(); document.getElementById('wl-search')?.focus(); }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

export function TicketPanel() {
  const sel = useObservable(selected);
  const req = useObservable(ticketRequest);
  const [side, setSide] = useState('BUY');
  const [lots, setLots] = useState(1);
  const [type, setType] = useState('MARKET');
  const [limit, setLimit] = useState('');
  const [trigger, setTrigger] = useState('');
  const [inst, setInst] = useState(null);
  const [review, setReview] = useState(false);
  const [result, setResult] = useState(null);
  // The open order a confirm replaces (modify), or null for a new order.
  const [replaces, setReplaces] = useState(null);
  const symbol = sel && sel.symbol;
  const live = useLive([symbol]);
  const t = symbol && live.ticks.get(symbol);

  useShortcuts(() => { setReview(false); setResult(null); });
  useEffect(() => {
    setInst(null);
    if (symbol) instrumentOf(symbol).then(setInst).catch(() => {});
  }, [symbol]);
  useEffect(() => {
    if (!req) return;
    setSide(req.side);
    setReview(false);
    setResult(null);
    setReplaces(req.replaces || null);
    if (req.replaces) {
      const k = req.replaces.kind || {};
      setLots(req.replaces.lots);
      setType(TICKET_TYPE[k.type] || 'LIMIT');
      setLimit(isNum(k.price) ? String(k.price) : '');
      setTrigger(isNum(k.trigger_price) ? String(k.trigger_price) : '');
    } else if (sel && isNum(sel.price)) { setType('LIMIT'); setLimit(String(sel.price)); }
  }, [req && req.nonce]);

  const tickSize = (inst && inst.tick_size) || 0.05;
  const lotSize = (inst && inst.lot_size) || 1;
  const needsPrice = type === 'LIMIT' || type === 'SL';
  const needsTrigger = type === 'SL' || type === 'SL-M';
  const snap = (v, set) => { const n = Number.parseFloat(v); if (isNum(n)) set(String(onTick(n, tickSize))); };
  const order = {
    symbol, side, lots: Number(lots), type, tag: 'terminal',
    ...(needsPrice ? { price: onTick(Number.parseFloat(limit), tickSize) } : {}),
    ...(needsTrigger ? { trigger_price: onTick(Number.parseFloat(trigger), tickSize) } : {}),
  };
  const problem = !symbol ? 'select an instrument'
    : !(order.lots >= 1) ? 'lots must be 1 or more'
    : needsPrice && !(order.price > 0) ? 'enter a price'
    : needsTrigger && !(order.trigger_price > 0) ? 'enter a trigger price' : '';

  async function place() {
    setReview(false);
    const old = replaces && replaces.symbol === symbol ? replaces : null;
    setReplaces(null);
    if (old) {
      try {
        await api(`api/orders/${old.order_id}`, { method: 'DELETE' });
      } catch (e) {
        setResult({ ok: false, text: `order ${old.order_id} not modified: its cancel was refused (${e.message}); nothing placed` });
        return;
      }
    }
    try {
      const body = await api('api/orders', { method: 'POST', body: order });
      const o = body.order || body;
      const id = o.order_id ?? o.id ?? '';
      const what = old ? `order ${old.order_id} replaced by order ${id}` : `order ${id}`;
      setResult({ ok: true, text: `${o.side || side} ${symbol}: ${what} ${o.status || 'placed'}` });
    } catch (e) {
      setResult({ ok: false, text: old ? `order ${old.order_id} cancelled, its replacement refused: ${e.message}` : e.message });
    }
  }
  const modifying = replaces && replaces.symbol === symbol;
  return html`
    <section id="ticket" class=${`panel ticket side-${side.toLowerCase()}`} aria-labelledby="ticket-title">
      <div class="panel-head"><h2 id="ticket-title">${modifying ? `Modify order ${replaces.order_id}` : 'Order'}</h2><span class="panel-sub" id="ticket-symbol">${symbol || '—'}</span>
        <span class="panel-sub">LTP ${price(t && t.ltp)} · lot ${lotSize} · tick ${tickSize}</span></div>
      <div class="ticket-sides">
        <button id="ticket-buy" class=${side === 'BUY' ? 'buy active' : 'buy'} onClick=${() => setSide('BUY')}>BUY</button>
        <button id="ticket-sell" class=${side === 'SELL' ? 'sell active' : 'sell'} onClick=${() => setSide('SELL')}>SELL</button>
      </div>
      <div class="ticket-form">
        <label>Lots <input id="ticket-lots" type="number" min="1" step="1" value=${lots} onInput=${(e) => setLots(e.target.value)} /></label>
        <span class="qty">= ${isNum(order.lots) ? order.lots * lotSize : '—'} qty</span>
        <label>Type <select id="ticket-type" value=${type} onChange=${(e) => setType(e.target.value)}>
          ${TYPES.map((x) => html`<option value=${x}>${x}</option>`)}</select></label>
        ${needsPrice && html`<label>Price <input id="ticket-price" type="number" step=${tickSize} value=${limit}
          onInput=${(e) => setLimit(e.target.value)} onBlur=${(e) => snap(e.target.value, setLimit)} /></label>`}
        ${needsTrigger && html`<label>Trigger <input id="ticket-trigger" type="number" step=${tickSize} value=${trigger}
          onInput=${(e) => setTrigger(e.target.value)} onBlur=${(e) => snap(e.target.value, setTrigger)} /></label>`}
      </div>
      ${!review ? html`<button id="ticket-review" class=${side === 'BUY' ? 'buy wide' : 'sell wide'} disabled=${!!problem}
          title=${problem} onClick=${() => setReview(true)}>${problem || `${side} ${order.lots} lot${order.lots > 1 ? 's' : ''}`}</button>`
        : html`<div class="confirm" role="alertdialog" aria-label="Confirm the order">
          <p>${side} ${order.lots} × ${lotSize} <b>${symbol}</b> at ${type === 'MARKET' ? 'market' : price(order.price)}${needsTrigger ? `, trigger ${price(order.trigger_price)}` : ''}?</p>
          ${modifying && html`<p class="panel-note">Order ${replaces.order_id} is cancelled and this one placed in its stead.</p>`}
          <button id="ticket-confirm" class=${side === 'BUY' ? 'buy' : 'sell'} onClick=${place}>Confirm ${modifying ? 'modify' : side}</button>
          <button id="ticket-cancel" onClick=${() => setReview(false)}>Cancel (Esc)</button>
        </div>`}
      ${result && html`<p id="ticket-result" class="panel-note" data-ok=${String(result.ok)}>${result.text}</p>`}
    </section>`;
}
