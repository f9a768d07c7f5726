// @ts-check
// IndexedDB: the outbox (mutations), photo blobs, pulled records and sync metadata.
import { openDB } from './vendor/idb.js';

/**
 * An outbox item: the mutation (./outbox.js) and the phone's bookkeeping for sending it.
 * @typedef {import('./outbox.js').Mutation & {state?: 'pending'|'sending'|'needs_fix'|'blocked'|'sent',
 *   attempts?: number, frozen?: boolean, queued_at?: string, retry_at?: number, error?: string,
 *   errors?: Object<string, string[]>, last_error?: string}} OutboxItem
 */
/** @typedef {{id: string, blob: Blob, type: string, uploaded?: boolean}} Photo */

export const dbPromise = openDB('gridwalk', 1, {
  upgrade(db) {
    const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
    outbox.createIndex('record_id', 'record_id');
    db.createObjectStore('blobs', { keyPath: 'id' });
    db.createObjectStore('records', { keyPath: ['type', 'id'] });
    db.createObjectStore('meta');
  },
});

/** A random (version 4) UUID: every record and mutation is named on the phone. */
export const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
    (Number(c) ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (Number(c) / 4)))).toString(16)));

export async function getMeta(key, fallback = null) {
  const value = await (await dbPromise).get('meta', key);
  return value === undefined ? fallback : value;
}

export async function setMeta(key, value) {
  return (await dbPromise).put('meta', value, key);
}

// Every photo a mutation names (its list, a check-in's photo_id, survey photo answers): the
// engine uploads, the outbox file carries and settling frees exactly these. The server's
// photo_refs (app/sync/schema.py) reads the same fields.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export function photoRefs(mutation) {
  const data = mutation.data || {};
  const refs = [...(data.photos || []), data.photo_id, ...Object.values(data.answers || {})];
  return [...new Set(refs.filter((r) => typeof r === 'string' && UUID.test(r)))];
}

// Save a new mutation with its photos in one transaction: all of it is stored, or none.
/**
 * @param {import('./outbox.js').Mutation} mutation
 * @param {Photo[]} [photos]
 */
export async function enqueue(mutation, photos = []) {
  const db = await dbPromise;
  const tx = db.transaction(['outbox', 'blobs'], 'readwrite');
  for (const p of photos) tx.objectStore('blobs').put({ id: p.id, blob: p.blob, type: p.type, uploaded: !!p.uploaded });
  tx.objectStore('outbox').put({ state: 'pending', attempts: 0, frozen: false, queued_at: new Date().toISOString(), ...mutation });
  await tx.done;
}

/** @returns {Promise<OutboxItem[]>} */
async function allOutboxItems() {
  const items = await (await dbPromise).getAll('outbox');
  return items.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}

// A shared phone keeps each user's unsent records, but shows and sends them to their author
// only: everything here sees the signed-in user's outbox alone.
const signedIn = () => Number(document.body?.dataset.userId || 0);
/** @returns {Promise<OutboxItem[]>} */
export async function outboxItems() {
  const me = signedIn();
  return (await allOutboxItems()).filter((m) => m.author_id === me);
}

// How many unsent records other users of this phone left (a count: nothing of their content).
export async function othersWaiting() {
  const me = signedIn();
  return (await allOutboxItems()).filter((m) => m.author_id !== me).length;
}

/**
 * @param {string} id
 * @param {Partial<OutboxItem>} changes
 * @returns {Promise<OutboxItem|null>}
 */
export async function updateItem(id, changes) {
  const db = await dbPromise;
  const tx = db.transaction('outbox', 'readwrite');
  const item = await tx.store.get(id);
  if (item) await tx.store.put({ ...item, ...changes });
  await tx.done;
  return item ? { ...item, ...changes } : null;
}

// Replace a rejected mutation by its fixed version (a new mutation id, the same record).
export async function replaceItem(oldId, mutation, photos = []) {
  const db = await dbPromise;
  const tx = db.transaction(['outbox', 'blobs'], 'readwrite');
  for (const p of photos) tx.objectStore('blobs').put({ id: p.id, blob: p.blob, type: p.type, uploaded: !!p.uploaded });
  await tx.objectStore('outbox').delete(oldId);
  tx.objectStore('outbox').put({ state: 'pending', attempts: 0, frozen: false, queued_at: new Date().toISOString(), ...mutation });
  await tx.done;
}

// The server has it: drop it from the outbox, keep what the list needs as a sent record.
export async function settle(item, record) {
  const db = await dbPromise;
  const tx = db.transaction(['outbox', 'blobs', 'records'], 'readwrite');
  await tx.objectStore('outbox').delete(item.id);
  const stillUsed = new Set();
  for (const other of await tx.objectStore('outbox').getAll()) photoRefs(other).forEach((p) => stillUsed.add(p));
  for (const p of photoRefs(item)) if (!stillUsed.has(p)) tx.objectStore('blobs').delete(p);
  if (record) {
    const existing = await tx.objectStore('records').get([record.type, record.id]);
    if (!existing) tx.objectStore('records').put(record);
  }
  await tx.done;
}

// The user gives up a record that cannot be fixed: it goes with the photos only it used.
export async function discardItem(id) {
  const item = await (await dbPromise).get('outbox', id);
  if (item) await settle(item, null);
}

export async function getBlob(id) {
  return (await dbPromise).get('blobs', id);
}

export async function markUploaded(id, uploaded = true) {
  const db = await dbPromise;
  const tx = db.transaction('blobs', 'readwrite');
  const blob = await tx.store.get(id);
  if (blob) await tx.store.put({ ...blob, uploaded });
  await tx.done;
}

export async function getRecord(type, id) {
  return (await dbPromise).get('records', [type, id]);
}

export async function putRecord(record) {
  return (await dbPromise).put('records', record);
}

export async function records(type) {
  const all = await (await dbPromise).getAll('records');
  return all.filter((r) => r.type === type);
}

// Apply pulled changes; a record with unsynced local changes is never overwritten.
export async function applyChanges(changes) {
  const db = await dbPromise;
  const tx = db.transaction(['records', 'outbox'], 'readwrite');
  // The outbox is small: read it once rather than once per change.
  const unsent = new Set((await tx.objectStore('outbox').getAll()).filter((m) => m.state !== 'sent').map((m) => m.record_id));
  const records = tx.objectStore('records');
  const writes = [];
  for (const change of changes) {
    if (unsent.has(change.id)) continue;
    writes.push(change.op === 'delete' ? records.delete([change.type, change.id])
      : records.put({ type: change.type, id: change.id, ...change.data }));
  }
  await Promise.all([...writes, tx.done]);
}

// A shared phone: what one user pulled (records, the cursor, grid shapes, sync times) is not
// kept for the next one. Unsent outbox items stay with their photos, for their author.
const PULLED_META = ['cursor', 'grids', 'lastSync', 'authNeeded', 'notices'];
export async function forgetPulled() {
  const db = await dbPromise;
  const tx = db.transaction(['records', 'meta'], 'readwrite');
  await tx.objectStore('records').clear();
  for (const key of PULLED_META) await tx.objectStore('meta').delete(key);
  await tx.done;
}
