// The phone's registry (人地物组织): search, view, create and edit from IndexedDB, offline.
// Creates and edits go through the outbox; edits carry base_version and the values the phone
// saw, so the server can merge disjoint edits and flag same-field ones for the secretary.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { resizePhoto } from './photos.js';
import { add, drawGrids, onPick, placeMarker } from './gridmap.js';

const root = document.getElementById('registry');
const SCHEMA = JSON.parse(document.getElementById('registry-schema').textContent);
const KINDS = JSON.parse(document.getElementById('registry-kinds').textContent);
const T = JSON.parse(document.getElementById('registry-i18n').textContent);
const VERSIONS = JSON.parse(root.dataset.versions);
const GRIDS = JSON.parse(document.getElementById('registry-grids')?.textContent || '[]');
const PARENT_KIND = JSON.parse(root.dataset.parentKind);
const q = (sel) => root.querySelector(sel);
const el = (tag, props = {}, ...children) => { const n = Object.assign(document.createElement(tag), props); n.append(...children); return n; };
const COLUMNS = ['name', 'address', 'lon', 'lat', 'parent_id'];

// What the server last sent for a record, as form values.
function serverValues(r) {
  const v = { ...(r.fields || {}) };
  COLUMNS.forEach((c) => { if (r[c] !== undefined && r[c] !== null && r[c] !== '') v[c] = r[c]; });
  if (r.id_masked) v.id_number = r.id_masked;
  if (r.phone_masked) v.phone = r.phone_masked;
  if (r.tags) v.tags = r.tags;
  return v;
}

// Records as this phone sees them: pulled ones with its own unsent changes laid over them.
async function localRecords() {
  const pulled = new Map((await store.records('record')).map((r) => [r.id, { ...r, values: serverValues(r) }]));
  for (const m of await store.outboxItems()) {
    if (m.kind === 'registry.create') {
      const f = m.data.fields;
      pulled.set(m.record_id, { id: m.record_id, kind: m.data.kind, name: f.name, address: f.address || '', values: { ...f }, local: m, version: 0 });
    } else if (m.kind === 'registry.edit' && pulled.has(m.record_id)) {
      const r = pulled.get(m.record_id);
      r.values = { ...r.values, ...m.data.fields };
      if (m.data.fields.name) r.name = m.data.fields.name;
      r.local = m;
    }
  }
  return [...pulled.values()];
}

function matches(r, text) {
  if (!text) return true;
  const t = text.toLowerCase();
  return [r.name, r.pinyin, r.initials, r.address, r.id_masked, r.phone_tail, r.values?.address]
    .some((s) => s && String(s).toLowerCase().includes(t));
}

function badge(r) {
  if (r.local?.state === 'needs_fix') return ['fix', T.fix];
  if (r.local) return ['waiting', T.waiting];
  if (r.review?.state === 'returned') return ['fix', T.returned];
  if (r.review?.state === 'pending') return ['waiting', T.pending];
  return ['sent', T.approved];
}

async function renderList() {
  const text = q('[data-search] [name=q]').value.trim();
  const kind = q('[data-search] [name=kind]').value;
  const all = (await localRecords()).filter((r) => (!kind || r.kind === kind) && matches(r, text));
  all.sort((a, b) => (a.name || '').localeCompare(b.name || '', 'zh'));
  q('[data-count]').textContent = all.length ? T.count.replace('{n}', all.length) : T.none;
  q('[data-list]').replaceChildren(...all.slice(0, 200).map((r) => {
    const [cls, label] = badge(r);
    return el('li', { className: 'report' },
      el('span', { className: `badge badge-${cls}`, textContent: label }),
      el('a', { href: `#show/${r.id}`, textContent: r.name || '—' }),
      el('span', { className: 'muted', textContent: [KINDS[r.kind], r.id_masked, r.phone_masked, r.address].filter(Boolean).join(' · ') }));
  }));
}

