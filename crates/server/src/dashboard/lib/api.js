//! HTTP helpers: JSON in and out, the browser's watchlist id, and the trip to the login
//! page when the server has API keys and this browser holds no session.

const CLIENT_ID_KEY = 'mandi.client-id';

/** A random id kept in localStorage: whose watchlists these are when no API keys are set. */
export function clientId() {
  let id = localStorage.getItem(CLIENT_ID_KEY);
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = crypto.randomUUID();
    localStorage.setItem(CLIENT_ID_KEY, id);
  }
  return id;
}

/** An error carrying the server's `error` code and message. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
  }
}

/** `fetch` + JSON, refusing non-2xx with the server's message. */
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, cache: 'no-store', headers: { 'x-mandi-client': clientId(), ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.replace('login');
    return new Promise(() => {});
  }
  let json = null;
  try { json = await res.json(); } catch { /* empty or not JSON */ }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

const metaCache = new Map(); // symbol → instrument (lot and tick size), looked up once

/** The instrument `symbol` names, from the search endpoint (null when unknown). */
export async function instrumentOf(symbol) {
  if (metaCache.has(symbol)) return metaCache.get(symbol);
  const body = await api(`api/instruments/search?q=${encodeURIComponent(symbol)}&limit=10`);
  const hit = (body.results || []).find((r) => r.symbol === symbol) || null;
  if (hit) metaCache.set(symbol, hit);
  return hit;
}
