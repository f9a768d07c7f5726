// The patrol recorder. A web page cannot track GPS with the screen off, so the trace keeps
// explicit gaps (page hidden, GPS lost), holds a wake lock, and check-ins carry accuracy.
// Fixes: bad accuracy and impossible jumps are dropped, the rest thinned; chunks go through
// the outbox, so a long patrol is never one giant payload and nothing is lost offline.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { timeOfDay } from './clock.js';
import { resizePhoto } from './photos.js';
import { add, drawGrids, points } from './gridmap.js';

const root = document.getElementById('patrol');
const CFG = JSON.parse(root.dataset.config);
const T = JSON.parse(document.getElementById('i18n')?.textContent || '{}');
const fmt = (s, vars) => (s || '').replace(/\{(\w+)\}/g, (_, k) => vars[k]);
const GRIDS = JSON.parse(document.getElementById('patrol-grids').textContent);
const $ = (sel) => root.querySelector(sel);
const author = () => Number(document.body.dataset.userId);
let state = null; // persisted in IndexedDB: survives the page being killed
let watchId = null;
let wakeLock = null;

const R = 6371008.8;
function metres(a, b) {
  const p1 = (a[2] * Math.PI) / 180; const p2 = (b[2] * Math.PI) / 180;
  const dp = p2 - p1; const dl = ((b[1] - a[1]) * Math.PI) / 180;
  const h = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

// Kept per user: a patrol left running on a shared phone goes on when its walker signs in again.
const PATROL_KEY = `patrol:${author()}`;
const save = () => store.setMeta(PATROL_KEY, state);
const nowIso = () => new Date().toISOString();

async function enqueue(kind, data, photos = []) {
  await store.enqueue(newMutation(kind, kind === 'patrol.checkin' ? store.uuid() : state.id, data), photos);
  window.dispatchEvent(new Event('gridwalk:saved'));
}

async function flush() {
  if (!state || (!state.buffer.length && !state.pendingGaps.length)) return;
  const chunk = { seq: state.seq, points: state.buffer, gaps: state.pendingGaps };
  state.seq += 1;
  state.buffer = [];
  state.pendingGaps = [];
  await save();
  await enqueue('patrol.chunk', chunk);
}

function openGap(reason) {
  if (state && !state.gap) { state.gap = { start: nowIso(), reason }; save(); }
}

function closeGap() {
  if (state?.gap) {
    state.pendingGaps.push([state.gap.start, nowIso(), state.gap.reason]);
    state.gaps += 1;
    state.gap = null;
    save();
  }
}

async function onFix(pos) {
  const { longitude, latitude, accuracy } = pos.coords;
  // Stamped on arrival: with maximumAge 0 that is when it was taken, and it keeps one clock.
  const fix = [Math.round(Date.now() / 1000), longitude, latitude, Math.round(accuracy)];
  $('[data-gps]').textContent = `±${Math.round(accuracy)} m`;
  state.lastSeen = fix;
  if (accuracy > CFG.maxAccuracy) { state.dropped += 1; return; }
  state.goodAt = fix[0];
  if (state.gap?.reason === 'gps_lost') closeGap();
  const last = state.last;
  if (last) {
    const d = metres(last, fix);
    const dt = Math.max(fix[0] - last[0], 1);
    if (d / dt > CFG.maxSpeed) { state.dropped += 1; return; } // an impossible jump: a GPS glitch
    if (d < CFG.thinMeters && fix[0] - last[0] < CFG.thinSeconds) return; // thinning
    state.distance += d;
  }
  state.last = fix;
  state.trace.push(fix);
  state.buffer.push(fix);
  state.points += 1;
  render();
  if (state.buffer.length >= CFG.chunk) await flush(); else await save();
}

// One failed reading is not a lost GPS; no usable fix for a while is, and becomes a gap.
const GPS_LOST_S = 30;

function onError() {
  $('[data-gps]').textContent = '—';
}

function checkGps() {
  if (!state || state.gap || document.visibilityState === 'hidden') return;
  const since = state.goodAt || Date.parse(state.started_at) / 1000;
  if (Date.now() / 1000 - since > GPS_LOST_S) {
    state.gap = { start: new Date(since * 1000).toISOString(), reason: 'gps_lost' };
    save();
  }
}

async function holdWakeLock() {
  try { wakeLock = await navigator.wakeLock?.request('screen'); } catch (err) { wakeLock = null; }
}

function watch() {
  if (watchId === null && navigator.geolocation) {
    watchId = navigator.geolocation.watchPosition(onFix, onError, { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 });
  }
  holdWakeLock();
}

function render() {
  if (!state) return;
  const secs = Math.max(0, Math.round((Date.now() - Date.parse(state.started_at)) / 1000));
  $('[data-stat=duration]').textContent = `${Math.floor(secs / 3600)}:${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')}`;
  $('[data-stat=distance]').textContent = `${Math.round(state.distance)} m`;
  $('[data-stat=points]').textContent = state.points;
  $('[data-stat=gaps]').textContent = state.gaps + (state.gap ? 1 : 0);
}

function show(section) {
  ['idle', 'running', 'summary'].forEach((s) => { $(`[data-${s}]`).hidden = s !== section; });
}

// Share of the grid within 15 m of the trace, sampled on a lattice (the server computes it exactly).
function coverage(trace, grid) {
  const rings = grid.geometry.type === 'Polygon' ? [grid.geometry.coordinates[0]] : grid.geometry.coordinates.map((p) => p[0]);
  const inside = (x, y) => rings.some((ring) => {
    let c = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const [xi, yi] = ring[i]; const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
    }
    return c;
  });
  const xs = rings.flat().map((c) => c[0]); const ys = rings.flat().map((c) => c[1]);
  let total = 0; let near = 0;
  for (let i = 0; i < 40; i += 1) {
    for (let j = 0; j < 40; j += 1) {
      const x = Math.min(...xs) + ((i + 0.5) / 40) * (Math.max(...xs) - Math.min(...xs));
      const y = Math.min(...ys) + ((j + 0.5) / 40) * (Math.max(...ys) - Math.min(...ys));
      if (!inside(x, y)) continue;
      total += 1;
      if (trace.some((f) => metres(f, [0, x, y]) <= 15)) near += 1;
    }
  }
  return total ? Math.round((1000 * near) / total) / 10 : 0;
}

