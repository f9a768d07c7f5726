// @ts-check
// The sync engine: upload photos, push the outbox in batches, pull changes since the cursor.
// Runs on start, on 'online', on return to the foreground, after each save and on a timer.
import * as store from './store.js';
import { envelope } from './outbox.js';
import { keepForPages, keptAfterSent } from './kept.js';

const BATCH = 20;
const BACKOFF_BASE = 2000;
const BACKOFF_CAP = 5 * 60 * 1000;
const TIMER = 60 * 1000;

let running = null;
let failures = 0;
let retryTimer = null;
const listeners = new Set();

export const onChange = (fn) => listeners.add(fn);
const emit = (detail) => listeners.forEach((fn) => fn(detail));

class AuthNeeded extends Error {}
class Retry extends Error {}
// The server answered, but not with the batch's results (5xx, 503, 413…): those records wait
// on their own backoff and the others go on. A network error stops the whole sync instead.
class ServerRefused extends Retry {}

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin', ...options });
  } catch (err) {
    throw new Retry('network');
  }
  if (response.status === 401) throw new AuthNeeded();
  if (response.redirected && new URL(response.url).pathname === '/login') throw new AuthNeeded();
  if (response.status >= 500 || response.status === 429) throw new ServerRefused(`http ${response.status}`);
  return response;
}

async function csrfToken() {
  const response = await request('/api/v1/csrf', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Retry('csrf');
  return (await response.json()).csrf_token;
}

function errorText(errors) {
  return Object.values(errors || {}).flat().join('；');
}

async function uploadPhotos(item, token) {
  for (const id of store.photoRefs(item)) {
    const blob = await store.getBlob(id);
    if (!blob || blob.uploaded) continue;
    const response = await request(`/api/v1/media/${id}`, {
      method: 'PUT', body: blob.blob, headers: { 'Content-Type': blob.type || 'image/jpeg', 'X-CSRFToken': token },
    });
    if (response.ok) { await store.markUploaded(id); continue; }
    const body = await response.json().catch(() => ({}));
    if (response.status === 400 && (body.error === 'csrf' || body.error === 400)) throw new Retry('csrf expired');
    return body.message || `HTTP ${response.status}`;
  }
  return null;
}


// A record the server answered "retry" (or that went out in failed batches) waits on its own
// backoff while the rest are sent; after SOLO_AFTER attempts it travels in a batch of its own,
// so no record can hold others back for ever.
const SOLO_AFTER = 3;
const itemDelay = (attempts) => Math.min(BACKOFF_CAP * 12, BACKOFF_BASE * 2 ** attempts);

function batchesOf(items) {
  const batches = [];
  let current = [];
  for (const item of items) {
    if ((item.attempts || 0) >= SOLO_AFTER) { batches.push([item]); continue; }
    current.push(item);
    if (current.length === BATCH) { batches.push(current); current = []; }
  }
  if (current.length) batches.push(current);
  return batches;
}

async function pushOutbox() {
  let failedBatches = 0;
  let token = await csrfToken();
  const now = Date.now();
  const ready = (await store.outboxItems()).filter((m) =>
    (m.state === 'pending' || m.state === 'sending' || m.state === 'blocked')
    && !(m.retry_at && m.retry_at > now));
  for (const group of batchesOf(ready)) {
    const batch = [];
    for (const item of group) {
      // From its first send on, a record is frozen: the server may hold it even if no reply came.
      const attempts = (item.attempts || 0) + 1;
      await store.updateItem(item.id, { state: 'sending', frozen: true, attempts });
      item.attempts = attempts;
      const problem = await uploadPhotos(item, token);
      if (problem) { await store.updateItem(item.id, { state: 'needs_fix', error: problem }); continue; }
      batch.push(item);
    }
    if (!batch.length) continue;
    const mutations = batch.map(envelope);
    let results;
    try {
      const response = await request('/api/v1/sync/push', {
        method: 'POST', body: JSON.stringify({ mutations }),
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token, Accept: 'application/json' },
      });
      if (response.status === 400) { token = await csrfToken(); throw new Retry('csrf'); }
      if (!response.ok) throw new ServerRefused(`push ${response.status}`);
      ({ results } = await response.json());
    } catch (err) {
      if (!(err instanceof ServerRefused || err instanceof SyntaxError)) throw err;
      for (const item of batch) {
        await store.updateItem(item.id, { state: 'pending', retry_at: Date.now() + itemDelay(item.attempts) * (0.75 + Math.random() / 2), last_error: String(err.message || err) });
      }
      failedBatches += 1;
      continue;
    }
    for (const result of results) {
      const item = batch.find((m) => m.id === result.id);
      if (!item) continue;
      if (result.status === 'applied' || result.status === 'duplicate') {
        // Reports show as sent at once; registry records come back with the pull that follows.
        await store.settle(item, keptAfterSent(item, result));
      } else if (result.status === 'retry') {
        // The server failed on this record alone: like a network error, for it only.
        await store.updateItem(item.id, { state: 'pending', retry_at: Date.now() + itemDelay(item.attempts) * (0.75 + Math.random() / 2), last_error: result.message || '' });
      } else if (result.status === 'rejected' && result.code === 'media_missing' && item.attempts < SOLO_AFTER) {
        for (const p of store.photoRefs(item)) await store.markUploaded(p, false);
        await store.updateItem(item.id, { state: 'pending' });
      } else if (result.status === 'forbidden' && result.code === 'other_author') {
        await store.updateItem(item.id, { state: 'blocked', error: result.message });
      } else {
        await store.updateItem(item.id, { state: 'needs_fix', error: result.message || errorText(result.errors), errors: result.errors || {} });
      }
    }
  }
  return failedBatches;
}