function input(field, value, records) {
  const id = `f-${field.name}`;
  let control;
  if (field.name === 'parent_id') {
    const parents = records.filter((r) => r.kind === PARENT_KIND[root.dataset.kind]);
    const byId = new Map(records.map((r) => [r.id, r]));
    // A room is named with its building: "芙蓉街12号院1号楼 1单元301", not "1单元301" alone.
    const named = (p) => [byId.get(p.parent_id)?.name, p.name].filter(Boolean).join(' ') + (p.address ? `（${p.address}）` : '');
    control = el('select', { id, name: field.name }, el('option', { value: '', textContent: '—' }),
      ...parents.map((p) => el('option', { value: p.id, textContent: named(p), selected: p.id === value })));
  } else if (field.type === 'SelectMultipleField') {
    const box = el('fieldset', { className: 'field' }, el('legend', { textContent: field.label }));
    field.choices.forEach(([v, label]) => {
      const cid = `${id}-${v}`;
      box.append(el('div', { className: 'check' }, el('input', { type: 'checkbox', id: cid, name: field.name, value: v, checked: (value || []).includes(v) }), el('label', { htmlFor: cid, textContent: label })));
    });
    return box;
  } else if (field.type === 'SelectField') {
    control = el('select', { id, name: field.name }, ...field.choices.map(([v, label]) => el('option', { value: v, textContent: label, selected: v === (value ?? '') })));
  } else if (field.type === 'TextAreaField') {
    control = el('textarea', { id, name: field.name, rows: 3, value: value ?? '' });
  } else {
    const numeric = field.type === 'IntegerField' || field.type === 'FloatField';
    control = el('input', { id, name: field.name, type: numeric ? 'number' : 'text', value: value ?? '', step: field.type === 'FloatField' ? 'any' : '1' });
    if (field.name === 'id_number' || field.name === 'phone') control.inputMode = field.name === 'phone' ? 'tel' : 'text';
  }
  const wrap = el('div', { className: 'field' }, el('label', { htmlFor: id, textContent: field.label + (field.required ? ' *' : '') }), control);
  if (field.name === 'lat') wrap.append(positionButton(), mapPicker(records));
  const error = el('p', { className: 'error', hidden: true });
  error.dataset.errorFor = field.name;
  wrap.append(error);
  return wrap;
}

function readForm(form, kind) {
  const values = {};
  for (const field of SCHEMA[kind]) {
    if (field.type === 'SelectMultipleField') {
      const boxes = form.querySelectorAll(`[name=${field.name}]`);
      if (boxes.length) values[field.name] = [...boxes].filter((b) => b.checked).map((b) => b.value);
      continue;
    }
    const control = form.querySelector(`[name=${field.name}]`);
    if (!control) continue;
    let v = control.value.trim();
    if (v === '') v = null;
    else if (field.type === 'IntegerField') v = parseInt(v, 10);
    else if (field.type === 'FloatField') v = parseFloat(v);
    values[field.name] = v;
  }
  return values;
}

// GB 11643 on the phone, as the server checks it: 18 characters, the check digit, a real
// birth date. A masked value sent back unchanged is not checked.
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function idProblem(raw) {
  const v = (raw || '').replace(/\s/g, '').toUpperCase();
  if (!v || v.includes('*')) return '';
  if (!/^\d{17}[\dX]$/.test(v)) return T.idInvalid;
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(v[i]), 0);
  if ('10X98765432'[sum % 11] !== v[17]) return T.idInvalid;
  const [y, m, d] = [v.slice(6, 10), v.slice(10, 12), v.slice(12, 14)].map(Number);
  const born = new Date(Date.UTC(y, m - 1, d));
  if (born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d || y < 1890 || born > new Date()) return T.idInvalid;
  return '';
}

function checkId(form) {
  const control = form.querySelector('[name=id_number]');
  const box = q('[data-error-for="id_number"]');
  if (!control || !box) return true;
  const problem = idProblem(control.value);
  box.textContent = problem;
  box.hidden = !problem;
  control.setAttribute('aria-invalid', problem ? 'true' : 'false');
  return !problem;
}

