// The quick report (随手拍): works offline. Saves to the outbox; the sync engine sends it.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { resizePhoto } from './photos.js';
import { drawGrids, onPick, placeMarker } from './gridmap.js';

const T = JSON.parse(document.getElementById('i18n')?.textContent || '{}');
const form = document.getElementById('report-form');
const $ = (sel) => form.querySelector(sel);
const photos = []; // {id, blob, type, url, uploaded}
let fixing = null;
const GOOD_ACCURACY = Number(form.dataset.goodAccuracy || 50);

function setError(name, messages) {
  const box = form.querySelector(`[data-error-for="${name}"]`);
  if (!box) return;
  box.textContent = (messages || []).join('；');
  box.hidden = !box.textContent;
}

function clearErrors() {
  form.querySelectorAll('[data-error-for]').forEach((b) => { b.textContent = ''; b.hidden = true; });
}

function renderPhotos() {
  const list = form.querySelector('#photo-list');
  list.replaceChildren(...photos.map((p, i) => {
    const li = document.createElement('li');
    const img = Object.assign(document.createElement('img'), { src: p.url, alt: `${T.photo} ${i + 1}` });
    const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'btn small', textContent: T.remove });
    remove.setAttribute('aria-label', `${T.remove} ${T.photo} ${i + 1}`);
    remove.addEventListener('click', () => { photos.splice(i, 1); renderPhotos(); });
    li.append(img, remove);
    return li;
  }));
  form.querySelector('#photo-count').textContent = `${photos.length} / 9`;
}

async function addPhotos(files) {
  if (files.length) setError('photos', []);
  for (const file of files) {
    if (photos.length >= 9) { setError('photos', [T.maxPhotos]); break; }
    try {
      const blob = await resizePhoto(file);
      photos.push({ id: store.uuid(), blob, type: 'image/jpeg', url: URL.createObjectURL(blob), uploaded: false });
    } catch (err) {
      setError('photos', [T.badPhoto]);
    }
  }
  renderPhotos();
}

const fmt = (s, vars) => (s || '').replace(/\{(\w+)\}/g, (_, k) => vars[k]);

// Open events of the same major category within 50 m, from the phone's own pulled events
// (offline too): the worker may add the report to one of them instead of opening a new case.
const NEAR_M = 50;
const OPEN = new Set(['reported', 'accepted', 'dispatched', 'in_progress', 'hold_requested', 'on_hold', 'extension_requested']);
let joining = null; // the event this report will support, when the worker says it is the same problem

