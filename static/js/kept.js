// @ts-check
// What the phone keeps for its pages around a sync, by kind, so the engine (sync.js) holds no
// page's knowledge: a sent report is shown as sent at once (its list reads it before the next
// pull); a report waiting for the worker's on-site check keeps the department's photos, so the
// check can be made offline. Both are forgotten with the other pulled records at a new user.
import * as store from './store.js';

/**
 * @param {import('./store.js').OutboxItem} item
 * @param {import('./outbox.js').SyncResult} result
 */
function sentReport(item, result) {
  return {
    type: 'event', id: item.record_id, version: result.version || 1, state: 'reported', mine: true,
    description: item.data.description, category: item.label || '', urgency: item.data.urgency,
    reported_at: item.created_at, grid: { name: result.grid || '' }, photos: [],
  };
}

/** @type {Object<string, (item: import('./store.js').OutboxItem, result: import('./outbox.js').SyncResult) => Object>} */
const AFTER_SENT = { 'event.report': sentReport };

/**
 * The local record to keep for a mutation the server took, or null (it comes with the pull).
 * @param {import('./store.js').OutboxItem} item
 * @param {import('./outbox.js').SyncResult} result
 */
export const keptAfterSent = (item, result) => (AFTER_SENT[item.kind] ? AFTER_SENT[item.kind](item, result) : null);

// The department's photos of a report waiting for my on-site check: kept with the pulled
// records (forgotten with them when another user signs in), so the check can be made offline.
/** @param {Array<{type: string, data?: any}>} changes */
export async function keepForPages(changes) {
  for (const c of changes) {
    for (const p of (c.type === 'event' && c.data?.handled?.photos) || []) {
      if (await store.getRecord('proof', p.id)) continue;
      try {
        const response = await fetch(p.thumb, { credentials: 'same-origin' });
        if (response.ok) await store.putRecord({ type: 'proof', id: p.id, blob: await response.blob() });
      } catch (err) { /* offline: the next sync fetches it */ }
    }
  }
}