// The stop summary's map: the grid's outline, the worker's own trace and the check-ins.
function drawMap(svg, grid, trace, spots) {
  const line = trace.map((f) => [f[1], f[2]]);
  const view = drawGrids(svg, grid ? [grid] : [], [...line, ...spots]);
  if (!view) return;
  if (line.length) add(svg, 'polyline', { points: points(view, line), class: 'trace', 'data-points': line.length });
  spots.forEach((c) => { const [cx, cy] = view.project(c); add(svg, 'circle', { cx: cx.toFixed(1), cy: cy.toFixed(1), r: 16, class: 'checkin' }); });
}

async function start() {
  state = { id: store.uuid(), grid_id: Number($('#patrol-grid').value), started_at: nowIso(), seq: 0, buffer: [],
    pendingGaps: [], gap: null, gaps: 0, points: 0, distance: 0, dropped: 0, last: null, trace: [] };
  await save();
  await enqueue('patrol.start', { started_at: state.started_at, grid_id: state.grid_id });
  show('running');
  watch();
}

async function stop(endedAt) {
  closeGap();
  await flush();
  await enqueue('patrol.stop', endedAt === undefined ? { ended_at: nowIso() } : {});
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  wakeLock?.release?.();
  const grid = GRIDS.find((g) => g.id === state.grid_id) || GRIDS[0];
  const end = endedAt === undefined ? Date.now() : (state.last ? state.last[0] * 1000 : Date.parse(state.started_at));
  const secs = Math.round((end - Date.parse(state.started_at)) / 1000);
  const sum = { duration: fmt(T.minutes, { n: Math.floor(secs / 60) }), distance: fmt(T.km, { n: (state.distance / 1000).toFixed(2) }),
    points: String(state.points), checkins: String(state.checkins || 0), gaps: String(state.gaps), coverage: grid ? `${coverage(state.trace, grid)}%` : '—' };
  Object.entries(sum).forEach(([k, v]) => { $(`[data-sum=${k}]`).textContent = v; });
  drawMap($('[data-sum-map]'), grid, state.trace, state.checkinSpots || []);
  state = null;
  await store.setMeta(PATROL_KEY, null);
  show('summary');
}

