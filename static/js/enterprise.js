// The enterprise service officer's phone: per enterprise, a need (企业诉求) opened as a case, this
// month's economic survey and the risk screening, each saved to the outbox offline.
import * as store from './store.js';
import { newMutation } from './outbox.js';
import { resizePhoto } from './photos.js';
import { onChange } from './sync.js';
import { showProblems as listProblems } from './problems.js';

const DATA = JSON.parse(document.getElementById('ent-data').textContent);
const T = JSON.parse(document.getElementById('ent-i18n').textContent);
const KINDS = ['enterprise.need', 'enterprise.answer', 'enterprise.screening'];
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
let serial = 0;
const fieldId = () => `ent-f${++serial}`;

function labelled(text, control) {
  control.id = control.id || fieldId();
  const box = el('div', { className: 'field' }, el('label', { htmlFor: control.id, textContent: text }), control);
  box.append(el('p', { className: 'error', hidden: true }));
  return box;
}

function fail(box, message) {
  const p = box.querySelector('.error');
  p.textContent = message || '';
  p.hidden = !message;
}

async function takePhoto(input, data, blobs) {
  const file = input.files && input.files[0];
  if (!file) return null;
  const photo = { id: store.uuid(), blob: await resizePhoto(file), type: 'image/jpeg', uploaded: false };
  blobs.push(photo);
  data.photos.push(photo.id);
  return photo.id;
}

async function save(kind, data, blobs, label) {
  await store.enqueue(newMutation(kind, store.uuid(), data, { label }), blobs);
  window.dispatchEvent(new Event('gridwalk:saved'));
  await render();
}

function needForm(e) {
  const form = el('form', { className: 'ent-form', noValidate: true });
  const category = el('select', { name: 'category_id' }, ...DATA.categories.map((c) => el('option', { value: c.id, textContent: c.name })));
  const urgency = el('select', { name: 'urgency' }, el('option', { value: 'normal', textContent: T.normal }), el('option', { value: 'urgent', textContent: T.urgent }));
  const text = el('textarea', { name: 'description', rows: 3, maxLength: 2000 });
  const photo = el('input', { type: 'file', accept: 'image/*' });
  const textBox = labelled(T.description, text);
  form.append(labelled(T.category, category), textBox, labelled(T.urgency, urgency), labelled(T.photo, photo),
    el('button', { type: 'submit', className: 'btn primary', textContent: T.save }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fail(textBox, '');
    const data = { enterprise_id: e.id, category_id: Number(category.value), description: text.value.trim(), urgency: urgency.value, photos: [] };
    if (!data.description) { fail(textBox, T.describe); return; }
    const blobs = [];
    try { await takePhoto(photo, data, blobs); } catch (err) { fail(textBox, T.badPhoto); return; }
    await save('enterprise.need', data, blobs, `${e.name} · ${T.need}`);
  });
  return form;
}

function questionControl(q) {
  if (q.type === 'single' || q.type === 'multi') {
    const set = el('fieldset', { className: 'field' }, el('legend', { textContent: q.label }));
    for (const option of q.options) {
      const input = el('input', { type: q.type === 'single' ? 'radio' : 'checkbox', name: q.id, value: option, id: fieldId() });
      set.append(el('label', { className: 'check', htmlFor: input.id }, input, ` ${option}`));
    }
    set.append(el('p', { className: 'error', hidden: true }));
    return set;
  }
  if (q.type === 'text') return labelled(q.label, el('textarea', { name: q.id, rows: 2, maxLength: 500 }));
  if (q.type === 'photo') return labelled(q.label, el('input', { type: 'file', accept: 'image/*', name: q.id }));
  return labelled(q.label, el('input', { type: 'number', name: q.id, inputMode: 'decimal', step: 'any' }));
}

function surveyForm(e) {
  const survey = DATA.survey;
  const form = el('form', { className: 'ent-form', noValidate: true });
  if (!survey) { form.append(el('p', { className: 'muted', textContent: T.noSurvey })); return form; }
  const boxes = survey.questions.map((q) => [q, questionControl(q)]);
  form.append(el('h3', { textContent: survey.title }), ...boxes.map(([, box]) => box),
    el('button', { type: 'submit', className: 'btn primary', textContent: T.save }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = { survey_id: survey.id, version: survey.version, enterprise_id: e.id, period: DATA.period, answers: {}, photos: [] };
    const blobs = [];
    let ok = true;
    for (const [q, box] of boxes) {
      fail(box, '');
      let value = null;
      if (q.type === 'single') value = box.querySelector('input:checked')?.value ?? null;
      else if (q.type === 'multi') value = [...box.querySelectorAll('input:checked')].map((i) => i.value);
      else if (q.type === 'text') value = box.querySelector('textarea').value.trim();
      else if (q.type === 'photo') {
        try { value = await takePhoto(box.querySelector('input'), data, blobs); } catch (err) { fail(box, T.badPhoto); ok = false; continue; }
      } else {
        const raw = box.querySelector('input').value;
        if (raw !== '' && Number.isNaN(Number(raw))) { fail(box, T.number); ok = false; continue; }
        value = raw === '' ? null : Number(raw);
      }
      const empty = value === null || value === '' || (Array.isArray(value) && !value.length);
      if (empty && q.required) { fail(box, T.required); ok = false; } else if (!empty) data.answers[q.id] = value;
    }
    if (ok && !Object.keys(data.answers).length) { fail(boxes[0][1], T.answerOne); ok = false; }
    if (!ok) return;
    await save('enterprise.answer', data, blobs, `${e.name} · ${T.survey}`);
  });
  return form;
}

