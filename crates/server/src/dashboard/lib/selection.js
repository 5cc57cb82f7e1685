//! The selected instrument (chart, depth and ticket follow it) and requests to open the
//! order ticket, as a tiny observable shared by the panels.
import { useEffect, useState } from '../vendor/preact-htm.module.js';

function observable(initial) {
  let value = initial;
  const subs = new Set();
  return {
    get: () => value,
    set(v) { value = v; subs.forEach((fn) => fn(v)); },
    subscribe(fn) { subs.add(fn); return () => subs.delete(fn); },
  };
}

/** `{symbol, lot_size, tick_size, exchange}` of the selected instrument. */
export const selected = observable(null);
/**
 * `{symbol, side, replaces?, nonce}`: a panel asked for the ticket (B/S buttons, keys);
 * `replaces` is an open order being modified (`{order_id, lots, kind}`).
 */
export const ticketRequest = observable(null);

export function useObservable(obs) {
  const [v, setV] = useState(obs.get());
  useEffect(() => obs.subscribe(setV), [obs]);
  return v;
}

/** Select by symbol; `meta` may carry lot and tick sizes already known to the caller. */
export function select(symbol, meta = {}) {
  if (!symbol) return;
  selected.set({ symbol, ...meta });
}

export function openTicket(symbol, side, meta = {}, replaces = null) {
  if (symbol) select(symbol, meta);
  ticketRequest.set({ symbol: symbol || selected.get()?.symbol, side, replaces, nonce: Math.random() });
}
