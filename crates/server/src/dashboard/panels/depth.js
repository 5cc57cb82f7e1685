//! Market depth: five levels of bid and ask (price, quantity, orders) for the selected
//! instrument, from its full-mode ticks. A price click opens the ticket at that price.
import { html } from '../vendor/preact-htm.module.js';
import { useLive } from '../lib/socket.js';
import { price, qty } from '../lib/format.js';
import { selected, useObservable, openTicket } from '../lib/selection.js';

const LEVELS = 5;

export function DepthPanel() {
  const sel = useObservable(selected);
  const symbol = sel && sel.symbol;
  const live = useLive([symbol]);
  const t = symbol && live.ticks.get(symbol);
  // An index's ticks carry an all-zero book: that is no book, not five levels at 0.
  const depth = ((t && t.depth) || []).filter((l) => l.bid_price > 0 || l.ask_price > 0);
  const levels = Array.from({ length: LEVELS }, (_, i) => depth[i] || null);
  const totalBid = depth.reduce((s, l) => s + (l.bid_qty || 0), 0);
  const totalAsk = depth.reduce((s, l) => s + (l.ask_qty || 0), 0);
  return html`
    <section id="depth" class="panel depth" aria-labelledby="depth-title" data-symbol=${symbol || ''}>
      <div class="panel-head"><h2 id="depth-title">Depth</h2><span class="panel-sub">${symbol || 'select an instrument'}</span></div>
      ${symbol && !depth.length ? html`<p class="panel-note">No book for ${symbol}${t ? ' (an index, or a feed without depth)' : ' yet'}.</p>` : ''}
      <div class="table-wrap"><table id="depth-table">
        <thead><tr><th>Orders</th><th>Bid qty</th><th>Bid</th><th>Ask</th><th>Ask qty</th><th>Orders</th></tr></thead>
        <tbody id="depth-body">
          ${levels.map((l, i) => html`<tr data-level=${i + 1}>
            <td data-field="bid_orders">${l ? qty(l.bid_orders) : '—'}</td>
            <td data-field="bid_qty" class="bid">${l ? qty(l.bid_qty) : '—'}</td>
            <td data-field="bid_price" class="bid price" onClick=${() => l && openTicket(symbol, 'SELL', { price: l.bid_price })}>${l ? price(l.bid_price, true) : '—'}</td>
            <td data-field="ask_price" class="ask price" onClick=${() => l && openTicket(symbol, 'BUY', { price: l.ask_price })}>${l ? price(l.ask_price, true) : '—'}</td>
            <td data-field="ask_qty" class="ask">${l ? qty(l.ask_qty) : '—'}</td>
            <td data-field="ask_orders">${l ? qty(l.ask_orders) : '—'}</td>
          </tr>`)}
        </tbody>
        <tfoot><tr><td colspan="2">${qty(totalBid)}</td><td colspan="2">total</td><td colspan="2">${qty(totalAsk)}</td></tr></tfoot>
      </table></div>
    </section>`;
}