function screeningForm(e) {
  const form = el('form', { className: 'ent-form', noValidate: true });
  const rows = Object.entries(DATA.risks).map(([key, label]) => {
    const set = el('fieldset', { className: 'field' }, el('legend', { textContent: label }));
    for (const [value, text] of Object.entries(DATA.results)) {
      const input = el('input', { type: 'radio', name: `r-${key}`, value, id: fieldId() });
      set.append(el('label', { className: 'check', htmlFor: input.id }, input, ` ${text}`));
    }
    const note = el('textarea', { rows: 2, maxLength: 500, id: fieldId() });
    set.append(el('label', { htmlFor: note.id, textContent: T.whatFound }), note, el('p', { className: 'error', hidden: true }));
    return [key, set, note];
  });
  const photo = el('input', { type: 'file', accept: 'image/*' });
  form.append(...rows.map(([, set]) => set), labelled(T.photo, photo), el('button', { type: 'submit', className: 'btn primary', textContent: T.save }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = { enterprise_id: e.id, period: DATA.period, results: {}, notes: {}, photos: [] };
    let ok = true;
    for (const [key, set, note] of rows) {
      fail(set, '');
      const value = set.querySelector('input:checked')?.value;
      if (!value) { fail(set, T.allItems); ok = false; continue; }
      data.results[key] = value;
      if (value === 'risk') {
        if (!note.value.trim()) { fail(set, T.riskNote); ok = false; } else data.notes[key] = note.value.trim();
      }
    }
    if (!ok) return;
    const blobs = [];
    try { await takePhoto(photo, data, blobs); } catch (err) { return; }
    await save('enterprise.screening', data, blobs, `${e.name} · ${T.screen}`);
  });
  return form;
}

async function render() {
  const waiting = {};
  const local = {};
  const items = (await store.outboxItems()).filter((m) => KINDS.includes(m.kind));
  for (const m of items.filter((i) => i.state !== 'sent')) {
    const id = m.data.enterprise_id;
    waiting[id] = (waiting[id] || 0) + 1;
    local[id] = local[id] || {};
    if (m.kind === 'enterprise.answer') local[id].surveyed = true;
    if (m.kind === 'enterprise.screening') local[id].screened = true;
    if (m.kind === 'enterprise.need') local[id].needs = (local[id].needs || 0) + 1;
  }
  $('ent-list').replaceChildren(...(DATA.enterprises.length ? DATA.enterprises.map((e) => {
    const mine = local[e.id] || {};
    const li = el('li', { className: 'card enterprise' });
    li.dataset.enterprise = e.id;
    li.append(el('h2', { textContent: e.name }), el('p', { className: 'muted', textContent: [e.industry, e.floor].filter(Boolean).join(' · ') }));
    const marks = el('p');
    if (e.surveyed || mine.surveyed) marks.append(el('span', { className: 'badge badge-sent', textContent: T.surveyed }), ' ');
    if (e.screened || mine.screened) marks.append(el('span', { className: 'badge badge-sent', textContent: T.screened }), ' ');
    const open = (e.needs_open || 0) + (mine.needs || 0);
    if (open) marks.append(el('span', { className: 'badge badge-waiting', textContent: T.needsOpen.replace('{n}', open) }), ' ');
    if (waiting[e.id]) marks.append(el('span', { className: 'badge badge-waiting', textContent: `${T.waiting} ${waiting[e.id]}` }));
    li.append(marks);
    const forms = [[T.need, needForm], [T.survey, surveyForm, e.surveyed || mine.surveyed], [T.screen, screeningForm, e.screened || mine.screened]];
    for (const [title, build, done] of forms) {
      if (done) continue;
      const details = el('details', {}, el('summary', { className: 'btn', textContent: title }));
      details.addEventListener('toggle', () => { if (details.open && details.children.length === 1) details.append(build(e)); });
      li.append(details);
    }
    return li;
  }) : [el('li', { className: 'muted', textContent: T.none })]));
  await listProblems($('ent-problems'), KINDS, T, render);
}

render();
onChange((detail) => { if (detail.phase === 'done' || detail.phase === 'error') render(); });