// Coordinates come from the phone's GPS, not typed by hand.
function positionButton() {
  const status = el('span', { className: 'muted', role: 'status' });
  const button = el('button', { type: 'button', className: 'btn small', textContent: T.usePosition });
  button.addEventListener('click', () => {
    if (!navigator.geolocation) { status.textContent = T.noGps; return; }
    status.textContent = T.locating;
    navigator.geolocation.getCurrentPosition((pos) => {
      q('[name=lon]').value = pos.coords.longitude.toFixed(6);
      q('[name=lat]').value = pos.coords.latitude.toFixed(6);
      status.textContent = `±${Math.round(pos.coords.accuracy)} m`;
    }, () => { status.textContent = T.noGps; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
  return el('p', { className: 'actions' }, button, status);
}

// Pick on map, offline: the worker's grids with the places already recorded as landmarks; a tap
// sets the coordinates. The map opens on a tap only, so the form does not jump under a thumb.
let markPicked = () => {};
root.addEventListener('input', (e) => { if (['lon', 'lat'].includes(e.target.name)) markPicked(); });

function mapPicker(records) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', T.mapLabel);
  const box = el('div', { className: 'map', hidden: true });
  box.append(svg);
  const button = el('button', { type: 'button', className: 'btn small', textContent: T.pickOnMap });
  let view = null;
  const mark = () => {
    const lon = parseFloat(q('[name=lon]').value); const lat = parseFloat(q('[name=lat]').value);
    if (view && !Number.isNaN(lon) && !Number.isNaN(lat)) placeMarker(svg, view, lon, lat);
  };
  button.addEventListener('click', () => {
    box.hidden = false;
    if (view) return;
    const placed = (v) => v !== null && v !== undefined && v !== '' && Number.isFinite(Number(v));
    const places = (records || []).filter((r) => r.id !== editing?.record?.id && placed(r.values.lon) && placed(r.values.lat))
      .map((r) => ({ name: r.name, at: [Number(r.values.lon), Number(r.values.lat)] }));
    view = drawGrids(svg, GRIDS, places.map((p) => p.at));
    if (!view) { box.hidden = true; return; }
    places.forEach((p) => { const [cx, cy] = view.project(p.at); add(svg, 'circle', { cx: cx.toFixed(1), cy: cy.toFixed(1), r: 7, class: 'landmark' }, p.name); });
    onPick(svg, view, ([lon, lat]) => {
      q('[name=lon]').value = lon.toFixed(6);
      q('[name=lat]').value = lat.toFixed(6);
      mark();
    });
    mark();
  });
  markPicked = mark;
  return el('div', {}, el('p', { className: 'actions' }, button), box);
}

let editing = null;

async function showForm(kind, record, fixItem) {
  editing = { kind, record, fixItem };
  root.dataset.kind = kind;
  const records = await localRecords();
  const values = fixItem ? fixItem.data.fields : record ? record.values : {};
  q('[data-form-title]').textContent = `${record ? T.editTitle : T.newTitle} · ${KINDS[kind]}${record ? ` · ${record.name}` : ''}`;
  q('[data-fields]').replaceChildren(...SCHEMA[kind].map((f) => input(f, values[f.name], records)));
  q('[data-grid-field]').hidden = !!record || q('#f-grid_id').options.length < 2;
  const warning = q('[data-form-warning]');
  const message = fixItem?.error || (record?.review?.state === 'returned' ? `${T.returned}：${record.review.comment}` : '');
  warning.textContent = message;
  warning.hidden = !message;
  q('[data-record-form] [name=id_number]')?.addEventListener('blur', () => checkId(q('[data-record-form]')));
  Object.entries(fixItem?.errors || {}).forEach(([name, msgs]) => {
    const box = q(`[data-error-for="${name}"]`);
    if (box) { box.textContent = msgs.join('；'); box.hidden = false; }
  });
}

async function save(event) {
  event.preventDefault();
  const { kind, record, fixItem } = editing;
  const form = q('[data-record-form]');
  const values = readForm(form, kind);
  let missing = false;
  for (const f of SCHEMA[kind]) {
    const box = q(`[data-error-for="${f.name}"]`);
    const empty = values[f.name] === null || values[f.name] === undefined;
    if (box) { box.hidden = !(f.required && empty); box.textContent = box.hidden ? '' : T.required; }
    if (f.required && empty && f.name !== 'population_type') missing = true;
  }
  if (!checkId(form)) missing = true;
  if (missing) return;
  if (!record) {
    const fields = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null));
    const grid = q('#f-grid_id');
    if (!q('[data-grid-field]').hidden && grid.value) fields.grid_id = Number(grid.value);
    const mutation = newMutation('registry.create', fixItem ? fixItem.record_id : store.uuid(), { kind, fields }, { formVersion: VERSIONS[kind] });
    if (fixItem) await store.replaceItem(fixItem.id, mutation); else await store.enqueue(mutation);
  } else {
    const seen = serverValues(record.pulled || record);
    const before = record.values;
    const changed = {};
    for (const [k, v] of Object.entries(values)) {
      const old = before[k] ?? null;
      if (JSON.stringify(old) !== JSON.stringify(v)) changed[k] = v;
    }
    if (!Object.keys(changed).length) { location.hash = `#show/${record.id}`; return; }
    const pending = (await store.outboxItems()).find((m) => m.record_id === record.id && m.kind === 'registry.edit' && !m.frozen && m.state === 'pending');
    if (pending) {
      // Not sent yet: fold this change into it instead of queueing a second edit.
      await store.updateItem(pending.id, { data: { ...pending.data, fields: { ...pending.data.fields, ...changed } } });
    } else {
      const baseValues = Object.fromEntries(Object.keys(changed).map((k) => [k, seen[k] ?? null]));
      await store.enqueue(newMutation('registry.edit', record.id, { fields: changed, base: baseValues },
        { baseVersion: record.version, formVersion: VERSIONS[kind] }));
    }
  }
  window.dispatchEvent(new Event('gridwalk:saved'));
  location.hash = '#list';
}

async function show(id) {
  const record = (await localRecords()).find((r) => r.id === id);
  if (!record) { location.hash = '#list'; return; }
  const [cls, label] = badge(record);
  const rows = SCHEMA[record.kind].filter((f) => f.name !== 'parent_id').map((f) => {
    let v = record.values[f.name];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) return null;
    const names = Object.fromEntries(f.choices);
    v = Array.isArray(v) ? v.map((x) => names[x] || x).join('、') : (names[v] || v);
    return [el('dt', { textContent: f.label }), el('dd', { textContent: v })];
  }).filter(Boolean).flat();
  const box = q('[data-show]');
  box.replaceChildren(
    el('h2', { textContent: record.name }),
    el('span', { className: `badge badge-${cls}`, textContent: label }),
    record.review?.comment ? el('p', { className: 'error', textContent: record.review.comment }) : '',
    record.local?.error ? el('p', { className: 'error', textContent: record.local.error }) : '',
    el('dl', { className: 'facts' }, ...rows),
    el('p', { className: 'muted', textContent: `${T.history} ${record.version || '—'}` }),
    el('p', { className: 'actions' },
      record.local?.kind === 'registry.create' && (record.local.state === 'needs_fix' || !record.local.frozen)
        ? el('a', { className: 'btn', href: `#fix/${record.local.id}`, textContent: T.edit })
        : record.version ? el('a', { className: 'btn', href: `#edit/${record.id}`, textContent: T.edit }) : '',
      ['person', 'room', 'organisation'].includes(record.kind) && record.version ? el('a', { className: 'btn', href: `#visit/${record.id}`, textContent: T.visit }) : '',
      el('a', { className: 'btn', href: '#list', textContent: T.back })));
}

