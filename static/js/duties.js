// "My duties" offline: the page shows the server's counts as of its last visit; records still
// waiting in this phone's outbox are added per item as "+n 待发送", so work done with no
// network shows at once. The server's count takes over once they are sent.
import * as store from './store.js';
import { onChange } from './sync.js';
import { localDay } from './clock.js';

const T = JSON.parse(document.getElementById('duties-i18n').textContent);
const TASK_CODES = JSON.parse(document.getElementById('duty-tasks').textContent);

// How much one waiting mutation adds to an item with this evidence kind and filter.
function amount(m, evidence, filter, code, records, categories) {
  const d = m.data || {};
  switch (evidence) {
    case 'patrol': return m.kind === 'patrol.start' ? 1 : 0;
    case 'checkin': return m.kind === 'patrol.checkin' ? 1 : 0;
    case 'record_create': return m.kind === 'registry.create' && (!filter.kind || d.kind === filter.kind) ? 1 : 0;
    case 'record_update': return m.kind === 'registry.edit' && (!filter.kind || records.get(m.record_id)?.kind === filter.kind) ? 1 : 0;
    case 'visit': {
      if (m.kind !== 'registry.visit') return 0;
      const target = records.get(d.target_id);
      if (filter.kind && target?.kind !== filter.kind) return 0;
      if (filter.tag && !(target?.tags || []).includes(filter.tag)) return 0;
      return 1;
    }
    case 'event_report': {
      if (m.kind !== 'event.report') return 0;
      if (!filter.category) return 1;
      return categories.get(String(d.category_id))?.code?.startsWith(filter.category) ? 1 : 0;
    }
    case 'event_check': return m.kind === 'event.transition' && ['check_pass', 'check_fail'].includes(d.action) ? 1 : 0;
    case 'self_resolve': return m.kind === 'event.transition' && d.action === 'self_resolve' ? 1 : 0;
    default: // survey answers, publicity, manual items: task reports citing this item
      if (m.kind !== 'task.report' || TASK_CODES[d.task_id] !== code) return 0;
      return evidence === 'publicity' ? Number(d.households) || 0 : 1;
  }
}

let counted = new Set(); // mutation ids added to the page's counts

async function show() {
  const waiting = (await store.outboxItems()).filter((m) => m.state !== 'sent');
  counted = new Set();
  const records = new Map((await store.records('record')).map((r) => [r.id, r]));
  for (const m of waiting) {
    if (m.kind === 'registry.create') records.set(m.record_id, { kind: m.data.kind, tags: m.data.fields?.tags || [] });
  }
  const categories = new Map((await store.records('category')).map((c) => [String(c.id), c]));
  for (const li of document.querySelectorAll('li[data-evidence]')) {
    const { evidence, code, start, end } = li.dataset;
    const filter = JSON.parse(li.dataset.filter || '{}');
    let extra = 0;
    for (const m of waiting) {
      const day = localDay(m.created_at);
      const n = day >= start && day < end ? amount(m, evidence, filter, code, records, categories) : 0;
      if (n) counted.add(m.id);
      extra += n;
    }
    const count = Number(li.dataset.count) + extra;
    const target = Number(li.dataset.target);
    const badge = li.querySelector('[data-local]');
    badge.hidden = !extra;
    badge.textContent = T.local.replace('{n}', extra);
    li.querySelector('[data-shown]').textContent = count;
    const bar = li.querySelector('progress');
    const pct = target ? Math.min(100, Math.round((100 * count) / target)) : 100;
    bar.value = pct;
    bar.textContent = `${pct}%`;
    bar.setAttribute('aria-label', `${li.dataset.title} ${pct}%`);
  }
}

// Once what was counted here has reached the server, its figures are the true ones: reload.
onChange(async ({ phase }) => {
  if (phase !== 'done' || !counted.size) return;
  const still = new Set((await store.outboxItems()).map((m) => m.id));
  if ([...counted].some((id) => !still.has(id))) location.reload();
});

show();
