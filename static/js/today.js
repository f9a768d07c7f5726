// "Today": what needs this worker or rider now, from what the phone holds, so it works offline.
// The server part of the page (tasks due, reports to check, returned records) is kept with it.
import * as store from './store.js';

const root = document.getElementById('today-local');
const T = JSON.parse(document.getElementById('i18n')?.textContent || '{}');
const fmt = (s, vars) => (s || '').replace(/\{(\w+)\}/g, (_, k) => vars[k]);
const el = (tag, props = {}, ...children) => { const n = Object.assign(document.createElement(tag), props); n.append(...children); return n; };

// Where each kind of record is fixed; patrol pieces cannot be edited, only discarded.
function fixLink(item) {
  if (item.kind === 'event.report') return `/report?fix=${item.id}`;
  if (item.kind.startsWith('registry.')) return `/registry/app#fix/${item.id}`;
  if (item.kind === 'task.report') return '/tasks';
  return null;
}

// Records the user has asked to discard once: kept across re-renders (a background sync
// redraws the list), so the second tap confirms.
const armed = new Set();

async function discard(item, button) {
  if (!armed.has(item.id)) {
    armed.add(item.id);
    button.textContent = T.confirmDiscard;
    return;
  }
  armed.delete(item.id);
  await store.discardItem(item.id);
  window.dispatchEvent(new Event('gridwalk:saved'));
  render();
}

async function render() {
  if (!root) return;
  const me = Number(document.body.dataset.userId);
  const rows = [];
  const patrol = await store.getMeta(`patrol:${me}`);
  if (patrol) rows.push(el('li', {}, el('a', { className: 'btn block', href: '/patrol', textContent: T.resumePatrol })));
  const items = await store.outboxItems();
  const dayAgo = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  for (const item of items.filter((m) => m.state === 'needs_fix')) {
    const li = el('li', { className: 'report report-fix' },
      el('span', { className: 'badge badge-fix', textContent: T.fix }),
      el('strong', { textContent: T.kinds?.[item.kind] || item.kind }),
      el('p', { className: 'error', textContent: item.error || '' }));
    const href = fixLink(item);
    if (href) li.append(el('a', { className: 'btn small', href, textContent: T.fixIt }));
    const drop = el('button', { type: 'button', className: 'btn small', textContent: armed.has(item.id) ? T.confirmDiscard : T.discard });
    drop.addEventListener('click', () => discard(item, drop));
    li.append(drop);
    rows.push(li);
  }
  const stale = items.filter((m) => m.state !== 'needs_fix' && (m.queued_at || m.created_at || '') < dayAgo).length;
  if (stale) rows.push(el('li', {}, el('a', { href: '/reports', textContent: fmt(T.stale, { n: stale }) })));
  root.replaceChildren(...rows);
  root.hidden = !rows.length;
  document.getElementById('today-nothing')?.toggleAttribute('hidden', rows.length > 0 || document.querySelectorAll('[data-today-server] li').length > 0);
}

window.addEventListener('gridwalk:status', render);
render();