let visitTarget = null;
async function saveVisit(event) {
  event.preventDefault();
  const note = q('#visit-note').value.trim();
  const error = q('[data-visit-error]');
  error.hidden = !!note;
  error.textContent = note ? '' : T.noteRequired;
  if (!note) return;
  const photos = [];
  const file = q('#visit-photo').files[0];
  if (file) photos.push({ id: store.uuid(), blob: await resizePhoto(file), type: 'image/jpeg' });
  await store.enqueue(newMutation('registry.visit', store.uuid(), { target_id: visitTarget, note, photos: photos.map((p) => p.id) }), photos);
  q('[data-visit-form]').reset();
  window.dispatchEvent(new Event('gridwalk:saved'));
  location.hash = `#show/${visitTarget}`;
}

async function route() {
  const [view, arg] = (location.hash.slice(1) || 'list').split('/');
  const name = { new: 'form', edit: 'form', fix: 'form', show: 'show', visit: 'visit' }[view] || 'list';
  // Show a view only once it is filled, so nobody types into the previous form's fields.
  root.querySelectorAll('[data-view]').forEach((s) => { s.hidden = true; });
  const reveal = () => root.querySelectorAll('[data-view]').forEach((s) => { s.hidden = s.dataset.view !== name; });
  if (view === 'new' && SCHEMA[arg]) await showForm(arg, null);
  else if (view === 'edit') {
    const record = (await localRecords()).find((r) => r.id === arg && r.version);
    if (!record) { location.hash = '#list'; return; }
    await showForm(record.kind, { ...record, pulled: (await store.records('record')).find((r) => r.id === arg) });
  } else if (view === 'fix') {
    const item = (await store.outboxItems()).find((m) => m.id === arg);
    if (!item) { location.hash = '#list'; return; }
    await showForm(item.data.kind, null, item);
  } else if (view === 'show') await show(arg);
  else if (view === 'visit') { visitTarget = arg; q('[data-visit-name]').textContent = ((await localRecords()).find((r) => r.id === arg) || {}).name || ''; }
  else await renderList();
  reveal();
  window.scrollTo(0, 0);
}

q('[data-search]').addEventListener('input', renderList);
q('[data-search]').addEventListener('submit', (e) => { e.preventDefault(); renderList(); });
q('[data-record-form]').addEventListener('submit', save);
q('[data-visit-form]').addEventListener('submit', saveVisit);
window.addEventListener('hashchange', route);
// After a sync, show what arrived, unless the worker is typing in a form.
window.addEventListener('gridwalk:status', () => {
  if (!q('[data-view=list]').hidden) renderList();
  else if (!q('[data-view=show]').hidden) route();
});
route();
