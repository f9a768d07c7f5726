// 帮办代办 on the phone: requests made for residents and each next step, saved to the outbox
// offline. The list is the server's (as the page was kept) with the phone's unsent steps laid
// over it; residents are named from the phone's own pulled registry, never from the page.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { resizePhoto } from './photos.js';
import { onChange } from './sync.js';
import { showProblems as listProblems } from './problems.js';

const DATA = JSON.parse(document.getElementById('assist-data').textContent);
const T = JSON.parse(document.getElementById('assist-i18n').textContent);
const KINDS = ['assist.create', 'assist.advance'];
const items = new Map(DATA.items.map((i) => [i.id, i]));
let serverList = DATA.mine;

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function setError(form, name, message) {
  const box = form.querySelector(`[data-error-for="${name}"]`);
  if (!box) return;
  box.textContent = message || '';
  box.hidden = !message;
}

// People on this phone: pulled person records and the ones it added and has not sent yet.
async function residents() {
  const people = (await store.records('record')).filter((r) => r.kind === 'person')
    .map((r) => ({ id: r.id, name: r.name, address: r.address || '', pinyin: r.pinyin || '', initials: r.initials || '' }));
  for (const m of await store.outboxItems()) {
    if (m.kind === 'registry.create' && m.data.kind === 'person') {
      people.push({ id: m.record_id, name: m.data.fields.name, address: m.data.fields.address || '', pinyin: '', initials: '' });
    }
  }
  return people;
}

async function fillResidents() {
  const q = $('assist-resident-q').value.trim().toLowerCase();
  const select = $('assist-resident');
  const people = (await residents()).filter((p) => !q || [p.name, p.address, p.pinyin, p.initials]
    .some((s) => s.toLowerCase().includes(q))).slice(0, 30);
  select.replaceChildren(...(people.length ? people.map((p) => el('option', { value: p.id, textContent: p.address ? `${p.name} · ${p.address}` : p.name }))
    : [el('option', { value: '', textContent: T.noResidents })]));
}

function showItemFacts() {
  const item = items.get(Number($('assist-item').value));
  $('assist-item-facts').textContent = item
    ? `${T.materials}：${item.materials.join('、')} · ${T.office}：${item.office} · ${T.days.replace('{n}', item.days)}` : '';
}

async function photoOf(input) {
  const file = input && input.files && input.files[0];
  if (!file) return null;
  return { id: store.uuid(), blob: await resizePhoto(file), type: 'image/jpeg', uploaded: false };
}

// The requests as this phone sees them: the server's, then each unsent step in outbox order.
async function localRequests() {
  const byId = new Map(serverList.map((r) => [r.id, { ...r, waiting: 0 }]));
  const outbox = (await store.outboxItems()).filter((m) => KINDS.includes(m.kind) && m.state !== 'sent');
  for (const m of outbox) {
    if (m.kind === 'assist.create' && !byId.has(m.record_id)) {
      const item = items.get(m.data.item_id);
      byId.set(m.record_id, { id: m.record_id, item_id: m.data.item_id, item: item ? item.name : '', resident_id: m.data.resident_id, state: 'accepted', due_on: '', waiting: 0 });
    }
    const r = byId.get(m.record_id);
    if (!r) continue;
    if (m.kind === 'assist.advance') r.state = m.data.to;
    r.waiting += 1;
    if (m.state === 'needs_fix' || m.state === 'blocked') r.problem = true;
  }
  return [...byId.values()];
}

async function render() {
  const names = new Map((await residents()).map((p) => [p.id, p.name]));
  const list = await localRequests();
  const today = new Date().toISOString().slice(0, 10);
  $('assist-list').replaceChildren(...(list.length ? list.map((r) => card(r, names, today)) : [el('li', { textContent: T.none })]));
  await showProblems();
}

