//! Watchlists: several named lists kept on the server (GET/PUT /api/watchlists), search as
//! you type (/api/instruments/search), add, remove, reorder; rows stream LTP, change,
//! bid/ask, volume, OI and the instrument's health. A row click selects the instrument.
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { api } from '../lib/api.js';
import { useLive } from '../lib/socket.js';
import { price, qty, pct, sign } from '../lib/format.js';
import { select, openTicket, selected, useObservable } from '../lib/selection.js';

const SEARCH_DEBOUNCE_MS = 150;
const ACTIVE_KEY = 'mandi.watchlist.active'; // which tab was open, per browser
const FIELDS = [
  ['ltp', 'LTP'], ['change_pct', 'Chg %'], ['bid', 'Bid'], ['ask', 'Ask'], ['volume', 'Volume'], ['oi', 'OI'],
];

/** Shared with the chain's "+" buttons: add a symbol to the active list. */
let addToActive = () => {};
export function addToWatchlist(symbol) { addToActive(symbol); }

function cell(field, t) {
  if (!t) return '—';
  switch (field) {
    case 'ltp': return price(t.ltp);
    case 'change_pct': return pct(t.change_pct);
    case 'bid': case 'ask': return price(t[field], true); // an index has no book: 0 is "none"
    default: return qty(t[field], true);
  }
}

function Row({ symbol, t, health, index, count, onMove, onRemove, isSelected }) {
  const prev = useRef(null);
  const ltp = t && t.ltp;
  const move = prev.current !== null && ltp !== prev.current ? (ltp > prev.current ? 'up' : 'down') : null;
  const lastMove = useRef('');
  if (move) lastMove.current = move;
  prev.current = ltp ?? prev.current;
  return html`
    <tr data-symbol=${symbol} data-health=${health || ''} data-source=${(t && t.source) || ''}
        class=${isSelected ? 'selected' : ''} title=${`data: ${health || 'unknown'}`}
        onClick=${() => select(symbol)}>
      <td class="sym" data-field="symbol"><span class="name">${symbol}</span>
        <span class="health-dot" data-health=${health || ''}></span></td>
      ${FIELDS.map(([f]) => html`<td data-field=${f}
          data-move=${f === 'ltp' ? lastMove.current : undefined}
          data-sign=${f === 'change_pct' ? sign(t && t.change_pct) || 'flat' : undefined}>${cell(f, t)}</td>`)}
      <td class="actions" onClick=${(e) => e.stopPropagation()}>
        <button class="buy" title="Buy (B)" onClick=${() => openTicket(symbol, 'BUY')}>B</button>
        <button class="sell" title="Sell (S)" onClick=${() => openTicket(symbol, 'SELL')}>S</button>
        <button title="Move up" disabled=${index === 0} onClick=${() => onMove(index, -1)}>↑</button>
        <button title="Move down" disabled=${index === count - 1} onClick=${() => onMove(index, 1)}>↓</button>
        <button class="remove" title="Remove from this list" onClick=${() => onRemove(symbol)}>✕</button>
      </td>
    </tr>`;
}

function Search({ onAdd }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState([]);
  const [error, setError] = useState('');
  useEffect(() => {
    const text = q.trim();
    if (!text) { setResults([]); setError(''); return undefined; }
    let stale = false;
    const t = setTimeout(async () => {
      try {
        const body = await api(`api/instruments/search?q=${encodeURIComponent(text)}&limit=12`);
        if (!stale) { setResults(body.results || []); setError(body.count ? '' : `nothing matches "${text}"`); }
      } catch (e) {
        if (!stale) setError(e.message);
      }
    }, SEARCH_DEBOUNCE_MS);
    return () => { stale = true; clearTimeout(t); };
  }, [q]);
  return html`
    <div class="search">
      <input id="wl-search" type="search" placeholder="Search ( / ): NIFTY 25900 CE, RELIANCE, CRUDEOIL…"
        autocomplete="off" spellcheck="false" value=${q} onInput=${(e) => setQ(e.target.value)}
        onKeyDown=${(e) => { if (e.key === 'Escape') setQ(''); if (e.key === 'Enter' && results[0]) { onAdd(results[0].symbol); setQ(''); } }} />
      ${(results.length > 0 || error) && html`
        <ul class="search-results">
          ${error && html`<li class="placeholder">${error}</li>`}
          ${results.map((r) => html`
            <li data-symbol=${r.symbol}>
              <span class="name">${r.display_name || r.symbol}</span>
              <span class="venue">${r.symbol} · ${r.exchange} · lot ${r.lot_size}</span>
              <button class="add" title="Add to this list" onClick=${() => { onAdd(r.symbol); setQ(''); }}>+ Add</button>
            </li>`)}
        </ul>`}
    </div>`;
}

