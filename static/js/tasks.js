// "My tasks": work reports, survey answers and publicity records, saved to the outbox offline;
// the sync engine sends the photos and then the report.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { resizePhoto } from './photos.js';
import { onChange } from './sync.js';
import { showProblems as listProblems } from './problems.js';

const T = JSON.parse(document.getElementById('tasks-i18n').textContent);

function setError(form, name, message) {
  const box = form.querySelector(`[data-error-for="${name}"]`);
  if (!box) return;
  box.textContent = message || '';
  box.hidden = !message;
}

async function photoOf(input) {
  const file = input.files && input.files[0];
  if (!file) return null;
  const blob = await resizePhoto(file);
  return { id: store.uuid(), blob, type: 'image/jpeg', uploaded: false };
}

// Read the form into the report's data; the same checks as the server, so it rarely bounces.
async function readForm(form) {
  const kind = form.dataset.kind;
  const data = { task_id: Number(form.dataset.task), note: form.elements.note.value.trim(), photos: [], answers: {} };
  if (form.elements.target_id) data.target_id = Number(form.elements.target_id.value);
  const blobs = [];
  const errors = {};
  const minutes = form.elements.minutes.value;
  if (minutes !== '') {
    const n = Number(minutes);
    if (!Number.isInteger(n) || n < 0 || n > 1440) errors.minutes = T.minutes; else data.minutes = n;
  }
  for (const box of form.querySelectorAll('[data-question]')) {
    const qid = box.dataset.question;
    const type = box.dataset.type;
    let value = null;
    if (qid === 'households') {
      const n = Number(box.querySelector('input').value);
      if (!Number.isInteger(n) || n < 1) errors.households = T.households; else data.households = n;
      continue;
    }
    if (type === 'single') value = box.querySelector('input:checked')?.value ?? null;
    else if (type === 'multi') value = [...box.querySelectorAll('input:checked')].map((i) => i.value);
    else if (type === 'text') value = box.querySelector('textarea').value.trim();
    else if (type === 'number') {
      const raw = box.querySelector('input').value;
      if (raw !== '' && Number.isNaN(Number(raw))) { errors[qid] = T.number; continue; }
      value = raw === '' ? null : Number(raw);
    } else if (type === 'photo') {
      try {
        const photo = await photoOf(box.querySelector('input'));
        if (photo) { blobs.push(photo); data.photos.push(photo.id); value = photo.id; }
      } catch (err) { errors[qid === 'photo' ? 'photos' : qid] = T.badPhoto; continue; }
    }
    const empty = value === null || value === '' || (Array.isArray(value) && !value.length);
    if (empty && box.hasAttribute('data-required')) {
      errors[qid === 'photo' ? 'photos' : qid] = qid === 'photo' ? T.photo : T.required;
    } else if (!empty && kind === 'survey') data.answers[qid] = value;
  }
  if (kind === 'task' && !data.note && !data.photos.length) errors.note = T.note;
  if (kind === 'survey' && !Object.keys(errors).length && !Object.keys(data.answers).length) errors.answers = T.answerOne;
  return { data, blobs, errors };
}

// Records the server would not take (e.g. the task ended meanwhile): say why, and let the
// worker drop them on purpose; nothing leaves the outbox otherwise.
const showProblems = () => listProblems(document.getElementById('task-problems'), ['task.report'], T,
  async () => { await showProblems(); await showWaiting(); });

async function showWaiting() {
  const waiting = {};
  for (const m of await store.outboxItems()) {
    if (m.kind === 'task.report' && m.state !== 'needs_fix' && m.state !== 'blocked') waiting[m.data.task_id] = (waiting[m.data.task_id] || 0) + 1;
  }
  for (const task of document.querySelectorAll('.task[data-task]')) {
    const badge = task.querySelector('[data-waiting]');
    const n = waiting[task.dataset.task] || 0;
    badge.textContent = T.waiting.replace('{n}', n);
    badge.hidden = !n;
  }
}

async function save(event) {
  event.preventDefault();
  const form = event.target;
  form.querySelectorAll('[data-error-for]').forEach((b) => setError(form, b.dataset.errorFor, ''));
  const button = form.querySelector('[type=submit]');
  button.disabled = true;
  try {
    const { data, blobs, errors } = await readForm(form);
    if (Object.keys(errors).length) {
      Object.entries(errors).forEach(([k, v]) => setError(form, k, v));
      form.querySelector('[data-error-for]:not([hidden])')?.closest('.field')?.scrollIntoView({ block: 'center' });
      return;
    }
    await store.enqueue(newMutation('task.report', store.uuid(), data,
      { formVersion: 1, label: form.closest('.task').querySelector('h2').textContent.trim() }), blobs);
    form.reset();
    form.closest('.task').querySelector('[data-status]').textContent = T.saved;
    await showWaiting();
    window.dispatchEvent(new Event('gridwalk:saved'));
  } finally {
    button.disabled = false;
  }
}

// A task's form is built from its template when its details open, not with the page.
function buildForm(details) {
  const template = details.querySelector('template[data-task-form]');
  if (!details.open || !template) return;
  const form = template.content.firstElementChild.cloneNode(true);
  form.addEventListener('submit', save);
  template.replaceWith(form);
}
document.querySelectorAll('.task details').forEach((details) => {
  details.addEventListener('toggle', () => buildForm(details));
  buildForm(details);
});
showWaiting();
showProblems();
onChange((detail) => { if (detail.phase === 'done' || detail.phase === 'error') { showWaiting(); showProblems(); } });