function card(r, names, today) {
  const li = el('li', { className: 'card assist' });
  li.dataset.request = r.id;
  li.dataset.state = r.state;
  const state = el('span', { className: `badge ${r.state === 'done' ? 'badge-sent' : r.state === 'refused' ? 'badge-fix' : 'badge-waiting'}`, textContent: DATA.states[r.state] });
  li.append(el('h2', {}, state, ` ${r.item}`));
  const facts = [names.get(r.resident_id) || '—'];
  if (r.due_on) facts.push(T.due.replace('{d}', r.due_on));
  if (r.due_on && r.due_on < today && !['done', 'refused'].includes(r.state)) facts.push(T.overdue);
  li.append(el('p', { className: 'muted', textContent: facts.join(' · ') }));
  if (r.waiting) li.append(el('p', {}, el('span', { className: 'badge badge-waiting', textContent: `${T.waiting} ${r.waiting}` })));
  const next = DATA.next[r.state] || [];
  if (next.length) {
    const buttons = el('p', { className: 'actions' });
    for (const to of next) {
      const b = el('button', { type: 'button', className: to === 'refused' ? 'btn' : 'btn primary', textContent: T.step[to] });
      b.dataset.to = to;
      b.addEventListener('click', () => openStep(li, r, to));
      buttons.append(b);
    }
    li.append(buttons);
  }
  return li;
}

function openStep(li, r, to) {
  li.querySelector('form.assist-step')?.remove();
  const form = /** @type {HTMLFormElement} */ ($('assist-step').content.firstElementChild.cloneNode(true));
  const prefix = `s-${r.id}-${to}`;
  for (const label of form.querySelectorAll('[data-label-for]')) {
    const field = form.elements[label.dataset.labelFor];
    field.id = `${prefix}-${label.dataset.labelFor}`;
    label.htmlFor = field.id;
  }
  form.querySelectorAll('[data-only]').forEach((box) => { box.hidden = box.dataset.only !== to; });
  form.querySelector('[type=submit]').textContent = T.step[to];
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const note = form.elements.note.value.trim();
    setError(form, 'note', '');
    if (to === 'refused' && !note) { setError(form, 'note', T.note); return; }
    const data = { to, note, photos: [] };
    const blobs = [];
    try {
      const photo = await photoOf(form.elements.photo);
      if (photo) { blobs.push(photo); data.photos.push(photo.id); }
    } catch (err) { setError(form, 'note', T.badPhoto); return; }
    if (to === 'done' && form.elements.satisfaction.value) data.satisfaction = Number(form.elements.satisfaction.value);
    await store.enqueue(newMutation('assist.advance', r.id, data, { label: `${r.item} · ${T.step[to]}` }), blobs);
    window.dispatchEvent(new Event('gridwalk:saved'));
    await render();
  });
  li.append(form);
  form.elements.note.focus();
}

async function create(event) {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.target);
  form.querySelectorAll('[data-error-for]').forEach((b) => setError(form, b.dataset.errorFor, ''));
  const data = {
    item_id: Number(form.elements.item_id.value), resident_id: form.elements.resident_id.value,
    consent: form.elements.consent.checked, consent_method: form.elements.consent_method.value,
    note: form.elements.note.value.trim(), photos: [],
  };
  let ok = true;
  if (!data.resident_id) { setError(form, 'resident_id', T.resident); ok = false; }
  if (!data.consent) { setError(form, 'consent', T.consent); ok = false; }
  if (!ok) return;
  const blobs = [];
  try {
    const photo = await photoOf($('assist-photo'));
    if (photo) { blobs.push(photo); data.photos.push(photo.id); }
  } catch (err) { setError(form, 'item_id', T.badPhoto); return; }
  const item = items.get(data.item_id);
  await store.enqueue(newMutation('assist.create', store.uuid(), data, { label: item ? item.name : '' }), blobs);
  form.reset();
  $('assist-new').open = false;
  window.dispatchEvent(new Event('gridwalk:saved'));
  await fillResidents();
  showItemFacts();
  await render();
}

// Steps the server would not take: say why, and let the worker drop them on purpose.
const showProblems = () => listProblems($('assist-problems'), KINDS, T, render);

// Online, the list is refreshed from the server (the kept page may be days old).
async function refresh() {
  try {
    const response = await fetch('/assist/mine.json', { credentials: 'same-origin' });
    if (response.ok && response.headers.get('Content-Type')?.includes('json')) serverList = (await response.json()).mine;
  } catch (err) { /* offline: the kept list stands */ }
  await render();
}

$('assist-form').addEventListener('submit', create);
$('assist-resident-q').addEventListener('input', fillResidents);
$('assist-item').addEventListener('change', showItemFacts);
$('assist-new').addEventListener('toggle', fillResidents);
showItemFacts();
render().then(refresh);
onChange((detail) => { if (detail.phase === 'done' || detail.phase === 'error') refresh(); });