export function WatchlistPanel() {
  const [doc, setDoc] = useState(null);
  const [active, setActiveState] = useState(() => Number(localStorage.getItem(ACTIVE_KEY)) || 0);
  const setActive = (i) => { setActiveState(i); localStorage.setItem(ACTIVE_KEY, String(i)); };
  const [newName, setNewName] = useState('');
  const [note, setNote] = useState('');
  const sel = useObservable(selected);

  useEffect(() => {
    (async () => {
      for (let wait = 1000; ; wait = Math.min(30000, wait * 2)) {
        try {
          let body = await api('api/watchlists');
          if (!body.lists.length) {
            // First visit: the configured instruments, as the old quotes table showed them.
            const instruments = await api('api/instruments');
            body = { lists: [{ name: 'Default', symbols: instruments.map((i) => i.symbol) }] };
          }
          setDoc(body);
          if (!selected.get() && body.lists[0]?.symbols[0]) select(body.lists[0].symbols[0]);
          return;
        } catch (e) {
          setNote(`Cannot load watchlists (${e.message}); retrying`);
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    })();
  }, []);

  async function save(next, nextActive = active) {
    setDoc(next);
    setActive(nextActive);
    try {
      const stored = await api('api/watchlists', { method: 'PUT', body: next });
      setDoc(stored);
      setNote('');
    } catch (e) {
      setNote(`Not saved: ${e.message}`);
    }
  }

  const lists = doc ? doc.lists : [];
  const list = lists[Math.min(active, lists.length - 1)] || { name: '', symbols: [] };
  const idx = lists.indexOf(list);
  const update = (symbols) => save({ lists: lists.map((l, i) => (i === idx ? { ...l, symbols } : l)) });

  addToActive = (symbol) => {
    if (!doc || list.symbols.includes(symbol) || idx < 0) return;
    update([...list.symbols, symbol]);
  };

  const live = useLive(list.symbols);

  const createList = () => {
    const name = newName.trim();
    if (!name) return;
    if (lists.some((l) => l.name.toLowerCase() === name.toLowerCase())) { setNote(`A list named "${name}" exists`); return; }
    setNewName('');
    save({ lists: [...lists, { name, symbols: [] }] }, lists.length);
  };
  const deleteList = () => {
    if (!confirm(`Delete the watchlist "${list.name}"?`)) return;
    save({ lists: lists.filter((_, i) => i !== idx) }, 0);
  };
  const onMove = (i, d) => {
    const s = [...list.symbols];
    [s[i], s[i + d]] = [s[i + d], s[i]];
    update(s);
  };
  return html`
    <section id="watchlist" class="panel watchlist" aria-labelledby="wl-title">
      <div class="panel-head">
        <h2 id="wl-title">Watchlists</h2>
        <div class="tabs" role="tablist">
          ${lists.map((l, i) => html`<button role="tab" class=${i === idx ? 'tab active' : 'tab'}
              data-list=${l.name} aria-selected=${i === idx} onClick=${() => setActive(i)}>${l.name}</button>`)}
        </div>
        <span class="new-list">
          <input id="wl-new-name" placeholder="New list" size="9" value=${newName}
            onInput=${(e) => setNewName(e.target.value)} onKeyDown=${(e) => e.key === 'Enter' && createList()} />
          <button id="wl-new" title="Create a watchlist" onClick=${createList}>+</button>
          ${lists.length > 0 && html`<button id="wl-delete" title="Delete this watchlist" onClick=${deleteList}>Delete</button>`}
        </span>
      </div>
      <${Search} onAdd=${(s) => addToActive(s)} />
      ${note && html`<p class="panel-note">${note}</p>`}
      <div class="table-wrap">
        <table id="quotes">
          <thead><tr><th class="sym">Symbol</th>${FIELDS.map(([, l]) => html`<th>${l}</th>`)}<th></th></tr></thead>
          <tbody id="quotes-body">
            ${!doc ? html`<tr class="placeholder"><td colspan="8">Loading watchlists…</td></tr>`
              : !list.symbols.length ? html`<tr class="placeholder"><td colspan="8">Empty list: search above, or + from the chain.</td></tr>`
              : list.symbols.map((s, i) => html`<${Row} key=${s} symbol=${s} t=${live.ticks.get(s)}
                  health=${live.health.get(s)} index=${i} count=${list.symbols.length}
                  isSelected=${sel && sel.symbol === s} onMove=${onMove}
                  onRemove=${(sym) => update(list.symbols.filter((x) => x !== sym))} />`)}
          </tbody>
        </table>
      </div>
    </section>`;
}
