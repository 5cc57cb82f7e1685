//! Bots: each bot's phase, contract, position, PnL, settings and a warning when it cannot
//! trade (no contract from the master, stale data, feed down); an exit button
//! (POST /api/bots/{name}/exit) and pause/resume (…/pause, …/resume: no new entries while
//! paused, an open position still managed); recent decisions with their reasons, live from the socket.
import { html, useEffect, useState } from '../vendor/preact-htm.module.js';
import { api } from '../lib/api.js';
import { on, live, useLive, useMessage } from '../lib/socket.js';
import { price, sign, clock } from '../lib/format.js';
import { select } from '../lib/selection.js';

const BOTS_EVERY_MS = 3000;
const MAX_EVENTS = 30;
const UNTRADABLE = new Set(['stale', 'login_required', 'closed']);

/** The contract a phase names, wherever it keeps it. */
function contractOf(phase) {
  const p = phase || {};
  const pos = p.position || {};
  return pos.symbol || p.symbol || p.contract || (p.order && p.order.symbol) || null;
}

function warningOf(bot, status) {
  if (bot.unresolved) return `cannot pick a contract: ${bot.unresolved}`;
  const h = live.health.get(bot.underlying);
  if (UNTRADABLE.has(h)) return `${bot.underlying} data is ${h}: the bot will not trade on it`;
  if (status && status.mode && status.mode !== 'live' && status.mode !== 'rest_fallback') return `feed ${status.mode}: no fresh prices`;
  return '';
}

function Bot({ bot, status, onExit, onPause }) {
  const phase = (bot.phase && bot.phase.phase) || 'unknown';
  const contract = contractOf(bot.phase);
  const pos = (bot.phase && bot.phase.position) || null;
  const warning = warningOf(bot, status);
  const paused = bot.paused === true;
  return html`<li data-bot=${bot.name} data-phase=${phase} data-paused=${String(paused)} class=${paused ? 'bot paused' : 'bot'}>
    <div class="bot-head">
      <b>${bot.name}</b> <span class="venue">${bot.underlying}</span>
      <span class="phase" data-phase=${phase}>${phase.replace(/_/g, ' ')}</span>
      ${paused && html`<span class="phase paused-tag">paused</span>`}
      <button class="pause" title=${paused ? 'Let it take new entries again' : 'No new entries; an open position is still managed'}
        onClick=${() => onPause(bot.name, !paused)}>${paused ? 'Resume' : 'Pause'}</button>
      <button class="exit" title="Close its position now" onClick=${() => onExit(bot.name)}>Exit</button>
    </div>
    ${warning && html`<p class="bot-warning" role="alert">⚠ ${warning}</p>`}
    <div class="bot-facts">
      <span>contract ${contract ? html`<a href="#" onClick=${(e) => { e.preventDefault(); select(contract); }}>${contract}</a>` : '—'}</span>
      <span>position ${pos ? `${pos.quantity ?? pos.net_quantity ?? ''} @ ${price(pos.entry_price ?? pos.avg_price)}` : '—'}</span>
      <span data-sign=${sign(bot.realised_pnl_today)}>PnL ${price(bot.realised_pnl_today)}</span>
      <span>trades ${bot.trades_today}</span>
      ${bot.pending && html`<span>pending order ${bot.pending.order_id ?? ''}</span>`}
    </div>
    <details><summary>settings</summary><pre>${JSON.stringify(bot.settings, null, 1)}</pre></details>
  </li>`;
}

export function BotsPanel() {
  const [bots, setBots] = useState(null);
  const [events, setEvents] = useState([]);
  const [note, setNote] = useState('');
  const status = useMessage('status', live.status);
  useLive((bots || []).map((b) => b.underlying)); // their health drives the warning
  useEffect(() => {
    let timer = null;
    const refresh = async () => {
      timer = null;
      try { setBots((await api('api/bots')).bots || []); } catch { /* next round */ }
    };
    const soon = () => { if (!timer) timer = setTimeout(refresh, 150); };
    refresh();
    api(`api/bots/events?limit=${MAX_EVENTS}`).then((b) => setEvents(b.events || [])).catch(() => {});
    const offs = [
      on('bot_event', (m) => { setEvents((ev) => [...ev, m.data].slice(-MAX_EVENTS)); soon(); }),
      on('trading', soon),
    ];
    const every = setInterval(soon, BOTS_EVERY_MS);
    return () => { offs.forEach((f) => f()); clearInterval(every); clearTimeout(timer); };
  }, []);
  const exit = async (name) => {
    if (!confirm(`Exit ${name}? It closes its open position at the next fresh quote.`)) return;
    try { await api(`api/bots/${encodeURIComponent(name)}/exit`, { method: 'POST' }); setNote(`exit requested for ${name}`); } catch (e) { setNote(`exit ${name}: ${e.message}`); }
  };
  const pause = async (name, paused) => {
    try {
      await api(`api/bots/${encodeURIComponent(name)}/${paused ? 'pause' : 'resume'}`, { method: 'POST' });
      setBots((await api('api/bots')).bots || []);
      setNote('');
    } catch (e) { setNote(`${paused ? 'pause' : 'resume'} ${name}: ${e.message}`); }
  };
  const newestFirst = [...events].reverse();
  return html`
    <section id="bots-panel" class="panel bots-panel" aria-labelledby="bots-title">
      <div class="panel-head"><h2 id="bots-title">Bots</h2></div>
      ${note && html`<p class="panel-note">${note}</p>`}
      <div class="paper-cols">
        <ul id="bots" class="bots">
          ${bots === null ? html`<li class="placeholder">Loading bots…</li>`
            : !bots.length ? html`<li class="placeholder">No bots configured</li>`
            : bots.map((b) => html`<${Bot} key=${b.name} bot=${b} status=${status} onExit=${exit} onPause=${pause} />`)}
        </ul>
        <div>
          <h3>Decisions</h3>
          <ol id="bot-events" class="events">
            ${!newestFirst.length ? html`<li class="placeholder">No decisions yet</li>`
              : newestFirst.map((e) => html`<li data-kind=${e.kind} data-bot=${e.bot}>
                <span class="time">${clock(e.at)}</span> <b>${e.bot}</b>${' '}<span class="kind">${e.kind}</span>${' '}<span class="code">${e.code}</span>${e.detail ? html` — <span class="detail">${e.detail}</span>` : ''}</li>`)}
          </ol>
        </div>
      </div>
    </section>`;
}
