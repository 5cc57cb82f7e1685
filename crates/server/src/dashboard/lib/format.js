//! Number, time and sign formatting shared by every panel (en-IN grouping, IST clock).
export const priceFmt = new Intl.NumberFormat('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const qtyFmt = new Intl.NumberFormat('en-IN', { maximumFractionDigits: 0 });
const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** A price, or "—" when there is none (null, NaN, or 0 where 0 means "not sent"). */
export function price(v, zeroIsMissing = false) {
  if (!isNum(v) || (zeroIsMissing && v === 0)) return '—';
  return priceFmt.format(v);
}

export function qty(v, zeroIsMissing = false) {
  if (!isNum(v) || (zeroIsMissing && v === 0)) return '—';
  return qtyFmt.format(v);
}

export function pct(v) {
  return isNum(v) ? (v > 0 ? '+' : '') + v.toFixed(2) + '%' : '—';
}

/** `fixed(v, 4)`: greeks, with "—" for no value. */
export function fixed(v, digits) {
  return isNum(v) ? v.toFixed(digits) : '—';
}

export function sign(v) {
  return isNum(v) && v !== 0 ? (v > 0 ? 'up' : 'down') : '';
}

export function clock(iso, missing = '—') {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? timeFmt.format(d) : missing;
}

/** Rounds `v` to the instrument's tick (0.05 by default), as the exchange would accept it. */
export function onTick(v, tick = 0.05) {
  if (!isNum(v)) return v;
  const t = tick > 0 ? tick : 0.05;
  return Math.round(Math.round(v / t) * t * 100) / 100;
}
