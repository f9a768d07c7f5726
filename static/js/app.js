// Boot for every page: forgetting the previous user of a shared phone; then, when signed in,
// the service worker and its updates, the sync status bar, storage persistence, the iPhone
// hint and saving the outbox to a file.
import * as store from './store.js';
import { envelope } from './outbox.js';
import { shortMoment } from './clock.js';
import { onChange, startTriggers, syncNow } from './sync.js';

const T = JSON.parse(document.getElementById('i18n')?.textContent || '{}');
const $ = (sel) => document.querySelector(sel);
const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => vars[k]);

async function renderStatus(event) {
  const bar = $('#sync-bar');
  if (!bar) return;
  const items = await store.outboxItems();
  const waiting = items.filter((m) => m.state !== 'needs_fix' && m.state !== 'blocked').length;
  const fixing = items.filter((m) => m.state === 'needs_fix').length;
  const last = await store.getMeta('lastSync');
  const dayAgo = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const stale = items.filter((m) => m.state !== 'blocked' && (m.queued_at || m.created_at || '') < dayAgo).length;
  const staleBar = $('#stale-bar');
  if (staleBar) {
    staleBar.hidden = !stale;
    staleBar.querySelector('[data-stale-text]').textContent = fmt(T.stale, { n: stale });
  }
  const others = await store.othersWaiting();
  bar.querySelector('[data-sync=pending]').textContent = fmt(T.pending, { n: waiting })
    + (fixing ? ' · ' + fmt(T.fixing, { n: fixing }) : '');
  const othersNote = $('#others-waiting');
  if (othersNote) {
    othersNote.hidden = !others;
    othersNote.textContent = fmt(T.othersWaiting, { n: others });
  }
  bar.querySelector('[data-sync=last]').textContent = last
    ? fmt(T.last, { t: shortMoment(last) })
    : T.never;
  bar.dataset.state = event?.phase || (navigator.onLine ? 'idle' : 'offline');
  bar.dataset.pending = String(items.length);
  const authNeeded = await store.getMeta('authNeeded', false);
  $('#auth-bar').hidden = !authNeeded;
  window.dispatchEvent(new CustomEvent('gridwalk:status', { detail: { phase: event?.phase } }));
}

function showUpdate(worker) {
  const bar = $('#update-bar');
  if (!bar.hidden) return;
  bar.hidden = false;
  bar.querySelector('button').addEventListener('click', () => worker.postMessage('skipWaiting'), { once: true });
}

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  // A new version may already be waiting, or still installing, by the time this runs.
  const track = (worker) => {
    if (!worker) return;
    const check = () => { if (worker.state === 'installed' && navigator.serviceWorker.controller) showUpdate(worker); };
    worker.addEventListener('statechange', check);
    check();
  };
  track(reg.waiting);
  track(reg.installing);
  reg.addEventListener('updatefound', () => track(reg.installing));
  // Look for a new version at start and hourly: a PWA may stay open for days.
  const lookForUpdate = () => { if (navigator.onLine) reg.update().catch(() => {}); };
  lookForUpdate();
  setInterval(lookForUpdate, 60 * 60 * 1000);
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!reloading && $('#update-bar') && !$('#update-bar').hidden) { reloading = true; location.reload(); }
  });
  const ready = await navigator.serviceWorker.ready;
  // Keep the worker's pages for offline use; this page has just proved the session works.
  const pages = JSON.parse(document.body.dataset.offlinePages || '[]');
  ready.active?.postMessage({ type: 'warm', urls: pages });
  // Background Sync only when something waits: registering it fires a sync at once when online.
  if ('sync' in ready && (await store.outboxItems()).length) ready.sync.register('gridwalk-outbox').catch(() => {});
}

async function exportOutbox() {
  const items = await store.outboxItems();
  const media = {};
  for (const item of items) {
    for (const id of store.photoRefs(item)) {
      const blob = await store.getBlob(id);
      if (!blob) continue;
      const bytes = new Uint8Array(await blob.blob.arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      media[id] = { type: blob.type, data: btoa(binary) };
    }
  }
  const file = { format: 'gridwalk-outbox', version: 1, exported_at: new Date().toISOString(),
    user_id: Number(document.body.dataset.userId), mutations: items.map(envelope), media };
  const url = URL.createObjectURL(new Blob([JSON.stringify(file)], { type: 'application/json' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: `gridwalk-outbox-${new Date().toISOString().slice(0, 10)}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function iosHint() {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  const standalone = window.matchMedia('(display-mode: standalone)').matches || navigator.standalone;
  if (ios && !standalone && !localStorage.getItem('gw-ios-hint')) {
    const hint = $('#ios-hint');
    hint.hidden = false;
    hint.querySelector('button').addEventListener('click', () => { hint.hidden = true; localStorage.setItem('gw-ios-hint', '1'); });
  }
}

// Whoever used this browser before (signed out by any control or by an ended session, or
// someone else now signed in): their pulled data and kept pages go. Runs on every page, the
// sign-in page included, so no sign-out path can skip it.
async function forgetPreviousUser() {
  const userId = Number(document.body.dataset.userId || 0);
  if ((await store.getMeta('owner', 0)) === userId) return;
  navigator.serviceWorker?.controller?.postMessage('forget-pages');
  await store.forgetPulled();
  if (window.caches) await caches.delete('gridwalk-pages');
  await store.setMeta('owner', userId);
}

// A running patrol shows on every other page, with its time and a tap back to it.
async function renderPatrolBar() {
  const bar = $('#patrol-bar');
  if (!bar) return;
  const patrol = await store.getMeta(`patrol:${document.body.dataset.userId}`);
  bar.hidden = !patrol;
  if (patrol) {
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(patrol.started_at)) / 60000));
    bar.querySelector('[data-patrol-text]').textContent = fmt(T.patrolRunning, { n: minutes });
  }
}

async function boot() {
  await forgetPreviousUser().catch((err) => console.error('forget previous user', err));
  if (!document.body.dataset.userId) return;
  renderPatrolBar();
  setInterval(renderPatrolBar, 30000);
  onChange(renderStatus);
  renderStatus();
  window.addEventListener('online', () => renderStatus());
  window.addEventListener('offline', () => renderStatus());
  $('#sync-bar [data-sync=now]')?.addEventListener('click', () => syncNow('manual'));
  document.querySelectorAll('[data-action=export-outbox]').forEach((b) => b.addEventListener('click', exportOutbox));
  navigator.storage?.persist?.().catch(() => {});
  iosHint();
  registerWorker().catch((err) => console.error('service worker', err));
  if (document.body.dataset.sync) startTriggers(); // only roles that record things keep an outbox
}

boot();
export { renderStatus };
