// dbmetrics page: signs in with a pasted JWT, shows one project's databases as cards, live through a fetch-based
// Server-Sent-Events reader (EventSource cannot send Authorization), falling back to polling when streaming fails.
'use strict';

const TOKEN_KEY = 'dbmetrics.token';
const HOUR_MS = 3600 * 1000;
const POLL_MS = 5000;            // listing poll interval when the stream is unavailable
const STREAM_RETRY_MS = 60000;   // while polling, how often the stream is tried again
const RESYNC_MS = 30000;         // while streaming, re-read the listing now and then (stale flags, removals)
const MAX_STREAM_FAILURES = 3;

const METRICS = [
  { key: 'cpu_usage', label: 'CPU', format: (v) => `${fmt(v, 2, 2)} cores` },
  { key: 'memory_usage', label: 'Memory', format: bytes },
  { key: 'operations_per_sec', label: 'Operations', format: (v) => `${fmt(v, 0, v < 10 ? 1 : 0)} ops/s` },
  { key: 'connections', label: 'Connections', format: (v) => fmt(v, 0, 0) },
  { key: 'storage_size', label: 'Storage', format: bytes },
];

const $ = (id) => document.getElementById(id);
const SVG_NS = 'http://www.w3.org/2000/svg';

let token = null;     // the raw JWT, also in sessionStorage
let view = null;      // the open project: { domain, project, cards: Map(id -> card), live }
let clockSkew = 0;    // ms the browser clock is ahead of the server's, estimated from age_seconds

// ---------- formatting ----------

function fmt(v, minDigits, maxDigits) {
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits });
}

function bytes(v) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${fmt(v, 0, 0)} B` : `${fmt(v, 1, 1)} ${units[i]}`;
}

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

// ---------- messages and token ----------

function showMessage(text) {
  const el = $('message');
  el.textContent = text || '';
  el.hidden = !text;
}

/** The JWT payload (base64url JSON), or null when it is not a JWT. Not verified: the server does that. */
function decodeToken(jwt) {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '=');
    const bin = atob(b64);
    const json = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

function signIn(jwt, quiet) {
  const claims = decodeToken(jwt);
  if (!claims) { if (!quiet) showMessage('That does not look like a token (expected a JWT: three parts separated by dots).'); return false; }
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
    if (!quiet) showMessage('This token has expired. Ask for a new one.');
    return false;
  }
  token = jwt;
  sessionStorage.setItem(TOKEN_KEY, jwt);
  const tenants = Array.isArray(claims.tenants) ? claims.tenants.filter((t) => typeof t === 'string') : [];
  $('user').textContent = claims.sub ? `Signed in as ${claims.sub}` : 'Signed in';
  $('tenants').textContent = tenants.length ? `Your projects: ${tenants.join(', ')}` : '';
  $('who').hidden = false;
  $('signin-view').hidden = true;
  $('project-view').hidden = false;
  $('token').value = '';

  // The project: from the URL hash if any, else the token's first tenant (a wildcard fills the domain only)
  const fromHash = parseHash();
  if (fromHash) {
    openProject(fromHash.domain, fromHash.project);
  } else if (tenants.length) {
    const [d, p] = tenants[0].split('/');
    $('domain').value = d && d !== '*' ? d : '';
    $('project').value = p && p !== '*' ? p : '';
    ($('domain').value ? $('project') : $('domain')).focus();
  }
  return true;
}

function signOut(message) {
  closeProject();
  $('cards').replaceChildren(); // nothing of the tenant's data stays in the page
  $('project-title').textContent = 'No project open';
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('who').hidden = true;
  $('project-view').hidden = true;
  $('signin-view').hidden = false;
  showMessage(message || '');
  $('token').focus();
}

function parseHash() {
  const m = /^#\/([^/]+)\/([^/]+)\/?$/.exec(location.hash);
  if (!m) return null;
  try { return { domain: decodeURIComponent(m[1]), project: decodeURIComponent(m[2]) }; } catch { return null; }
}

// ---------- API ----------

class ApiError extends Error {
  constructor(status, message, retryAfter) { super(message); this.status = status; this.retryAfter = retryAfter; }
}

function projectPath(v) {
  return `/api/v1/domain/${encodeURIComponent(v.domain)}/project/${encodeURIComponent(v.project)}/databases`;
}

/** Turns a non-2xx answer into an ApiError carrying the server's `error` text (never a raw exception). */
async function apiError(res) {
  let text = `Request failed (HTTP ${res.status})`;
  try { const body = await res.json(); if (body && typeof body.error === 'string') text = body.error; } catch { /* not JSON */ }
  const retryAfter = parseInt(res.headers.get('Retry-After') || '', 10);
  return new ApiError(res.status, text, Number.isFinite(retryAfter) ? retryAfter : null);
}

async function apiGet(path, signal) {
  let res;
  try {
    res = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Cannot reach the server. Retrying…', 5);
  }
  if (!res.ok) throw await apiError(res);
  return res.json();
}

/** Shows an API failure; a 401 signs out. Returns the seconds to wait before retrying, or null to stop. */
function reportError(e) {
  if (e.name === 'AbortError') return null;
  if (e.status === 401) { signOut('Token rejected: sign in again.'); return null; }
  if (!(e instanceof ApiError)) { showMessage('Something went wrong. Retrying…'); return 5; }
  if (e.status === 429 || e.status === 503 || e.status === 0) {
    const wait = e.retryAfter || 5;
    showMessage(e.status === 0 ? e.message : `${e.message}. Retrying in ${wait} s.`);
    return wait;
  }
  showMessage(e.message);
  return null;
}

// ---------- project view ----------

function openProject(domain, project) {
  closeProject();
  showMessage('');
  $('domain').value = domain;
  $('project').value = project;
  const hash = `#/${encodeURIComponent(domain)}/${encodeURIComponent(project)}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
  $('project-title').textContent = `${domain} / ${project}`;
  $('cards').replaceChildren();
  $('empty').hidden = true;
  const v = { domain, project, cards: new Map(), abort: new AbortController(), historyQueue: [], historyBusy: false };
  v.live = new Live(v);
  view = v;
  v.live.status('connecting', 'Loading…');
  loadListing(v).then((ok) => {
    if (v !== view) return;
    if (ok) v.live.start();
    else v.live.status('connecting', 'Not connected');
  });
}