// The reporter is told when a report of theirs moves on (merged, dispatched, handled, closed,
// refused with the reason): news the pull brings, kept until read on "My reports".
async function keepNews(changes) {
  const fresh = [];
  for (const change of changes) {
    const told = change.type === 'event' && change.op !== 'delete' && change.data && change.data.news;
    if (!told) continue;
    const before = await store.getRecord('event', change.id);
    if (before && before.state === change.data.state) continue;
    fresh.push({ id: change.id, description: change.data.description, ...told });
  }
  if (!fresh.length) return;
  // One entry per report, its latest news first: a pull that overlaps another (or a row sent
  // again within the settle window) cannot show the same news twice.
  const ids = new Set(fresh.map((n) => n.id));
  const kept = (await store.getMeta('notices', [])).filter((n) => !ids.has(n.id));
  await store.setMeta('notices', [...fresh, ...kept].slice(0, 50));
}

async function pull() {
  let cursor = await store.getMeta('cursor', 0);
  for (let page = 0; page < 50; page += 1) {
    const response = await request(`/api/v1/sync/pull?cursor=${cursor}`, { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Retry('pull');
    const body = await response.json();
    // The department's photos first: when a report shows "to check", its proof is on the phone.
    await keepForPages(body.changes);
    await keepNews(body.changes);
    await store.applyChanges(body.changes);
    const moved = body.cursor !== cursor;
    cursor = body.cursor;
    await store.setMeta('cursor', cursor);
    if (!body.more || !moved) break;
  }
  const grids = await request('/api/v1/grids?geometry=1', { headers: { Accept: 'application/json' } });
  if (grids.ok) await store.setMeta('grids', (await grids.json()).grids);
}

// The next run: when the first record waiting on its backoff is due, or at the timer.
async function nextRun() {
  const due = (await store.outboxItems()).filter((m) => m.state === 'pending' && m.retry_at).map((m) => m.retry_at);
  return due.length ? Math.min(TIMER, Math.max(1000, Math.min(...due) - Date.now())) : TIMER;
}

function schedule(delay) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => syncNow('retry'), delay);
}

async function run() {
  emit({ phase: 'start' });
  try {
    const failedBatches = await pushOutbox();
    await pull();  // the pull goes on even when a batch failed: the phone stays current
    if (failedBatches) throw new Retry(`${failedBatches} batch(es) failed`);
    failures = 0;
    await store.setMeta('lastSync', new Date().toISOString());
    await store.setMeta('authNeeded', false);
    emit({ phase: 'done' });
    schedule(await nextRun());
  } catch (err) {
    // Nothing leaves the outbox on failure; items being sent go back to waiting.
    for (const item of await store.outboxItems()) if (item.state === 'sending') await store.updateItem(item.id, { state: 'pending' });
    if (err instanceof AuthNeeded) {
      await store.setMeta('authNeeded', true);
      emit({ phase: 'auth' });
      return;
    }
    failures += 1;
    const delay = Math.min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1)) * (0.75 + Math.random() / 2);
    emit({ phase: 'error', error: String(err.message || err), retryIn: delay });
    schedule(delay);
  }
}

export function syncNow(reason = 'manual') {
  const userId = Number(document.body.dataset.userId || 0);
  if (!userId) return Promise.resolve();
  if (running) return running;
  running = (navigator.locks
    ? navigator.locks.request('gridwalk-sync', () => run())
    : run()).finally(() => { running = null; });
  return running;
}

export function startTriggers() {
  window.addEventListener('online', () => syncNow('online'));
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') syncNow('foreground'); });
  window.addEventListener('gridwalk:saved', () => {
    syncNow('saved');
    // Background Sync is Chromium's alone: not in the DOM typings.
    navigator.serviceWorker?.ready.then((reg) => /** @type {any} */ (reg).sync?.register('gridwalk-outbox')).catch(() => {});
  });
  navigator.serviceWorker?.addEventListener('message', (e) => { if (e.data === 'sync') syncNow('background-sync'); });
  syncNow('start');
}