function metres(lon1, lat1, lon2, lat2) {
  const rad = Math.PI / 180;
  const dp = (lat2 - lat1) * rad; const dl = (lon2 - lon1) * rad;
  const a = Math.sin(dp / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

async function showNearby() {
  const box = form.querySelector('#duplicate-hint');
  const lon = parseFloat($('[name=lon]').value); const lat = parseFloat($('[name=lat]').value);
  const categoryId = Number($('[name=category_id]').value);
  if (!box || Number.isNaN(lon) || !categoryId) { if (box) box.hidden = true; return; }
  const categories = new Map((await store.records('category')).map((c) => [c.id, c]));
  const major = (id) => (categories.get(id)?.code || '').slice(0, 2);
  const mine = major(categoryId);
  const near = (await store.records('event'))
    .filter((e) => OPEN.has(e.state) && mine && (e.category_code || '').slice(0, 2) === mine)
    .map((e) => ({ e, m: Math.round(metres(lon, lat, e.lon, e.lat)) }))
    .filter(({ m }) => m <= NEAR_M).sort((a, b) => a.m - b.m).slice(0, 5);
  box.hidden = !near.length;
  box.querySelector('[data-nearby]').replaceChildren(...near.map(({ e, m }) => {
    const li = document.createElement('li');
    li.dataset.event = e.id;
    const days = Math.max(0, Math.floor((Date.now() - Date.parse(e.reported_at)) / 86400000));
    if (e.photos?.[0]) li.append(Object.assign(document.createElement('img'), { src: e.photos[0].thumb, alt: e.category, width: 64, height: 64 }));
    // The category, how far and how old: never the description, which may name residents.
    li.append(Object.assign(document.createElement('span'), { textContent: ` ${e.category} · ${fmt(T.nearby, { m, d: days })} ` }));
    const same = Object.assign(document.createElement('button'), { type: 'button', className: 'btn small', textContent: joining === e.id ? T.joined : T.same });
    same.setAttribute('aria-pressed', String(joining === e.id));
    same.addEventListener('click', () => { joining = joining === e.id ? null : e.id; showNearby(); });
    li.append(same);
    return li;
  }));
  box.querySelector('[data-joined]').hidden = !joining;
}

function setPoint(lon, lat, accuracy, manual) {
  setError('lon', []);
  $('[name=lon]').value = lon.toFixed(7);
  $('[name=lat]').value = lat.toFixed(7);
  $('[name=accuracy]').value = accuracy == null ? '' : Math.round(accuracy);
  $('[name=location_manual]').checked = manual;
  const text = manual ? T.manualPoint : `${T.gpsPoint} ±${Math.round(accuracy)} m`;
  form.querySelector('#location-status').textContent = text;
  drawMarker();
  showNearby();
}

function locate() {
  const status = form.querySelector('#location-status');
  // The map opens on the worker's tap, never by itself: the page must not jump under a thumb.
  if (!navigator.geolocation) { status.textContent = T.noGps; return; }
  status.textContent = T.locating;
  navigator.geolocation.getCurrentPosition((pos) => {
    const { longitude, latitude, accuracy } = pos.coords;
    setPoint(longitude, latitude, accuracy, false);
    if (accuracy > GOOD_ACCURACY) status.textContent += ` — ${T.poorGps}`;
  }, () => { status.textContent = T.noGps; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
}

// A simple map: the worker's grids as SVG; a tap places the point (flagged as manual).
const grids = JSON.parse(document.getElementById('grids-data')?.textContent || '[]');
let view = null;

function showMap() {
  const svg = form.querySelector('#map');
  if (!grids.length) return;
  svg.parentElement.hidden = false;
  if (view) return;
  view = drawGrids(svg, grids);
  onPick(svg, view, ([lon, lat]) => setPoint(lon, lat, null, true));
  drawMarker();
}

function drawMarker() {
  const lon = parseFloat($('[name=lon]').value); const lat = parseFloat($('[name=lat]').value);
  if (view && !Number.isNaN(lon)) placeMarker(form.querySelector('#map'), view, lon, lat);
}

function readForm() {
  const data = {
    category_id: Number($('[name=category_id]').value) || null,
    description: $('[name=description]').value.trim(),
    urgency: $('[name=urgency]').value,
    lon: parseFloat($('[name=lon]').value),
    lat: parseFloat($('[name=lat]').value),
    accuracy: $('[name=accuracy]').value === '' ? null : Number($('[name=accuracy]').value),
    location_manual: $('[name=location_manual]').checked,
    photos: photos.map((p) => p.id),
  };
  const errors = {};
  if (!data.category_id) errors.category_id = [T.needCategory];
  if (!data.description) errors.description = [T.needDescription];
  if (Number.isNaN(data.lon) || Number.isNaN(data.lat)) errors.lon = [T.needLocation];
  if (!data.photos.length) errors.photos = [T.needPhoto];
  return { data, errors };
}

async function save(event) {
  event.preventDefault();
  clearErrors();
  const { data, errors } = readForm();
  if (Object.keys(errors).length) {
    Object.entries(errors).forEach(([k, v]) => setError(k, v));
    form.querySelector('[data-error-for]:not([hidden])')?.scrollIntoView({ block: 'center' });
    return;
  }
  const blobsOf = () => photos.map(({ id, blob, type, uploaded }) => ({ id, blob, type, uploaded }));
  if (joining && !fixing) {  // the same problem: a supporting report, no new case
    await store.enqueue(newMutation('event.support', store.uuid(),
      { event_id: joining, note: data.description, photos: data.photos }, { label: T.supportLabel }), blobsOf());
    window.dispatchEvent(new Event('gridwalk:saved'));
    location.href = form.dataset.after;
    return;
  }
  const select = $('[name=category_id]');
  // A fixed report keeps its record and the time it was made; it gets a new mutation id.
  const mutation = newMutation('event.report', fixing ? fixing.record_id : store.uuid(), data, {
    createdAt: fixing?.created_at, formVersion: Number(form.dataset.formVersion),
    label: select.options[select.selectedIndex]?.textContent.trim() || '' });
  const blobs = photos.map(({ id, blob, type, uploaded }) => ({ id, blob, type, uploaded }));
  if (fixing) await store.replaceItem(fixing.id, mutation, blobs);
  else await store.enqueue(mutation, blobs);
  window.dispatchEvent(new Event('gridwalk:saved'));
  location.href = form.dataset.after;
}

async function loadFix(id) {
  const item = (await store.outboxItems()).find((m) => m.id === id);
  if (!item || item.state !== 'needs_fix') return;
  fixing = item;
  $('[name=category_id]').value = item.data.category_id ?? '';
  $('[name=description]').value = item.data.description;
  $('[name=urgency]').value = item.data.urgency || 'normal';
  if (item.data.lon != null) setPoint(item.data.lon, item.data.lat, item.data.accuracy, item.data.location_manual);
  for (const pid of item.data.photos || []) {
    const b = await store.getBlob(pid);
    if (b) photos.push({ ...b, url: URL.createObjectURL(b.blob) });
  }
  renderPhotos();
  const banner = document.getElementById('fix-banner');
  banner.hidden = false;
  banner.querySelector('[data-fix-message]').textContent = item.error || '';
  Object.entries(item.errors || {}).forEach(([k, v]) => setError(k === 'photo_files' ? 'photos' : k, v));
}

$('[name=photo_files]').addEventListener('change', (e) => { addPhotos([...e.target.files]); e.target.value = ''; });
form.querySelector('#relocate').addEventListener('click', locate);
form.querySelector('#pick-on-map').addEventListener('click', showMap);
form.addEventListener('submit', save);
$('[name=category_id]').addEventListener('change', () => { joining = null; showNearby(); });
// A field fixed loses its error at once, not at the next save.
const ERROR_OF = { photo_files: 'photos', lon: 'lon', lat: 'lon' };
form.addEventListener('input', (e) => setError(ERROR_OF[e.target.name] || e.target.name, []));
form.addEventListener('change', (e) => setError(ERROR_OF[e.target.name] || e.target.name, []));
const fixId = new URLSearchParams(location.search).get('fix');
if (fixId) loadFix(fixId); else locate();
renderPhotos();
