//! The paper account: summary, positions with live marks and an exit button, the order
//! book (open orders can be cancelled, or modified through the ticket: the paper API has no
//! modify, so the ticket cancels the order and places the changed one) and the trade book. Refreshed on every trading update from
//! the socket, and every PAPER_EVERY_MS for marks.
import { html, useEffect, useState } from '../vendor/preact-htm.module.js';
import { api, instrumentOf } from '../lib/api.js';
import { on, useLive } from '../lib/socket.js';
import { price, qty, sign, clock, isNum } from '../lib/format.js';
import { select, openTicket } from '../lib/selection.js';

const PAPER_EVERY_MS = 5000;
const TABS = ['positions', 'orders', 'trades'];

/** Fetches positions, orders and trades; again on each trading update (coalesced). */
export function usePaper() {
  const [paper, setPaper] = useState({ report: null, orders: [], trades: [] });
  useEffect(() => {
    let timer = null;
    const refresh = async () => {
      timer = null;
      try {
        const [report, orders, trades] = await Promise.all([
          api('api/positions'), api('api/orders'), api('api/trades'),
        ]);
        setPaper({ report, orders: orders.orders || [], trades: trades.trades || [] });
      } catch { /* the next update or tick of the timer tries again */ }
    };
    const soon = () => { if (!timer) timer = setTimeout(refresh, 150); };
    refresh();
    const offs = [on('trading', soon), on('bot_event', soon)];
    const every = setInterval(soon, PAPER_EVERY_MS);
    return () => { offs.forEach((f) => f()); clearInterval(every); clearTimeout(timer); };
  }, []);
  return paper;
}

function Money({ v, field }) {
  return html`<td data-field=${field} data-sign=${sign(v)}>${price(v)}</td>`;
}

function kindText(k) {
  if (!k) return '—';
  const t = k.type.replace('STOP_LOSS_MARKET', 'SL-M').replace('STOP_LOSS', 'SL');
  return [t, isNum(k.price) ? price(k.price) : '', isNum(k.trigger_price) ? `trg ${price(k.trigger_price)}` : ''].filter(Boolean).join(' ');
}

async function exitPosition(p, setNote) {
  try {
    const inst = await instrumentOf(p.symbol);
    const lotSize = (inst && inst.lot_size) || 1;
    const lots = Math.round(Math.abs(p.net_quantity) / lotSize);
    await api('api/orders', { method: 'POST', body: {
      symbol: p.symbol, side: p.net_quantity > 0 ? 'SELL' : 'BUY', lots, tag: 'terminal-exit', reason: 'exit from the terminal',
    } });
    setNote(`exit sent for ${p.symbol}`);
  } catch (e) {
    setNote(`exit ${p.symbol}: ${e.message}`);
  }
}