function closeProject() {
  if (!view) return;
  view.live.stop();
  view.abort.abort();
  view = null;
}

/** Reads every page of the listing and reconciles the cards with it. True when it succeeded. */
async function loadListing(v) {
  const started = Date.now();
  try {
    const items = [];
    let cursor = null;
    do {
      const q = `?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await apiGet(projectPath(v) + q, v.abort.signal);
      items.push(...(page.items || []));
      cursor = page.next_cursor;
    } while (cursor);
    if (v !== view) return false;
    const seen = new Set(items.map((s) => s.database_id));
    // Gone from the listing: remove, unless the stream brought it while the listing was read
    for (const [id, card] of [...v.cards]) if (!seen.has(id) && card.receivedAt < started) removeCard(v, id);
    items.forEach((s) => applySnapshot(v, s));
    $('empty').hidden = v.cards.size > 0;
    showMessage('');
    return true;
  } catch (e) {
    const wait = v === view ? reportError(e) : null;
    if (wait !== null) {
      await sleep(wait * 1000, v.abort.signal);
      return v === view ? loadListing(v) : false;
    }
    return false;
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

// ---------- cards ----------

/** Applies a snapshot (from the listing or the stream): adds the card when unknown, ignores older data. */
function applySnapshot(v, snap) {
  if (!snap || typeof snap.database_id !== 'string') return;
  const t = Date.parse(snap.timestamp);
  if (typeof snap.age_seconds === 'number' && Number.isFinite(t)) {
    // age_seconds is whole seconds: follow the estimate only when it moves by more than rounding would
    const skew = Date.now() - t - snap.age_seconds * 1000;
    if (Math.abs(skew - clockSkew) > 2000) clockSkew = skew;
  }
  let card = v.cards.get(snap.database_id);
  if (!card) {
    card = createCard(v, snap);
  } else if (t < card.time) {
    return; // older than what is shown (the listing may lag behind the stream)
  }
  card.time = t;
  card.receivedAt = Date.now();
  card.snap = snap;
  renderCard(card);
  addPoint(card, t, snap.metrics || {});
  $('empty').hidden = true;
}

function createCard(v, snap) {
  const el = $('card-template').content.firstElementChild.cloneNode(true);
  el.dataset.databaseId = snap.database_id;
  const dl = el.querySelector('.metrics');
  const card = { el, time: -Infinity, snap, points: [], rows: {} };
  for (const m of METRICS) {
    const row = document.createElement('div');
    row.className = 'metric';
    const dt = document.createElement('dt');
    dt.textContent = m.label;
    const dd = document.createElement('dd');
    const reading = document.createElement('span');
    const value = document.createElement('span');
    value.className = 'value';
    value.dataset.metric = m.key;
    const noData = document.createElement('span');
    noData.className = 'no-data';
    reading.append(value, noData);
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('role', 'img');
    svg.setAttribute('viewBox', '0 0 120 32');
    svg.setAttribute('preserveAspectRatio', 'none');
    const path = document.createElementNS(SVG_NS, 'path');
    svg.append(path);
    dd.append(reading, svg);
    row.append(dt, dd);
    dl.append(row);
    card.rows[m.key] = { value, noData, svg, path };
  }
  // Keep the cards sorted by id, as the listing is
  const next = [...v.cards.keys()].filter((id) => id > snap.database_id).sort()[0];
  $('cards').insertBefore(el, next ? v.cards.get(next).el : null);
  v.cards.set(snap.database_id, card);
  queueHistory(v, card, snap.database_id);
  return card;
}

function renderCard(card) {
  const s = card.snap;
  const el = card.el;
  el.querySelector('.card-title').textContent = s.database_name || s.database_id;
  el.querySelector('.db-id').textContent = s.database_id;
  el.querySelector('.engine').textContent = s.engine || 'unknown engine';
  const metrics = s.metrics || {};
  for (const m of METRICS) {
    const r = card.rows[m.key];
    const raw = metrics[m.key];
    const has = typeof raw === 'number' && Number.isFinite(raw);
    r.value.dataset.value = has ? String(raw) : '';
    r.value.textContent = has ? m.format(raw) : '—';
    r.value.classList.toggle('missing', !has);
    r.noData.textContent = has ? '' : 'no data';
  }
  // The stale banner exists only while the snapshot is stale
  let banner = el.querySelector('.stale-banner');
  el.classList.toggle('is-stale', !!s.stale);
  if (s.stale) {
    if (!banner) {
      banner = document.createElement('p');
      banner.className = 'stale-banner';
      banner.setAttribute('role', 'status');
      el.querySelector('.card-head').after(banner);
    }
    banner.textContent = `⚠ Stale: ${s.reason || 'data is out of date'}`;
  } else if (banner) {
    banner.remove();
  }
  tickCard(card);
}

function tickCard(card) {
  const age = Number.isFinite(card.time) ? ago(Date.now() - clockSkew - card.time) : '?';
  card.el.querySelector('.age').textContent = `updated ${age} ago`;
}

function removeCard(v, id) {
  const card = v.cards.get(id);
  if (!card) return;
  card.el.remove();
  v.cards.delete(id);
  $('empty').hidden = v.cards.size > 0;
}

// ---------- sparklines ----------

/** Adds one point ({t, metrics}) if newer than the last, keeps the last hour, redraws. */
function addPoint(card, t, metrics) {
  if (!Number.isFinite(t)) return;
  const last = card.points[card.points.length - 1];
  if (last && t <= last.t) return;
  card.points.push({ t, metrics });
  trimAndDraw(card);
}

function trimAndDraw(card) {
  const newest = card.points.length ? card.points[card.points.length - 1].t : 0;
  while (card.points.length && card.points[0].t < newest - HOUR_MS) card.points.shift();
  for (const m of METRICS) drawSpark(card, m);
}

function drawSpark(card, m) {
  const { svg, path } = card.rows[m.key];
  const pts = card.points.map((p) => ({ t: p.t, v: p.metrics[m.key] }));
  const vals = pts.map((p) => p.v).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const name = m.label.toLowerCase();
  if (!vals.length) {
    path.setAttribute('d', '');
    svg.setAttribute('aria-label', `${name} over the last hour: no data`);
    return;
  }
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const t0 = pts[0].t;
  const span = Math.max(1, pts[pts.length - 1].t - t0);
  // Missing values break the line (a new "M" segment) instead of dropping to zero
  let d = '';
  let pen = false;
  for (const p of pts) {
    if (typeof p.v !== 'number' || !Number.isFinite(p.v)) { pen = false; continue; }
    const x = pts.length === 1 ? 120 : ((p.t - t0) / span) * 118 + 1;
    const y = hi === lo ? 16 : 30 - ((p.v - lo) / (hi - lo)) * 28;
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
    if (!pen && pts.length === 1) d += 'h-2'; // a single point: a short dash
    pen = true;
  }
  path.setAttribute('d', d);
  svg.setAttribute('aria-label', `${name} over the last hour, ${m.format(lo)} to ${m.format(hi)}`);
}

/** Loads the last hour of each card's history, one request at a time (they count against the rate limit). */
function queueHistory(v, card, id) {
  v.historyQueue.push({ card, id });
  if (!v.historyBusy) drainHistory(v);
}

async function drainHistory(v) {
  v.historyBusy = true;
  while (v === view && v.historyQueue.length) {
    const { card, id } = v.historyQueue.shift();
    if (v.cards.get(id) !== card) continue;
    try {
      const h = await apiGet(`${projectPath(v)}/${encodeURIComponent(id)}/metrics/history`, v.abort.signal);
      const old = (h.points || []).map((p) => ({ t: Date.parse(p.timestamp), metrics: p.metrics || {} }))
        .filter((p) => Number.isFinite(p.t));
      // Merge with the live points that came meanwhile, by time, without duplicates
      const byTime = new Map([...old, ...card.points].map((p) => [p.t, p]));
      card.points = [...byTime.values()].sort((a, b) => a.t - b.t);
      trimAndDraw(card);
    } catch (e) {
      if (e.name === 'AbortError') break;
      if (e.status === 401) { reportError(e); break; }
      if (e.status === 429) { v.historyQueue.unshift({ card, id }); await sleep((e.retryAfter || 5) * 1000, v.abort.signal); }
      // other failures: no history for this card, its sparklines fill with live points
    }
  }
  v.historyBusy = false;
}

// ---------- live updates ----------

/** The live feed of one project: a fetch-based SSE reader with Last-Event-ID resume, or polling as a fallback. */
class Live {
  constructor(v) {
    this.v = v;
    this.lastId = null;
    this.retryMs = 2000;     // the server's `retry:` overrides it
    this.failures = 0;
    this.abort = new AbortController();
    this.timers = new Set();
    this.polling = false;
    this.pollGen = 0;        // a new poll loop makes the older one's pending turn a no-op
  }

  start() { this.connect(); }

  stop() {
    this.abort.abort();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }

  later(ms, fn) {
    const t = setTimeout(() => { this.timers.delete(t); if (!this.abort.signal.aborted) fn(); }, ms);
    this.timers.add(t);
  }

  status(mode, text) {
    const el = $('live-status');
    if (el.dataset.mode === mode && el.textContent === text) return;
    el.dataset.mode = mode;
    el.textContent = text;
  }

  async connect() {
    if (!this.polling) this.status('connecting', 'Connecting to live updates…');
    let opened = false;
    let waitMs = this.retryMs;
    try {
      const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
      if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
      const res = await fetch(`${projectPath(this.v)}/stream`, { headers, signal: this.abort.signal, cache: 'no-store' });
      const type = res.headers.get('Content-Type') || '';
      if (!res.ok) {
        const e = await apiError(res);
        if (e.status === 401) { reportError(e); return; }
        if (e.retryAfter) waitMs = Math.max(waitMs, e.retryAfter * 1000);
        throw e;
      }
      if (!type.startsWith('text/event-stream') || !res.body) throw new Error('not an event stream');
      opened = true;
      const started = Date.now();
      this.onOpen();
      const delivered = await this.read(res.body.getReader());
      // A stream that ends at once without delivering anything counts as a failure
      if (!delivered && Date.now() - started < 5000) opened = false;
    } catch (e) {
      if (this.abort.signal.aborted) return;
    }
    if (this.abort.signal.aborted) return;
    if (opened) {
      this.status('connecting', 'Live updates interrupted, reconnecting…');
      this.later(this.retryMs, () => this.connect());
      return;
    }
    this.failures++;
    if (this.failures >= MAX_STREAM_FAILURES) {
      this.startPolling();
      this.later(Math.max(STREAM_RETRY_MS, waitMs), () => this.connect());
    } else {
      this.later(waitMs, () => this.connect());
    }
  }

  onOpen() {
    this.failures = 0;
    this.polling = false; // stops the poll loop at its next turn
    this.status('stream', 'Live: streaming updates');
    this.scheduleResync();
  }

  /** Reads events until the stream ends or says `shutdown`; true when at least one event with data came. */
  async read(reader) {
    const decoder = new TextDecoder();
    let buf = '';
    let delivered = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return delivered;
      buf += decoder.decode(value, { stream: true });
      // Normalise line ends; a trailing CR waits for the next chunk (it may be half of a CRLF)
      const cr = buf.endsWith('\r');
      buf = (cr ? buf.slice(0, -1) : buf).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const type = this.dispatch(block);
        if (type) delivered = true;
        if (type === 'shutdown') { reader.cancel().catch(() => {}); return true; }
      }
      if (cr) buf += '\r';
    }
  }

  /** Parses one event block (lines of `field: value`), applies it, returns its type (null when it had no data). */
  dispatch(block) {
    let type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue; // comments are heartbeats
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'event') type = val;
      else if (field === 'data') data.push(val);
      else if (field === 'id' && !val.includes('\0')) this.lastId = val;
      else if (field === 'retry' && /^\d+$/.test(val)) this.retryMs = Number(val);
    }
    if (!data.length) return null;
    let body;
    try { body = JSON.parse(data.join('\n')); } catch { return type; }
    if (type === 'snapshot') applySnapshot(this.v, body);
    else if (type === 'removed' && body) removeCard(this.v, body.database_id);
    return type;
  }

  /** While streaming, re-reads the listing every RESYNC_MS: stale flags and removals the stream cannot carry. */
  scheduleResync() {
    if (this.resyncing) return;
    this.resyncing = true;
    this.later(RESYNC_MS, async () => {
      this.resyncing = false;
      if (this.polling || $('live-status').dataset.mode !== 'stream') return;
      await loadListing(this.v);
      this.scheduleResync();
    });
  }

  startPolling() {
    this.status('polling', 'Live updates unavailable, polling every 5 s');
    if (this.polling) return;
    this.polling = true;
    const gen = ++this.pollGen;
    const tick = async () => {
      if (!this.polling || gen !== this.pollGen) return;
      await loadListing(this.v);
      if (this.polling && gen === this.pollGen) this.later(POLL_MS, tick);
    };
    this.later(POLL_MS, tick);
  }
}

// ---------- wiring ----------

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const jwt = $('token').value.trim().replace(/^Bearer\s+/i, '');
    if (!jwt) { showMessage('Paste a token first.'); $('token').focus(); return; }
    if (signIn(jwt, false)) showMessage('');
  });
  $('project-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const d = $('domain').value.trim();
    const p = $('project').value.trim();
    if (!d || !p) { showMessage('Enter both a domain and a project.'); (d ? $('project') : $('domain')).focus(); return; }
    openProject(d, p);
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  window.addEventListener('hashchange', () => {
    const h = parseHash();
    if (token && h && (!view || h.domain !== view.domain || h.project !== view.project)) openProject(h.domain, h.project);
  });
  // "updated Ns ago" on every card, every second
  setInterval(() => { if (view) view.cards.forEach(tickCard); }, 1000);

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (!saved || !signIn(saved, true)) signOut(saved ? 'Your token has expired: sign in again.' : '');
});
