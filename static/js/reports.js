// "My reports": sent reports (pulled from the server) merged with what waits in the outbox.
import * as store from './store.js';

const T = JSON.parse(document.getElementById('i18n')?.textContent || '{}');
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
// offline: pass, or fail with a reason (rework).
function checkable(record, li) {
  if (record.state !== 'handled') return li;
  const form = Object.assign(document.createElement('form'), { className: 'check-form' });
  const id = `why-${record.id}`;
  const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: T.why });
  const why = Object.assign(document.createElement('input'), { id, name: 'note' });
  const pass = Object.assign(document.createElement('button'), { type: 'button', className: 'btn small', textContent: T.pass });
  const fail = Object.assign(document.createElement('button'), { type: 'button', className: 'btn small', textContent: T.failCheck });
  const send = async (action) => {
    if (action === 'check_fail' && !why.value.trim()) { why.focus(); return; }
    await store.enqueue({ id: store.uuid(), kind: 'event.transition', record_id: record.id, base_version: record.version,
      author_id: Number(document.body.dataset.userId), created_at: new Date().toISOString(),
      data: { action, note: why.value.trim() } });
    window.dispatchEvent(new Event('gridwalk:saved'));
    render();
  };
  pass.addEventListener('click', () => send('check_pass'));
  fail.addEventListener('click', () => send('check_fail'));
  form.append(label, why, pass, fail);
  li.append(form);
  return li;
}

const when = (iso) => new Date(iso).toLocaleString(document.documentElement.lang, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });

async function render() {
  const outbox = await store.outboxItems();
  const pending = outbox.filter((m) => m.kind === 'event.report');
  const checking = new Set(outbox.filter((m) => m.kind === 'event.transition').map((m) => m.record_id));
  const sent = (await store.records('event')).filter((r) => r.mine);
  const pendingIds = new Set(pending.map((m) => m.record_id));
  const rows = [
    ...pending.map((m) => ({ at: m.created_at, node: row({
      title: m.data.description, meta: `${m.label || ''} · ${when(m.created_at)}`, state: STATE[m.state] || 'waiting',
      label: T[STATE[m.state] || 'waiting'], message: m.state === 'needs_fix' || m.state === 'blocked' ? m.error : '',
      action: m.state === 'needs_fix' ? { href: `/report?fix=${m.id}`, text: T.fix } : null,
    }) })),
    ...sent.filter((r) => !pendingIds.has(r.id)).map((r) => (checking.has(r.id) ? { ...r, state: 'checked' } : r)).map((r) => ({ at: r.reported_at, node: checkable(r, row({
      title: r.description, meta: `${r.category || ''} · ${r.grid?.name || ''} · ${when(r.reported_at)}`,
      state: r.state === 'handled' ? 'waiting' : 'sent', label: r.state === 'handled' ? T.toCheck
        : (r.state && r.state !== 'reported' && T.states?.[r.state]) || T.sent, // then its progress
    })) })),
  ].sort((a, b) => (a.at < b.at ? 1 : -1));
  if (rows.length || !list.dataset.server) list.replaceChildren(...rows.map((r) => r.node));
  document.getElementById('report-empty').hidden = rows.length > 0 || list.children.length > 0;
}

window.addEventListener('gridwalk:status', render);
render();