export function BooksPanel() {
  const { report, orders, trades } = usePaper();
  const [tab, setTab] = useState('positions');
  const [note, setNote] = useState('');
  const positions = (report && report.positions) || [];
  const live = useLive(positions.filter((p) => p.net_quantity !== 0).map((p) => p.symbol));
  const s = (report && report.summary) || {};
  const recentOrders = [...orders].reverse().slice(0, 50);
  const recentTrades = [...trades].reverse().slice(0, 50);
  const openCount = orders.filter((o) => o.status === 'open').length;
  const cancel = async (id) => {
    try { await api(`api/orders/${id}`, { method: 'DELETE' }); } catch (e) { setNote(`cancel ${id}: ${e.message}`); }
  };
  return html`
    <section id="paper" class="panel paper" aria-labelledby="paper-title">
      <div class="panel-head">
        <h2 id="paper-title">Paper account</h2>
        <div class="tabs" role="tablist">
          ${TABS.map((t) => html`<button role="tab" id=${`tab-${t}`} class=${t === tab ? 'tab active' : 'tab'}
            aria-selected=${t === tab} onClick=${() => setTab(t)}>${t === 'orders' ? `orders (${openCount} open)` : t}</button>`)}
        </div>
      </div>
      <dl id="account" class="account">
        <div><dt>Cash</dt><dd data-field="cash">${price(s.cash)}</dd></div>
        <div><dt>Equity</dt><dd data-field="equity">${price(s.equity)}</dd></div>
        <div><dt>Realised</dt><dd data-field="realized_pnl" data-sign=${sign(s.realized_pnl)}>${price(s.realized_pnl)}</dd></div>
        <div><dt>Unrealised</dt><dd data-field="unrealized_pnl" data-sign=${sign(s.unrealized_pnl)}>${price(s.unrealized_pnl)}</dd></div>
        <div><dt>Charges</dt><dd data-field="charges">${price(s.charges && s.charges.total)}</dd></div>
        <div><dt>Net PnL</dt><dd data-field="net_pnl" data-sign=${sign(s.net_pnl)}>${price(s.net_pnl)}</dd></div>
        <div><dt>Open orders</dt><dd data-field="open_orders">${isNum(s.open_orders) ? String(s.open_orders) : '—'}</dd></div>
      </dl>
      ${note && html`<p class="panel-note">${note}</p>`}
      <div class="table-wrap" hidden=${tab !== 'positions'}>
        <table id="positions">
          <thead><tr><th class="sym">Position</th><th>Qty</th><th>Avg</th><th>Mark</th><th>Unrealised</th><th>Realised</th><th>Charges</th><th>Net</th><th></th></tr></thead>
          <tbody id="positions-body">
            ${!positions.length ? html`<tr class="placeholder"><td colspan="9">No positions yet</td></tr>`
              : positions.map((p) => {
                const t = live.ticks.get(p.symbol);
                // The live mark between refreshes: the latest tick, else the report's.
                const mark = t && t.ltp > 0 && p.net_quantity !== 0 ? t.ltp : p.mark;
                const unreal = isNum(mark) && p.net_quantity !== 0 ? (mark - p.avg_price) * p.net_quantity : p.unrealized_pnl;
                const net = isNum(unreal) ? unreal + (p.realized_pnl || 0) - (p.charges || 0) : p.net_pnl;
                return html`<tr data-symbol=${p.symbol} data-open=${String(p.net_quantity !== 0)} onClick=${() => select(p.symbol)}>
                  <td class="sym">${p.symbol}</td><td data-field="net_quantity">${p.net_quantity}</td>
                  <td>${price(p.avg_price)}</td><td data-field="mark">${price(mark)}</td>
                  <${Money} v=${unreal} field="unrealized_pnl" /><${Money} v=${p.realized_pnl} field="realized_pnl" />
                  <td>${price(p.charges)}</td><${Money} v=${net} field="net_pnl" />
                  <td class="actions" onClick=${(e) => e.stopPropagation()}>${p.net_quantity !== 0
                    ? html`<button class="exit" title="Close at market" onClick=${() => exitPosition(p, setNote)}>Exit</button>` : ''}</td>
                </tr>`;
              })}
          </tbody>
        </table>
      </div>
      <div class="table-wrap" hidden=${tab !== 'orders'}>
        <p class="panel-note">Modify opens the order in the ticket; confirming cancels it and places the changed order (a new id).</p>
        <table id="orders">
          <thead><tr><th>Time</th><th class="sym">Symbol</th><th>Side</th><th>Type</th><th>Lots</th><th>Qty</th><th>Avg fill</th><th>Status</th><th>Tag</th><th></th></tr></thead>
          <tbody id="orders-body">
            ${!recentOrders.length ? html`<tr class="placeholder"><td colspan="10">No orders yet</td></tr>`
              : recentOrders.map((o) => html`<tr data-order-id=${o.order_id} data-symbol=${o.symbol} data-status=${o.status}>
                <td>${clock(o.submitted_at)}</td><td class="sym">${o.symbol}</td><td data-side=${o.side}>${o.side}</td>
                <td>${kindText(o.kind)}</td><td>${o.lots}</td><td>${qty(o.quantity)}</td>
                <td>${o.filled_quantity ? price(o.filled_value / o.filled_quantity) : '—'}</td>
                <td data-field="status" title=${o.reject_reason ? JSON.stringify(o.reject_reason) : ''}>${o.status}</td><td>${o.tag}</td>
                <td class="actions">${o.status === 'open' ? html`<button class="modify" title="Change it in the ticket"
                    onClick=${() => openTicket(o.symbol, o.side, {}, { order_id: o.order_id, symbol: o.symbol, lots: o.lots, kind: o.kind })}>Modify</button>
                  <button class="cancel" onClick=${() => cancel(o.order_id)}>Cancel</button>` : ''}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      <div class="table-wrap" hidden=${tab !== 'trades'}>
        <table id="trades">
          <thead><tr><th>Time</th><th class="sym">Symbol</th><th>Side</th><th>Qty</th><th>Price</th><th>Charges</th><th>Liquidity</th><th>Tag</th></tr></thead>
          <tbody id="trades-body">
            ${!recentTrades.length ? html`<tr class="placeholder"><td colspan="8">No trades yet</td></tr>`
              : recentTrades.map((f) => html`<tr data-fill-id=${f.fill_id} data-symbol=${f.symbol}>
                <td>${clock(f.filled_at)}</td><td class="sym">${f.symbol}</td><td data-side=${f.side}>${f.side}</td>
                <td>${qty(f.quantity)}</td><td>${price(f.price)}</td><td>${price(f.charges && f.charges.total)}</td>
                <td>${f.liquidity}</td><td>${f.tag}</td></tr>`)}
          </tbody>
        </table>
      </div>
    </section>`;
}
