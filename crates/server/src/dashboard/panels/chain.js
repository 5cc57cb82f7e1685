//! Option chain: underlying, expiry and ATM ± N; per strike and leg LTP, change, bid, ask,
//! volume, OI and the day's OI change (where the broker sends yesterday's OI), IV and
//! greeks; ATM and in-the-money shading; PCR. Prices stream from the socket for the
//! visible legs only; IV and greeks come from /api/option-chain?quotes=true, refreshed
//! every CHAIN_REFRESH_MS (the server computes them from one price snapshot).
import { html, useEffect, useState } from '../vendor/preact-htm.module.js';
import { api } from '../lib/api.js';
import { useLive } from '../lib/socket.js';
import { price, qty, fixed, isNum, sign } from '../lib/format.js';
import { select, openTicket } from '../lib/selection.js';
import { addToWatchlist } from './watchlist.js';

const CHAIN_REFRESH_MS = 2000;
const UNDERLYINGS = [['NIFTY', 'NSE'], ['BANKNIFTY', 'NSE'], ['FINNIFTY', 'NSE'], ['SENSEX', 'BSE'], ['BANKEX', 'BSE']];
const STRIKE_CHOICES = [5, 10, 15, 20];
// Per leg, outermost first for the call side (the put side mirrors it).
const LEG_FIELDS = [
  ['oi', 'OI'], ['oi_change', 'OI Chg'], ['volume', 'Vol'], ['vega', 'Vega'], ['theta', 'Theta'], ['gamma', 'Gamma'], ['delta', 'Delta'],
  ['iv', 'IV %'], ['change', 'Chg'], ['bid', 'Bid'], ['ask', 'Ask'], ['ltp', 'LTP'],
];

/** The leg's value for `field`: the streamed tick first, the chain's quote otherwise. */
function legValue(field, leg, tick) {
  const q = (leg && leg.quote) || {};
  switch (field) {
    case 'ltp': return tick && tick.ltp > 0 ? tick.ltp : q.ltp;
    case 'bid': return tick && tick.bid > 0 ? tick.bid : q.bid;
    case 'ask': return tick && tick.ask > 0 ? tick.ask : q.ask;
    case 'volume': return tick && isNum(tick.volume) ? tick.volume : q.volume;
    case 'oi': return tick && isNum(tick.oi) ? tick.oi : q.oi;
    case 'oi_change': {
      // Live OI against yesterday's (the tick carries prev_oi only when the broker sent it).
      const prev = (tick && tick.prev_oi) || q.prev_oi;
      const oi = legValue('oi', leg, tick);
      return prev > 0 && isNum(oi) ? oi - prev : q.oi_change;
    }
    case 'change': return tick && isNum(tick.prev_close) && tick.prev_close > 0 && tick.ltp > 0 ? tick.ltp - tick.prev_close : q.change;
    default: return q[field];
  }
}

function show(field, v) {
  switch (field) {
    case 'oi': case 'volume': return qty(v);
    case 'oi_change': return isNum(v) ? `${v > 0 ? '+' : ''}${qty(v)}` : '—';
    case 'iv': return isNum(v) ? (v * 100).toFixed(2) : '—';
    case 'delta': return fixed(v, 3);
    case 'gamma': return fixed(v, 5);
    case 'theta': case 'vega': return fixed(v, 2);
    default: return price(v);
  }
}

function LegCells({ side, leg, tick, itm }) {
  const fields = side === 'call' ? LEG_FIELDS : [...LEG_FIELDS].reverse();
  if (!leg) return fields.map(() => html`<td class=${`leg ${side}`}>—</td>`);
  const meta = { lot_size: leg.lot_size, tick_size: leg.tick_size, exchange: leg.exchange };
  const actions = html`<span class="leg-actions" onClick=${(e) => e.stopPropagation()}>
      <button class="buy" title=${`Buy ${leg.symbol}`} onClick=${() => openTicket(leg.symbol, 'BUY', meta)}>B</button>
      <button class="sell" title=${`Sell ${leg.symbol}`} onClick=${() => openTicket(leg.symbol, 'SELL', meta)}>S</button>
      <button class="add" title="Add to the watchlist" onClick=${() => addToWatchlist(leg.symbol)}>+</button>
    </span>`;
  return fields.map(([f], i) => {
    const v = legValue(f, leg, tick);
    const edge = (side === 'call' && i === fields.length - 1) || (side === 'put' && i === 0);
    return html`<td class=${`leg ${side}${itm ? ' itm' : ''}`} data-leg=${side} data-field=${f}
        data-sign=${f === 'change' || f === 'oi_change' ? sign(v) : undefined}
        title=${f === 'iv' && leg.quote && leg.quote.iv_error ? leg.quote.iv_error : leg.symbol}
        onClick=${() => select(leg.symbol, meta)}>${edge && side === 'put' ? actions : ''}${show(f, v)}${edge && side === 'call' ? actions : ''}</td>`;
  });
}

