//! Top bar and footer: broker, one market pill per exchange, the feed badge (connection
//! state, overridden by data quality), the server's one-line reason when not live, and the
//! heartbeat and /health in the footer. Serving a recorded day (`mandi run --replay`), a
//! REPLAY pill shows the recording's date and time of day.
import { html, useEffect, useState } from '../vendor/preact-htm.module.js';
import { on, live } from '../lib/socket.js';
import { clock, isNum } from '../lib/format.js';

const HEALTH_EVERY_MS = 15000;
const REPLAY_EVERY_MS = 1000;
const IST_OFFSET_MS = 19800000;
const ERROR_SHOWN_MS = 15000; // a socket error (say an unknown symbol) is news, not a state
const BADGE_LABELS = {
  live: 'Live', connecting: 'Connecting', reconnecting: 'Reconnecting', rest_fallback: 'REST fallback',
  login_required: 'Login required', stopped: 'Stopped', disconnected: 'Disconnected',
};
// Data-quality labels that override the connection's: an open socket carrying nothing.
const QUALITY_LABELS = { quiet: 'Quiet', stale: 'Stale' };

/** `/health` → `replay` while the server serves a recorded day; polled only then. */
function useReplay() {
  const [replay, setReplay] = useState(null);
  useEffect(() => {
    let stop = false;
    let timer = null;
    const poll = async () => {
      try {
        const body = await (await fetch('health', { cache: 'no-store' })).json();
        if (stop) return;
        setReplay(body.replay || null);
        if (!body.replay) return; // a live server: nothing to follow
      } catch { /* the footer says when the server is unreachable */ }
      if (!stop) timer = setTimeout(poll, REPLAY_EVERY_MS);
    };
    poll();
    return () => { stop = true; clearTimeout(timer); };
  }, []);
  return replay;
}

export function TopBar() {
  const replay = useReplay();
  const [status, setStatus] = useState({ mode: 'connecting', message: 'Connecting to mandi…' });
  const [markets, setMarkets] = useState({});
  const [errorNote, setErrorNote] = useState('');
  useEffect(() => {
    if (!errorNote) return undefined;
    const t = setTimeout(() => setErrorNote(''), ERROR_SHOWN_MS);
    return () => clearTimeout(t);
  }, [errorNote]);
  useEffect(() => {
    const offs = [
      on('status', (m) => { setStatus(m); if (m.markets) setMarkets(m.markets); }),
      on('heartbeat', (m) => { if (m.markets) setMarkets(m.markets); }),
      on('down', (m) => setStatus({ mode: 'disconnected', message: m.message, quality: 'down' })),
      on('error', (m) => setErrorNote(`${m.code}: ${m.message}`)),
    ];
    return () => offs.forEach((f) => f());
  }, []);
  const quality = status.quality || 'unknown';
  const label = QUALITY_LABELS[quality] || BADGE_LABELS[status.mode] || status.mode;
  // Anything short of a live feed with data flowing gets the server's reason in plain sight.
  const why = status.message || (status.auth_required ? 'Broker login required.' : '');
  const fine = status.mode === 'live' && !status.auth_required && !QUALITY_LABELS[quality];
  const notice = (fine ? '' : why) || errorNote;
  const entries = Object.entries(markets);
  return html`
    <header class="topbar">
      <div class="brand"><h1>mandi</h1><span class="subtitle">terminal</span></div>
      <div class="status">
        <span id="broker" class="pill" title="Broker feeding this runtime">${status.broker || 'broker —'}</span>
        <span id="markets" class="markets" title="Market session per exchange (IST)">
          ${entries.length ? entries.map(([ex, st]) => html`
            <span class="pill" data-exchange=${ex} data-market=${st} title=${`${ex} session (IST): ${st}`}>${ex} ${st}</span>`)
            : html`<span class="pill" data-market="unknown">market —</span>`}
        </span>
        ${replay && html`<span id="replay-badge" class="pill replay" data-finished=${String(!!replay.finished)}
          title=${`Serving the recording ${replay.input} at ${replay.speed}× real time${replay.finished ? ': played to its end' : ''}`}>
          REPLAY ${new Date(Date.parse(replay.recorded_time) + IST_OFFSET_MS).toISOString().slice(0, 10)} ${clock(replay.recorded_time)} IST · ${replay.speed}×</span>`}
        <span id="status-badge" class="badge" data-state=${status.mode} data-quality=${quality}
          title=${status.message || label} role="status" aria-live="polite">${label}</span>
      </div>
    </header>
    <p id="notice" class="notice" hidden=${!notice}>${notice}</p>`;
}

export function Footer() {
  const [hb, setHb] = useState(live.heartbeat);
  const [health, setHealth] = useState({ text: 'server —', status: 'unknown' });
  useEffect(() => {
    const off = on('heartbeat', setHb);
    const poll = async () => {
      try {
        const res = await fetch('health', { cache: 'no-store' });
        const body = await res.json();
        setHealth({ text: `server ${body.status || res.status}`, status: body.status || 'unknown' });
      } catch {
        setHealth({ text: 'server unreachable', status: 'down' });
      }
    };
    poll();
    const t = setInterval(poll, HEALTH_EVERY_MS);
    return () => { off(); clearInterval(t); };
  }, []);
  const h = (hb && hb.connection_health) || {};
  const ago = isNum(h.last_tick_seconds_ago) ? ` · last tick ${h.last_tick_seconds_ago.toFixed(1)} s ago` : '';
  return html`
    <footer class="footer">
      <span id="heartbeat" data-healthy=${String(h.is_healthy !== false)}
        title=${hb ? `feed ${h.state || '?'} · quality ${h.connection_quality || '?'}${h.using_rest_fallback ? ' · using REST fallback' : ''}` : 'Last heartbeat from the server'}>
        ${hb ? `heartbeat ${clock(hb.timestamp)} IST${ago}` : 'heartbeat —'}</span>
      <span class="keys" title="Keyboard shortcuts">B buy · S sell · Esc cancel · / search</span>
      <span id="health" data-status=${health.status} title="GET /health">${health.text}</span>
    </footer>`;
}
