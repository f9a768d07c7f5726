// "My reports": sent reports (pulled from the server) merged with what waits in the outbox.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { shortMoment } from './clock.js';
import { resizePhoto } from './photos.js';

const T = JSON.parse(document.getElementById('i18n')?.textContent || '{}');
const fmt = (s, vars) => (s || '').replace(/\{(\w+)\}/g, (_, k) => vars[k]);
const list = document.getElementById('report-list');
const STATE = { pending: 'waiting', sending: 'waiting', needs_fix: 'fix', blocked: 'blocked' };

function row({ title, meta, state, label, message, action }) {
  const li = document.createElement('li');
  li.className = `report report-${state}`;
  li.dataset.state = state;
  const h = Object.assign(document.createElement('strong'), { textContent: title });
  const badge = Object.assign(document.createElement('span'), { className: `badge badge-${state}`, textContent: label });
  const m = Object.assign(document.createElement('span'), { className: 'muted', textContent: meta });
  li.append(badge, h, m);
  if (message) li.append(Object.assign(document.createElement('p'), { className: 'error', textContent: message }));
  if (action) li.append(Object.assign(document.createElement('a'), { className: 'btn small', href: action.href, textContent: action.text }));
  return li;
}

// A report the department says is handled waits for the reporter's on-site check, which works
// offline: the department's note and photos to compare with, a confirmed pass, or a fail with a
// reason and optional photos (rework).
const armedPasses = new Set(); // passes tapped once, waiting for the confirming tap

function checkable(record, li) {
  if (record.state !== 'handled') return li;
  const handled = record.handled || {};
  const proof = Object.assign(document.createElement('div'), { className: 'proof' });
  proof.append(Object.assign(document.createElement('p'), {
    textContent: `${fmt(T.handledBy, { by: handled.by || '—' })}${handled.note ? `：${handled.note}` : ''}` }));
  const pics = Object.assign(document.createElement('p'), { className: 'thumbs' });
  for (const photo of handled.photos || []) {
    const a = Object.assign(document.createElement('a'), { href: photo.url });
    const img = Object.assign(document.createElement('img'), { src: photo.thumb, alt: T.handledPhoto, width: 96, height: 96 });
    // The copy kept on the phone, so it shows offline.
    store.getRecord('proof', photo.id).then((kept) => { if (kept?.blob) img.src = URL.createObjectURL(kept.blob); });
    a.append(img);
    pics.append(a);
  }
  if (!(handled.photos || []).length) pics.textContent = T.noHandledPhoto;
  proof.append(pics);
  const form = Object.assign(document.createElement('form'), { className: 'check-form' });
  const id = `why-${record.id}`;
  const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: T.why });
  const why = Object.assign(document.createElement('input'), { id, name: 'note' });
  const photoId = `fail-photo-${record.id}`;
  const photoLabel = Object.assign(document.createElement('label'), { htmlFor: photoId, textContent: T.failPhoto });
  const photo = Object.assign(document.createElement('input'), { id: photoId, type: 'file', accept: 'image/*', capture: 'environment' });
  const pass = Object.assign(document.createElement('button'), { type: 'button', className: 'btn small', textContent: T.pass });
  const fail = Object.assign(document.createElement('button'), { type: 'button', className: 'btn small', textContent: T.failCheck });
  const send = async (action) => {
    const photos = [];
    if (action === 'check_fail' && photo.files[0]) {
      photos.push({ id: store.uuid(), blob: await resizePhoto(photo.files[0]), type: 'image/jpeg' });
    }
    await store.enqueue(newMutation('event.transition', record.id, { action, note: why.value.trim(), photos: photos.map((p) => p.id) },
      { baseVersion: record.version }), photos);
    window.dispatchEvent(new Event('gridwalk:saved'));
    render();
  };
  // Passing closes the case: it asks once more. Failing needs the reason.
  const arm = () => { pass.textContent = T.confirmPass; pass.classList.add('primary'); };
  if (armedPasses.has(record.id)) arm();  // a background sync redrew the list meanwhile
  pass.addEventListener('click', () => {
    if (armedPasses.has(record.id)) { armedPasses.delete(record.id); send('check_pass'); return; }
    armedPasses.add(record.id);
    arm();
  });
  fail.addEventListener('click', () => {
    if (!why.value.trim()) { why.setAttribute('aria-invalid', 'true'); why.focus(); return; }
    send('check_fail');
  });
  form.append(label, why, photoLabel, photo, pass, fail);
  li.append(proof, form);
  return li;
}