export function ChainPanel() {
  const [underlying, setUnderlying] = useState('NIFTY');
  const [exchange, setExchange] = useState('NSE');
  const [expiry, setExpiry] = useState('');
  const [strikes, setStrikes] = useState(10);
  const [chain, setChain] = useState(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let stop = false;
    let timer = null;
    const load = async () => {
      const params = new URLSearchParams({ underlying, exchange, strikes: String(strikes), quotes: 'true' });
      if (expiry) params.set('expiry', expiry);
      try {
        const body = await api(`api/option-chain?${params}`);
        if (stop) return;
        setChain(body);
        setError('');
      } catch (e) {
        if (stop) return;
        setError(e.message);
        if (e.code === 'unknown_expiry') setExpiry('');
      }
      if (!stop) timer = setTimeout(load, CHAIN_REFRESH_MS);
    };
    load();
    return () => { stop = true; clearTimeout(timer); };
  }, [underlying, exchange, expiry, strikes]);

  const rows = (chain && chain.underlying === underlying && chain.rows) || [];
  const legs = rows.flatMap((r) => [r.call && r.call.symbol, r.put && r.put.symbol]);
  const live = useLive([underlying, ...legs]);
  const spotTick = live.ticks.get(underlying);
  const spot = spotTick && spotTick.ltp > 0 ? spotTick.ltp : chain && chain.underlying_price;
  const pickUnderlying = (name) => {
    const known = UNDERLYINGS.find(([u]) => u === name);
    setUnderlying(name);
    if (known) setExchange(known[1]);
    setExpiry('');
    setChain(null);
  };
  return html`
    <section id="chain" class="panel chain" aria-labelledby="chain-title">
      <div class="panel-head">
        <h2 id="chain-title">Option chain</h2>
        <label>Underlying
          <input id="chain-underlying" list="chain-underlyings" size="10" value=${underlying}
            onChange=${(e) => pickUnderlying(e.target.value.trim().toUpperCase())} />
          <datalist id="chain-underlyings">${UNDERLYINGS.map(([u]) => html`<option value=${u} />`)}</datalist>
        </label>
        <label>Exchange <select id="chain-exchange" value=${exchange} onChange=${(e) => { setExchange(e.target.value); setExpiry(''); }}>
          ${['NSE', 'BSE', 'MCX'].map((x) => html`<option value=${x}>${x}</option>`)}</select></label>
        <label>Expiry <select id="chain-expiry" value=${expiry || (chain && chain.expiry) || ''} onChange=${(e) => setExpiry(e.target.value)}>
          ${((chain && chain.expiries) || []).map((x) => html`<option value=${x}>${x}</option>`)}</select></label>
        <label>ATM ± <select id="chain-strikes" value=${strikes} onChange=${(e) => setStrikes(Number(e.target.value))}>
          ${STRIKE_CHOICES.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
        <span class="chain-info">
          <span id="chain-spot" title="Underlying LTP">${underlying} ${price(spot)}</span>
          <span id="chain-pcr" title="Put-call ratio: put OI over call OI across the rows shown">PCR ${fixed(chain && chain.put_call_ratio, 2)}</span>
        </span>
      </div>
      ${error && html`<p class="panel-note" data-kind="error">${error}</p>`}
      <div class="table-wrap chain-wrap">
        <table id="chain-table">
          <thead>
            <tr class="sides"><th colspan=${LEG_FIELDS.length}>CALLS</th><th></th><th colspan=${LEG_FIELDS.length}>PUTS</th></tr>
            <tr>${LEG_FIELDS.map(([, l]) => html`<th>${l}</th>`)}<th class="strike">Strike</th>${[...LEG_FIELDS].reverse().map(([, l]) => html`<th>${l}</th>`)}</tr>
          </thead>
          <tbody id="chain-body">
            ${!rows.length ? html`<tr class="placeholder"><td colspan=${LEG_FIELDS.length * 2 + 1}>${error ? 'No chain.' : 'Loading chain…'}</td></tr>`
              : rows.map((r) => {
                const atm = chain.atm_strike === r.strike;
                return html`<tr key=${r.strike} data-strike=${r.strike} class=${atm ? 'atm' : ''}>
                  <${LegCells} side="call" leg=${r.call} tick=${r.call && live.ticks.get(r.call.symbol)} itm=${isNum(spot) && r.strike < spot} />
                  <td class="strike" data-field="strike">${price(r.strike)}${atm ? html`<span class="atm-tag">ATM</span>` : ''}</td>
                  <${LegCells} side="put" leg=${r.put} tick=${r.put && live.ticks.get(r.put.symbol)} itm=${isNum(spot) && r.strike > spot} />
                </tr>`;
              })}
          </tbody>
        </table>
      </div>
    </section>`;
}
