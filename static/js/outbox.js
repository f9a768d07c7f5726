// @ts-check
// The phone's mutation envelope, in one place: every page that records something builds its
// outbox item with newMutation, and the sync engine and the outbox file send exactly the
// envelope's fields (docs/sync-api.md), never the phone's own bookkeeping (state, attempts…).
import { uuid } from './store.js';

/**
 * One change made on the phone, as it waits in the outbox.
 * @typedef {Object} Mutation
 * @property {string} id a fresh UUID for each attempt at a change: the server's idempotency key
 * @property {string} kind what it is, e.g. 'event.report', 'registry.edit', 'patrol.chunk'
 * @property {string} record_id the record it makes or changes (kept when a fix replaces it)
 * @property {number} author_id the signed-in user who made it
 * @property {string} created_at when it was made on the phone (UTC, ISO 8601)
 * @property {number} [base_version] the version of the record the phone saw (edits, moves)
 * @property {number} [form_version] the version of the form it was filled in
 * @property {Object} data the kind's own fields (docs/sync-mutations.md)
 * @property {string} [label] how lists name it on this phone; not sent
 */

/**
 * What the server answers for one mutation of a push.
 * @typedef {Object} SyncResult
 * @property {string} id the mutation's id
 * @property {'applied'|'duplicate'|'conflict'|'rejected'|'retry'} status
 * @property {string} [code] why, for a refusal (e.g. 'media_missing', 'forbidden')
 * @property {string} [message] the reason in the user's language
 * @property {Object<string, string[]>} [errors] per field
 * @property {string} [record_id] the record it made or changed
 * @property {number} [version] the record's version after it (registry, events)
 * @property {Object} [grid] the grid a new report was placed in ({id, name})
 */

/** The fields a mutation sends; the rest of an outbox item stays on the phone. */
export const ENVELOPE_FIELDS = ['id', 'kind', 'record_id', 'author_id', 'created_at', 'base_version', 'form_version', 'data'];

const signedIn = () => Number(document.body.dataset.userId);

/**
 * @param {string} kind
 * @param {string} recordId
 * @param {Object} data
 * @param {{baseVersion?: number, formVersion?: number, createdAt?: string, label?: string}} [extra]
 * @returns {Mutation}
 */
export function newMutation(kind, recordId, data, extra = {}) {
  /** @type {Mutation} */
  const mutation = { id: uuid(), kind, record_id: recordId, author_id: signedIn(), created_at: extra.createdAt || new Date().toISOString(), data };
  if (extra.baseVersion !== undefined) mutation.base_version = extra.baseVersion;
  if (extra.formVersion !== undefined) mutation.form_version = extra.formVersion;
  if (extra.label !== undefined) mutation.label = extra.label;
  return mutation;
}

/**
 * What goes over the wire for an outbox item.
 * @param {Mutation} item
 * @returns {Object}
 */
export const envelope = (item) => Object.fromEntries(ENVELOPE_FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]]));