// A report the reporter may deal with on the spot (自行处置), where its category allows it:
// a photo of the result and a note, offline through the outbox.
function resolvable(record, li) {
  if (!record.can_self_resolve) return li;
  const form = Object.assign(document.createElement('form'), { className: 'check-form' });
  const noteId = `resolve-note-${record.id}`;
  const photoId = `resolve-photo-${record.id}`;
  const noteLabel = Object.assign(document.createElement('label'), { htmlFor: noteId, textContent: T.resolveNote });
  const note = Object.assign(document.createElement('input'), { id: noteId, name: 'note' });
  const photoLabel = Object.assign(document.createElement('label'), { htmlFor: photoId, textContent: T.resolvePhoto });
  const photo = Object.assign(document.createElement('input'), { id: photoId, type: 'file', accept: 'image/*', capture: 'environment' });
  const go = Object.assign(document.createElement('button'), { type: 'button', className: 'btn small', textContent: T.selfResolve });
  const error = Object.assign(document.createElement('p'), { className: 'error', hidden: true, textContent: T.needPhoto });
  go.addEventListener('click', async () => {
    if (!photo.files[0]) { error.hidden = false; photo.focus(); return; }
    const shot = { id: store.uuid(), blob: await resizePhoto(photo.files[0]), type: 'image/jpeg' };
    await store.enqueue(newMutation('event.transition', record.id, { action: 'self_resolve', note: note.value.trim(), photos: [shot.id] },
      { baseVersion: record.version }), [shot]);
    window.dispatchEvent(new Event('gridwalk:saved'));
    render();
  });
  form.append(noteLabel, note, photoLabel, photo, error, go);
  li.append(form);
  return li;
}

const when = shortMoment;

// The clock of the stage the report is in (立案, 派遣, 处置, 核查), from the pulled deadline:
// it keeps counting offline.
function stageClock(record) {
  const stage = record.state === 'checked' ? null : record.stage;
  if (!stage || !stage.due_at) return '';
  const late = Date.parse(stage.due_at) < Date.now();
  return ` · ${fmt(T.stageDue, { stage: stage.label, t: when(stage.due_at) })}${late ? ` ${T.stageLate}` : ''}`;
}

async function render() {
  const outbox = await store.outboxItems();
  const pending = outbox.filter((m) => m.kind === 'event.report' || m.kind === 'event.support');
  const checking = new Set(outbox.filter((m) => m.kind === 'event.transition').map((m) => m.record_id));
  const sent = (await store.records('event')).filter((r) => r.mine);
  const pendingIds = new Set(pending.map((m) => m.record_id));
  const rows = [
    ...pending.map((m) => ({ at: m.created_at, node: row({
      title: m.data.description ?? m.data.note, meta: `${m.label || ''} · ${when(m.created_at)}`, state: STATE[m.state] || 'waiting',
      label: T[STATE[m.state] || 'waiting'], message: m.state === 'needs_fix' || m.state === 'blocked' ? m.error : '',
      action: m.state === 'needs_fix' ? { href: `/report?fix=${m.id}`, text: T.fix } : null,
    }) })),
    ...sent.filter((r) => !pendingIds.has(r.id)).map((r) => (checking.has(r.id) ? { ...r, state: 'checked', can_self_resolve: false } : r)).map((r) => ({ at: r.reported_at, node: resolvable(r, checkable(r, row({
      title: r.description, meta: `${r.category || ''} · ${r.grid?.name || ''} · ${when(r.reported_at)}${stageClock(r)}`,
      state: r.state === 'handled' ? 'waiting' : 'sent', label: r.state === 'handled' ? T.toCheck
        : (r.state && r.state !== 'reported' && T.states?.[r.state]) || T.sent, // then its progress
    }))) })),
  ].sort((a, b) => (a.at < b.at ? 1 : -1));
  if (rows.length || !list.dataset.server) list.replaceChildren(...rows.map((r) => r.node));
  document.getElementById('report-empty').hidden = rows.length > 0 || list.children.length > 0;
}

// News of the user's own reports, brought by the pull (sync.js keepNews): what happened and
// why, until they say they have read it.
async function showNews() {
  const box = document.getElementById('report-news');
  if (!box) return;
  const seen = new Set();
  const news = (await store.getMeta('notices', [])).filter((n) => !seen.has(n.id) && seen.add(n.id));
  box.hidden = !news.length;
  box.querySelector('ul').replaceChildren(...news.map((n) => {
    const text = fmt(T.news?.[n.state] || T.states?.[n.state] || n.state, { by: n.by || '—', note: n.note || '—' });
    const li = document.createElement('li');
    li.dataset.news = n.state;
    li.append(Object.assign(document.createElement('strong'), { textContent: text }), ' ',
      Object.assign(document.createElement('span'), { className: 'muted', textContent: `${n.description || ''} · ${when(n.at)}` }));
    return li;
  }));
}
document.getElementById('report-news-read')?.addEventListener('click', async () => {
  await store.setMeta('notices', []);
  showNews();
});

window.addEventListener('gridwalk:status', () => { render(); showNews(); });
render();
showNews();
