// 双报到 on a party member's phone: claim a community need and log the service done, offline,
// through the outbox. The lists are the server's (as the page was kept) with the phone's unsent
// claims and logs laid over them.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { resizePhoto } from './photos.js';
import { onChange } from './sync.js';
import { showProblems as listProblems } from './problems.js';

const DATA = JSON.parse(document.getElementById('serve-data').textContent);
const T = JSON.parse(document.getElementById('serve-i18n').textContent);
const KINDS = ['service.claim', 'service.log'];
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

async function unsent() {
  return (await store.outboxItems()).filter((m) => KINDS.includes(m.kind) && m.state !== 'sent');
}

async function localState() {
  const needs = new Map(DATA.needs.map((n) => [n.id, { ...n }]));
  const claims = new Map(DATA.claims.map((c) => [c.id, { ...c, waiting: 0 }]));
  for (const m of await unsent()) {
    if (m.kind === 'service.claim' && !claims.has(m.record_id)) {
      const need = needs.get(m.data.need_id);
      claims.set(m.record_id, { id: m.record_id, need_id: m.data.need_id, title: need ? need.title : '', kind: need ? need.kind : '', state: 'claimed', hours: 0, waiting: 0 });
      if (need) need.slots_left = Math.max(0, need.slots_left - 1);
    }
    const claim = claims.get(m.record_id);
    if (!claim) continue;
    if (m.kind === 'service.log') { claim.state = 'logged'; claim.hours = m.data.hours; }
    claim.waiting += 1;
  }
  return { needs: [...needs.values()], claims: [...claims.values()] };
}

function logForm(claim) {
  const form = /** @type {HTMLFormElement} */ ($('serve-log').content.firstElementChild.cloneNode(true));
  for (const label of form.querySelectorAll('[data-label-for]')) {
    const field = form.elements[label.dataset.labelFor];
    field.id = `log-${claim.id}-${label.dataset.labelFor}`;
    label.htmlFor = field.id;
  }
  const error = (name, message) => {
    const box = form.querySelector(`[data-error-for="${name}"]`);
    box.textContent = message || '';
    box.hidden = !message;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error('hours', ''); error('note', '');
    const hours = Number(form.elements.hours.value);
    const note = form.elements.note.value.trim();
    let ok = true;
    if (!(hours >= 0.25 && hours <= 24)) { error('hours', T.hours); ok = false; }
    if (!note) { error('note', T.note); ok = false; }
    if (!ok) return;
    const data = { hours, note, photos: [] };
    const blobs = [];
    const file = form.elements.photo.files[0];
    if (file) {
      try {
        const photo = { id: store.uuid(), blob: await resizePhoto(file), type: 'image/jpeg', uploaded: false };
        blobs.push(photo); data.photos.push(photo.id);
      } catch (err) { error('note', T.badPhoto); return; }
    }
    await store.enqueue(newMutation('service.log', claim.id, data, { label: `${claim.title} · ${T.log}` }), blobs);
    window.dispatchEvent(new Event('gridwalk:saved'));
    await render();
  });
  return form;
}

function claimCard(claim) {
  const li = el('li', { className: 'card claim' });
  li.dataset.claim = claim.id;
  li.append(el('h3', {}, el('span', { className: 'badge badge-waiting', textContent: DATA.states[claim.state] }), ` ${claim.title}`));
  if (claim.state === 'logged' || claim.state === 'confirmed') li.append(el('p', { className: 'muted', textContent: `${claim.hours} h` }));
  if (claim.return_note) li.append(el('p', { className: 'error', textContent: T.returned.replace('{r}', claim.return_note) }));
  if (claim.waiting) li.append(el('p', {}, el('span', { className: 'badge badge-waiting', textContent: `${T.waiting} ${claim.waiting}` })));
  if (claim.state === 'claimed' || claim.state === 'returned') {
    const details = el('details', {}, el('summary', { className: 'btn', textContent: T.log }));
    details.addEventListener('toggle', () => { if (details.open && !details.querySelector('form')) details.append(logForm(claim)); }, { once: false });
    li.append(details);
  }
  return li;
}

function needCard(need, mine) {
  const li = el('li', { className: 'card need' });
  const dates = [need.starts_on, need.ends_on].filter(Boolean).join(' – ');
  li.append(el('h3', {}, el('span', { className: 'badge badge-sent', textContent: DATA.kinds[need.kind] }), ` ${need.title}`));
  if (need.detail) li.append(el('p', { textContent: need.detail }));
  li.append(el('p', { className: 'muted', textContent: [dates, T.hoursEach.replace('{h}', need.hours), T.left.replace('{n}', need.slots_left)].filter(Boolean).join(' · ') }));
  const button = el('button', { type: 'button', className: 'btn primary', textContent: mine ? T.claimed : need.slots_left ? T.claim : T.full });
  button.disabled = mine || !need.slots_left;
  button.addEventListener('click', async () => {
    button.disabled = true;
    await store.enqueue(newMutation('service.claim', store.uuid(), { need_id: need.id }, { label: need.title }));
    window.dispatchEvent(new Event('gridwalk:saved'));
    await render();
  });
  li.append(button);
  return li;
}

async function render() {
  const { needs, claims } = await localState();
  const active = new Set(claims.filter((c) => c.state !== 'returned').map((c) => c.need_id));
  $('serve-claims').replaceChildren(...(claims.length ? claims.map(claimCard) : [el('li', { className: 'muted', textContent: T.none })]));
  $('serve-needs').replaceChildren(...(needs.length ? needs.map((n) => needCard(n, active.has(n.id))) : [el('li', { className: 'muted', textContent: T.none })]));
  await listProblems($('serve-problems'), KINDS, T, render);
}

// Online, the lists are refreshed from the server (the kept page may be days old).
async function refresh() {
  try {
    const response = await fetch('/serve/mine.json', { credentials: 'same-origin' });
    if (response.ok && response.headers.get('Content-Type')?.includes('json')) Object.assign(DATA, await response.json());
  } catch (err) { /* offline: the kept lists stand */ }
  await render();
}

render().then(refresh);
onChange((detail) => { if (detail.phase === 'done' || detail.phase === 'error') refresh(); });