async function checkIn(event) {
  event.preventDefault();
  const status = $('[data-checkin-status]');
  const fix = state?.lastSeen;
  if (!fix) { status.textContent = $('[data-gps]').textContent; return; }
  const photos = [];
  const file = $('#checkin-photo').files[0];
  if (file) photos.push({ id: store.uuid(), blob: await resizePhoto(file), type: 'image/jpeg' });
  const [linkKind, linkId] = ($('#checkin-link').value || ':').split(':');
  await enqueue('patrol.checkin', { patrol_id: state.id, lon: fix[1], lat: fix[2], accuracy: fix[3],
    note: $('#checkin-note').value.trim(), photo_id: photos[0]?.id || null,
    link_kind: linkKind || null, link_id: linkId || null }, photos);
  state.checkins = (state.checkins || 0) + 1;
  state.checkinSpots = [...(state.checkinSpots || []), [fix[1], fix[2]]];
  await save();
  event.target.reset();
  status.textContent = `✓ ${timeOfDay(Date.now())} ±${fix[3]} m`;
}

document.addEventListener('visibilitychange', async () => {
  if (!state) return;
  if (document.visibilityState === 'hidden') { openGap('hidden'); await flush(); return; }
  closeGap();
  state.goodAt = Date.now() / 1000; // give the GPS its time again before calling it lost
  holdWakeLock();
});

$('[data-start]').addEventListener('click', start);
$('[data-stop]').addEventListener('click', () => stop());
$('[data-checkin]').addEventListener('submit', checkIn);
$('[data-resume-go]').addEventListener('click', () => { closeGap(); show('running'); watch(); render(); });
$('[data-close-old]').addEventListener('click', () => stop(null));
// A heartbeat: when the walker goes to another page (a report, a visit) and comes back, the
// time away becomes a gap in the trace instead of a silent hole.
async function beat() {
  if (!state || state.gap) return;
  state.aliveAt = nowIso();
  await save();
}
setInterval(() => { checkGps(); render(); beat(); }, 5000);

// Check-ins may point at a registry record or one of my reports that the phone already holds.
async function fillLinks() {
  const select = $('#checkin-link');
  const records = (await store.records('record')).sort((a, b) => (a.name || '').localeCompare(b.name || '', 'zh'));
  const events = (await store.records('event')).filter((e) => e.mine);
  for (const r of records.slice(0, 300)) select.append(new Option(r.name, `record:${r.id}`));
  for (const e of events.slice(0, 50)) select.append(new Option(e.description.slice(0, 30), `event:${e.id}`));
}

(async () => {
  fillLinks();
  state = await store.getMeta(PATROL_KEY);
  const legacy = state ? null : await store.getMeta('patrol');  // kept under one key before 12/2026
  if (legacy) { state = legacy; await save(); await store.setMeta('patrol', null); }
  if (state && !state.gap && state.aliveAt) { state.gap = { start: state.aliveAt, reason: 'left' }; await save(); }
  if (state) { $('[data-resume]').hidden = false; $('[data-start]').hidden = true; }
  show('idle');
})();
